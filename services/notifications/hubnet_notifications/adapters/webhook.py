"""Webhooks: an HTTP(S) POST of a small JSON document, signed per endpoint (hubnet_common.sdk.webhook_signature).

A minimal HTTP/1.1 client on asyncio streams (one request per connection, ``Connection: close``),
so it never blocks the event loop and needs no HTTP library. Redirects are not followed.

The host is resolved here, every address it resolves to is checked against the service's
`WebhookPolicy` (domain/webhook_address.py), and the connection goes to a checked address with the
name kept for TLS (SNI, certificate) and `Host`, so a DNS answer that changes between the check and
the connection (rebinding) cannot take it elsewhere. What is recorded of a failure is its reason
code (`FailureReason`: `webhook-refused`, `address-not-allowed`, `webhook-unreachable`, …); the
details go to the log only: the delivery records are read back by partners' operators and must not
echo an internal answer or the URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import socket
import ssl
from urllib.parse import urlsplit

import structlog

from hubnet_common.sdk.messages.notification_events import FailureReason
from hubnet_common.sdk.webhook_signature import HEADER, sign
from hubnet_notifications.domain.webhook_address import NOT_ALLOWED, Address, WebhookPolicy
from hubnet_notifications.handlers.ports import DeliveryFailed, DeliveryRefused

log = structlog.get_logger(__name__)

_MAX_HEAD = 64 * 1024


class WebhookRejected(DeliveryRefused):
    """The endpoint refused the delivery for good (4xx other than 408/429, 3xx, bad URL): do not retry."""

    reason = FailureReason.WEBHOOK_REFUSED


class WebhookUnavailable(DeliveryFailed):
    """A transient failure (5xx, 408, 429, timeout, connection error): retry later with backoff."""

    reason = FailureReason.WEBHOOK_UNREACHABLE


class _NotHttp(ValueError):
    pass


class WebhookSender:
    def __init__(
        self,
        *,
        timeout: float = 5.0,
        user_agent: str = "hubnet-notifications",
        policy: WebhookPolicy | None = None,
    ) -> None:
        self.timeout, self.user_agent = timeout, user_agent
        self.policy = policy or WebhookPolicy()
        self._ssl: ssl.SSLContext | None = None

    async def send(self, url: str, secret: str, document: dict, *, delivery_id: str) -> int:
        """POST ``document``; the status on 2xx, WebhookRejected for good, WebhookUnavailable to retry."""
        bound = log.bind(url=url, delivery_id=delivery_id)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise WebhookRejected("unsupported webhook URL: need https:// and a host", FailureReason.ADDRESS_INVALID)
        if (why := self.policy.refusal(url)) is not None:
            bound.warning("webhook URL not allowed", why=why)
            if why == NOT_ALLOWED:
                raise WebhookRejected(NOT_ALLOWED, FailureReason.ADDRESS_NOT_ALLOWED)
            raise WebhookRejected(f"unsupported webhook URL: {why}", FailureReason.ADDRESS_INVALID)
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)  # a bad port is refused by policy.refusal
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
                addresses = await self._resolve(host, port)
                if not addresses:
                    raise OSError(f"{host} has no address")
                if refused := [str(a) for a in addresses if not self.policy.allows(a)]:
                    bound.warning("webhook address not allowed", host=host, addresses=refused)
                    raise WebhookRejected(NOT_ALLOWED, FailureReason.ADDRESS_NOT_ALLOWED)
                status, reason, location = await self._exchange(
                    addresses, host, port, https, head.encode("latin-1") + body
                )
        except TimeoutError as exc:
            bound.info("webhook receiver did not answer in time", timeout=self.timeout)
            raise WebhookUnavailable(f"no answer within {self.timeout}s") from exc
        except _NotHttp as exc:
            bound.info("webhook receiver's answer is not HTTP", detail=str(exc))
            raise WebhookUnavailable("not an HTTP answer") from exc
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            bound.info("webhook receiver unreachable", error=f"{type(exc).__name__}: {exc}")
            raise WebhookUnavailable("unreachable") from exc
        if 200 <= status < 300:
            return status
        bound.info("webhook receiver answered", status=status, reason=reason[:200], location=(location or "")[:200])
        if 300 <= status < 400:
            raise WebhookRejected(
                f"receiver answered {status} (redirects are not followed)", FailureReason.WEBHOOK_REDIRECTED
            )
        if status in (408, 429) or status >= 500:
            raise WebhookUnavailable(f"receiver answered {status}", FailureReason.WEBHOOK_UNAVAILABLE)
        if 400 <= status < 500:
            raise WebhookRejected(f"receiver answered {status}")
        raise WebhookUnavailable(f"receiver answered unexpected status {status}", FailureReason.WEBHOOK_UNAVAILABLE)

    async def _resolve(self, host: str, port: int) -> list[Address]:
        """Every address of `host` (itself when it is an address), in the resolver's order."""
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        found: list[Address] = []
        for *_, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
            if address not in found:
                found.append(address)
        return found

    async def _exchange(
        self, addresses: list[Address], host: str, port: int, https: bool, request: bytes
    ) -> tuple[int, str, str | None]:
        """Send the request to the first of the checked `addresses` that takes the connection (TLS
        for `host`); the status, reason and Location of the answer (the body is not read)."""
        if https and self._ssl is None:
            self._ssl = ssl.create_default_context()
        failure: OSError | None = None
        for address in addresses:
            try:
                reader, writer = await asyncio.open_connection(
                    str(address),
                    port,
                    ssl=self._ssl if https else None,
                    server_hostname=host if https else None,
                    limit=_MAX_HEAD,
                )
                break
            except OSError as exc:
                failure = exc
        else:
            raise failure or OSError("no address to connect to")
        try:
            writer.write(request)
            await writer.drain()
            version, _, rest = (await reader.readuntil(b"\r\n")).decode("latin-1").strip().partition(" ")
            code, _, reason = rest.partition(" ")
            if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
                raise _NotHttp(f"not an HTTP/1.x status line: {version} {rest}"[:200])
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
