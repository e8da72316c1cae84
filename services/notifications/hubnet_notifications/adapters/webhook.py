"""Webhooks: an HTTP(S) POST of a small JSON document, signed per endpoint (hubnet_common.sdk.webhook_signature).

A minimal HTTP/1.1 client on asyncio streams (one request per connection, ``Connection: close``),
so it never blocks the event loop and needs no HTTP library. Redirects are not followed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from urllib.parse import urlsplit

from hubnet_common.sdk.webhook_signature import HEADER, sign
from hubnet_notifications.handlers.ports import DeliveryRefused

_MAX_HEAD = 64 * 1024


class WebhookRejected(DeliveryRefused):
    """The endpoint refused the delivery for good (4xx other than 408/429, 3xx, bad URL): do not retry."""


class WebhookUnavailable(Exception):
    """A transient failure (5xx, 408, 429, timeout, connection error): retry later with backoff."""


class WebhookSender:
    def __init__(self, *, timeout: float = 5.0, user_agent: str = "hubnet-notifications") -> None:
        self.timeout, self.user_agent = timeout, user_agent
        self._ssl: ssl.SSLContext | None = None

    async def send(self, url: str, secret: str, document: dict, *, delivery_id: str) -> int:
        """POST ``document``; the status on 2xx, WebhookRejected for good, WebhookUnavailable to retry."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise WebhookRejected(f"unsupported webhook URL {url!r}: need http:// or https:// and a host")
        https = parts.scheme == "https"
        try:
            port = parts.port or (443 if https else 80)
        except ValueError as exc:
            raise WebhookRejected(f"bad port in webhook URL {url!r}") from exc
        host = parts.hostname
        host_header = f"[{host}]" if ":" in host else host
        if parts.port:
            host_header += f":{parts.port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        body = json.dumps(document, separators=(",", ":")).encode()
        headers = {
            "Host": host_header,
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            HEADER: sign(body, secret),
            "Hubnet-Delivery": delivery_id,
            "User-Agent": self.user_agent,
            "Connection": "close",
        }
        for value in headers.values():
            if "\r" in value or "\n" in value:
                raise ValueError("header values must not contain line breaks")
        head = f"POST {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        try:
            async with asyncio.timeout(self.timeout):
                status, reason, location = await self._exchange(host, port, https, head.encode("latin-1") + body)
        except TimeoutError as exc:
            raise WebhookUnavailable(f"{url}: no answer within {self.timeout}s") from exc
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            raise WebhookUnavailable(f"{url}: {type(exc).__name__}: {exc}") from exc
        if 200 <= status < 300:
            return status
        if 300 <= status < 400:
            raise WebhookRejected(f"{url} answered {status} {reason} (redirect to {location or '?'} not followed)")
        if status in (408, 429) or status >= 500:
            raise WebhookUnavailable(f"{url} answered {status} {reason}")
        if 400 <= status < 500:
            raise WebhookRejected(f"{url} answered {status} {reason}")
        raise WebhookUnavailable(f"{url} answered unexpected status {status} {reason}")

    async def _exchange(self, host: str, port: int, https: bool, request: bytes) -> tuple[int, str, str | None]:
        """Send the request; the status, reason and Location of the answer (the body is not read)."""
        if https and self._ssl is None:
            self._ssl = ssl.create_default_context()
        reader, writer = await asyncio.open_connection(
            host,
            port,
            ssl=self._ssl if https else None,
            limit=_MAX_HEAD,
        )
        try:
            writer.write(request)
            await writer.drain()
            version, _, rest = (await reader.readuntil(b"\r\n")).decode("latin-1").strip().partition(" ")
            code, _, reason = rest.partition(" ")
            if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
                raise ValueError(f"not an HTTP/1.x status line: {version} {rest}"[:200])
            location = None
            while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "location":
                    location = value.strip()
            return int(code), reason, location
        finally:
            writer.close()
            with contextlib.suppress(Exception):  # bounded: a peer that never closes must not hang us
                await asyncio.wait_for(writer.wait_closed(), 1.0)
