"""The portal of one partner, put together: its identity provider client, the services' APIs, the
partner's Kafka client with its signing key, and the web app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.applications import Starlette

from hubnet_common.sdk.partner import PartnerClient, answers_verifier
from hubnet_common.sdk.signing import own_signer
from hubnet_common.service.kafka_security import client_security
from hubnet_portal.adapters.identity import OpenIdProvider
from hubnet_portal.adapters.services import ServicesOverHttp
from hubnet_portal.adapters.sessions import InMemorySessions
from hubnet_portal.adapters.translations import catalogues
from hubnet_portal.entrypoints.web import Portal, web_app
from hubnet_portal.settings import PortalSettings


@dataclass
class Parts:
    identity: OpenIdProvider
    services: ServicesOverHttp
    commands: PartnerClient


def parts(settings: PortalSettings) -> Parts:
    partner = settings.portal_partner
    if settings.keys_dir is None:
        raise LookupError("the portal needs HUBNET_KEYS_DIR: the hubnet services' public keys, to check answers with")
    return Parts(
        identity=OpenIdProvider(
            settings.oidc_issuer,
            settings.client_id,
            f"{settings.address}/signed-in",
            f"{settings.address}/",
            leeway_seconds=settings.oidc_leeway_seconds,
        ),
        services=ServicesOverHttp(settings.referrals_url, settings.notifications_url),
        commands=PartnerClient(
            settings.kafka_bootstrap,
            partner,
            signer=own_signer(f"partner-{partner}", settings.signing_key_file, settings.keys_dir),
            answers=answers_verifier(settings.keys_dir),
            topic_prefix=settings.topic_prefix,
            **client_security(settings),
        ),
    )


def app(settings: PortalSettings | None = None) -> Starlette:
    settings = settings or PortalSettings()
    made = parts(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with made.commands:
            try:
                yield
            finally:
                await made.services.aclose()
                await made.identity.aclose()

    portal = Portal(
        partner=settings.portal_partner,
        identity=made.identity,
        services=made.services,
        commands=made.commands,
        sessions=InMemorySessions(),
        translations=catalogues(),
        idle_seconds=settings.session_idle_minutes * 60,
        secure_cookies=settings.secure_cookies,
        issuer=settings.oidc_issuer,
        poll_seconds=settings.inbox_poll_seconds,
    )
    return web_app(portal, lifespan)
