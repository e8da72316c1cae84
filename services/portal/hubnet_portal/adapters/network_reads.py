"""The directory (the referrals service's HSDS routes) and the hub events (the events service's
/hub-events), asked as the staff member. Fields the pages do not know are left alone: the HSDS
answers may grow."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import httpx

from hubnet_portal.handlers.ports import NotLoggedIn

PER_PAGE = 50


class NetworkReadsOverHttp:
    def __init__(self, referrals_url: str, events_url: str) -> None:
        self.referrals_url, self.events_url = referrals_url.rstrip("/"), events_url.rstrip("/")
        self._http = httpx.AsyncClient(timeout=10.0)

    async def services(self, token: str, search: dict[str, str]) -> list[dict[str, Any]]:
        params = {**{k: v for k, v in search.items() if v}, "per_page": PER_PAGE}
        page = (await self._get(token, f"{self.referrals_url}/services", params)).json()
        ids = [item["id"] for item in page.get("contents", []) if isinstance(item, dict) and "id" in item]
        # the list holds a service's own fields; its languages, hubs and capacity are in its page
        found = await asyncio.gather(*(self._get(token, f"{self.referrals_url}/services/{quote(i)}", {}) for i in ids))
        return [answer.json() for answer in found]

    async def hubs(self, token: str) -> list[dict[str, Any]]:
        return (await self._get(token, f"{self.referrals_url}/locations", {"per_page": 200})).json().get("contents", [])

    async def calendar(self, token: str, hub_id: str | None) -> list[dict[str, Any]]:
        return (await self._get(token, f"{self.events_url}/hub-events", {"hub": hub_id} if hub_id else {})).json()

    async def hub_event(self, token: str, hub_event_id: str) -> dict[str, Any] | None:
        answer = await self._ask(token, f"{self.events_url}/hub-events/{quote(hub_event_id)}", {})
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return answer.json()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(self, token: str, url: str, params: dict[str, Any]) -> httpx.Response:
        answer = await self._ask(token, url, params)
        answer.raise_for_status()
        return answer

    async def _ask(self, token: str, url: str, params: dict[str, Any]) -> httpx.Response:
        answer = await self._http.get(url, params=params, headers={"authorization": f"Bearer {token}"})
        if answer.status_code == 401:
            raise NotLoggedIn(f"{url} refused the staff member's token")
        return answer
