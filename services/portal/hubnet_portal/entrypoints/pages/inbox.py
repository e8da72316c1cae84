"""The staff member's notifications:

GET  /inbox                   unread first
GET  /inbox/entries           the entries, when they changed (what the inbox page polls for)
POST /inbox/read              mark one read
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hubnet_portal.domain.session import Session
from hubnet_portal.domain.worklist import portal_path
from hubnet_portal.entrypoints.site import Pages, form_text

ENTRY_ID = re.compile(r"^[0-9a-fA-F-]{1,64}$")


def routes(pages: Pages) -> list[Route]:
    portal = pages.portal

    async def inbox_of(session: Session) -> dict[str, Any]:
        inbox = await portal.services.inbox(session.tokens.access_token)
        for entry in inbox["items"]:
            entry["path"] = portal_path(entry.get("link"))
        return inbox

    async def inbox(request: Request) -> Response:
        session = await pages.staff(request)
        live = pages.with_live(session, "inbox_entries.html", "/inbox/entries", inbox=await inbox_of(session))
        return pages.render(session, "inbox.html", page="inbox", **live)

    async def inbox_entries(request: Request) -> Response:
        session = await pages.staff(request)
        return pages.live(request, session, "inbox_entries.html", inbox=await inbox_of(session))

    async def mark_read(request: Request) -> Response:
        session, form = await pages.csrf_checked(request)
        entry_id = form_text(form.get("id"))
        if entry_id and ENTRY_ID.match(entry_id):
            await portal.services.mark_read(session.tokens.access_token, entry_id)
        return RedirectResponse("/inbox", status_code=303)

    return [
        Route("/inbox", inbox),
        Route("/inbox/entries", inbox_entries),
        Route("/inbox/read", mark_read, methods=["POST"]),
    ]
