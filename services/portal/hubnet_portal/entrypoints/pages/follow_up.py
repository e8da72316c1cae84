"""Follow-up for managers: referrals and outcomes per hub, organisation and month, and hub events,
each as a chart with its table beside it. The figures are the services' own (`/report` of
referrals, with its small cells suppressed, and `/figures` of events); domain/follow_up.py only
lays them out.

GET  /follow-up               managers only; anyone else gets a plain 403 page
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hubnet_portal.domain.follow_up import event_table, referral_table
from hubnet_portal.domain.roles import MANAGER
from hubnet_portal.domain.words import N_
from hubnet_portal.entrypoints.site import Pages

NOT_A_MANAGER = N_("The follow-up figures are for managers. Ask your organisation for the manager role.")


def routes(pages: Pages) -> list[Route]:
    services = pages.portal.services

    async def follow_up(request: Request) -> Response:
        session = await pages.staff(request)
        if not session.has(MANAGER):
            return pages.render(session, "forbidden.html", 403, why=NOT_A_MANAGER)
        token = session.tokens.access_token
        cells = await services.report(token, "hub,partner,service,month")
        by_hub = await services.report(token, "hub,month")
        by_partner = await services.report(token, "partner,month")
        outcomes = await services.report(token, "partner")
        tables = [
            referral_table("cells", N_("Referrals per hub, organisation, service and month"), cells),
            referral_table("by-hub", N_("Referrals per hub and month"), by_hub),
            referral_table("by-partner", N_("Referrals per receiving organisation and month"), by_partner),
            referral_table("outcomes", N_("Outcomes per receiving organisation"), outcomes, outcomes=True),
            event_table("events", N_("Hub events per hub, month and kind"), await services.event_figures(token)),
        ]
        return pages.render(
            session,
            "follow_up.html",
            page="follow-up",
            tables=tables,
            period=(by_hub["since"], by_hub["until"]),
            suppressed_below=by_hub["suppressed_below"],
        )

    return [Route("/follow-up", follow_up)]
