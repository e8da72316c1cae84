"""The services' HTTP APIs, asked as the staff member (their access token as the bearer)."""

from __future__ import annotations

from typing import Any

import httpx

from hubnet_portal.handlers.ports import NotLoggedIn


class ServicesOverHttp:
    def __init__(self, referrals_url: str, notifications_url: str, events_url: str) -> None:
        self.referrals_url, self.notifications_url = referrals_url.rstrip("/"), notifications_url.rstrip("/")
        self.events_url = events_url.rstrip("/")
        self._http = httpx.AsyncClient(timeout=10.0)

    async def inbox(self, token: str) -> dict[str, Any]:
        return (await self._get(token, f"{self.notifications_url}/inbox", {"size": 50})).json()

    async def mark_read(self, token: str, entry_id: str) -> bool:
        answer = await self._ask(token, "POST", f"{self.notifications_url}/inbox/read", {"id": entry_id})
        return answer.status_code == 200

    async def referrals(
        self, token: str, role: str, *, filters: dict[str, str] | None = None, offset: int = 0, limit: int = 200
    ) -> list[dict[str, Any]]:
        params = {**(filters or {}), "role": role, "offset": offset, "limit": limit}
        return (await self._get(token, f"{self.referrals_url}/referrals", params)).json()

    async def referral(self, token: str, referral_id: str) -> dict[str, Any] | None:
        answer = await self._ask(token, "GET", f"{self.referrals_url}/referral", {"id": referral_id})
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return answer.json()

    async def directory(self, token: str) -> dict[str, Any]:
        return (await self._get(token, f"{self.referrals_url}/directory", {})).json()

    async def report(self, token: str, group_by: str, since: str | None = None) -> dict[str, Any]:
        params = {"group_by": group_by, **({"since": since} if since else {})}
        return (await self._get(token, f"{self.referrals_url}/report", params)).json()

    async def event_figures(self, token: str, since: str | None = None) -> list[dict[str, Any]]:
        return (await self._get(token, f"{self.events_url}/figures", {"since": since} if since else {})).json()

    async def own_record(self, token: str) -> dict[str, Any] | None:
        answer = await self._ask(token, "GET", f"{self.notifications_url}/staff/me", {})
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return answer.json()

    async def subscriptions(self, token: str) -> list[dict[str, Any]]:
        return (await self._get(token, f"{self.notifications_url}/subscriptions", {})).json()

    async def webhooks(self, token: str) -> list[dict[str, Any]]:
        return (await self._get(token, f"{self.notifications_url}/webhooks", {})).json()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(self, token: str, url: str, params: dict[str, Any]) -> httpx.Response:
        answer = await self._ask(token, "GET", url, params)
        answer.raise_for_status()
        return answer

    async def _ask(self, token: str, method: str, url: str, params: dict[str, Any]) -> httpx.Response:
        answer = await self._http.request(method, url, params=params, headers={"authorization": f"Bearer {token}"})
        if answer.status_code == 401:
            raise NotLoggedIn(f"{url} refused the staff member's token")
        return answer
