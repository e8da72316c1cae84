"""The staff member's own settings, and (for managers) the partner's webhooks:

GET  /settings                       language, delivery, subscriptions, webhooks
POST /settings/preferences           language and delivery (UpsertStaffMember)
POST /settings/subscriptions         Subscribe
POST /settings/subscriptions/remove  Unsubscribe
POST /settings/webhooks              RegisterWebhook: its secret shown on the answer's page alone
POST /settings/webhooks/remove       RemoveWebhook

What is shown is read back from the notifications service (GET /staff/me, /subscriptions,
/webhooks); every change is a command of the partner's, answered in words.
"""

from __future__ import annotations

from dataclasses import replace

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hubnet_portal.domain.language import language_of
from hubnet_portal.domain.roles import MANAGER
from hubnet_portal.domain.session import Session
from hubnet_portal.domain.words import N_
from hubnet_portal.entrypoints.site import Pages, form_text
from hubnet_portal.handlers import settings, webhooks
from hubnet_portal.handlers.webhooks import Registered

# What a staff member can subscribe to, beyond what they are told by default.
KINDS = (
    ("referral.*", N_("Everything about referrals")),
    ("referral.requested", N_("New referrals")),
    ("referral.completed", N_("Completed referrals")),
    ("referral.overdue", N_("Overdue referrals")),
    ("hubevent.*", N_("Everything about hub events")),
)
KIND_WORDS = dict(KINDS)
NOT_A_MANAGER = N_("Only a manager may change your organisation's webhooks.")


def routes(pages: Pages) -> list[Route]:
    portal = pages.portal

    async def settings_page(
        request: Request, session: Session, registered: Registered | None = None, status: int = 200
    ) -> Response:
        token = session.tokens.access_token
        manager = session.has(MANAGER)
        return pages.render(
            session,
            "settings.html",
            status,
            page="settings",
            record=await portal.services.own_record(token),
            subscriptions=await portal.services.subscriptions(token),
            webhooks=await portal.services.webhooks(token) if manager else [],
            manager=manager,
            kinds=KINDS,
            kind_words=KIND_WORDS,
            registered=registered,
        )

    async def show(request: Request) -> Response:
        return await settings_page(request, await pages.staff(request))

    def told(session: Session, answer: settings.Answer, language: str | None = None) -> Response:
        changed = replace(session, notice=answer.words)
        if language is not None:
            changed = replace(changed, language=language_of(language))
        portal.sessions.put(changed)
        return RedirectResponse("/settings", status_code=303)

    async def preferences(request: Request) -> Response:
        session, form = await pages.csrf_checked(request)
        language = form_text(form.get("language"))
        answer = await settings.change_preferences(
            portal.commands,
            await portal.services.own_record(session.tokens.access_token),
            language=language,
            delivery=form_text(form.get("delivery")),
            staff_id=session.staff_id,
        )
        return told(session, answer, language if answer.done else None)

    async def subscribe(request: Request) -> Response:
        session, form = await pages.csrf_checked(request)
        kind = form_text(form.get("kind"))
        answer = await settings.subscribe(
            portal.commands,
            kind=kind if kind in KIND_WORDS else None,
            hub_id=(form_text(form.get("hub")) or "").strip() or None,
            staff_id=session.staff_id,
        )
        return told(session, answer)

    async def unsubscribe(request: Request) -> Response:
        session, form = await pages.csrf_checked(request)
        answer = await settings.unsubscribe(
            portal.commands, subscription_id=form_text(form.get("id")), staff_id=session.staff_id
        )
        return told(session, answer)

    async def register_webhook(request: Request) -> Response:
        session, form = await pages.csrf_checked(request)
        if not session.has(MANAGER):
            return pages.render(session, "forbidden.html", 403, why=NOT_A_MANAGER)
        kind = form_text(form.get("kind"))
        registered = await webhooks.register(
            portal.commands,
            portal.partner_keys,
            webhook_id=(form_text(form.get("id")) or "").strip(),
            url=(form_text(form.get("url")) or "").strip(),
            kind=kind if kind in KIND_WORDS else None,
            staff_id=session.staff_id,
        )
        if registered.secret is None:
            return told(session, registered.answer)
        # The secret is on this answer alone: not in the session, not behind a redirect.
        shown = replace(session, notice=registered.answer.words)
        return await settings_page(request, shown, registered)

    async def remove_webhook(request: Request) -> Response:
        session, form = await pages.csrf_checked(request)
        if not session.has(MANAGER):
            return pages.render(session, "forbidden.html", 403, why=NOT_A_MANAGER)
        answer = await webhooks.remove(portal.commands, webhook_id=form_text(form.get("id")), staff_id=session.staff_id)
        return told(session, answer)

    return [
        Route("/settings", show),
        Route("/settings/preferences", preferences, methods=["POST"]),
        Route("/settings/subscriptions", subscribe, methods=["POST"]),
        Route("/settings/subscriptions/remove", unsubscribe, methods=["POST"]),
        Route("/settings/webhooks", register_webhook, methods=["POST"]),
        Route("/settings/webhooks/remove", remove_webhook, methods=["POST"]),
    ]
