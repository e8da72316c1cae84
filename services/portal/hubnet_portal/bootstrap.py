"""The portal of one partner, put together: its identity provider client, the services' APIs, the
partner's Kafka client with its signing key, and the web app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.applications import Starlette

from hubnet_common.sdk.messages.base import Command
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.sdk.participant import custodian_public_key
from hubnet_common.sdk.partner import PartnerClient, answers_verifier
from hubnet_common.sdk.signing import own_signer
from hubnet_common.service.kafka_security import client_security
from hubnet_portal.adapters.data_keys import DataKeysOverHttp
from hubnet_portal.adapters.identity import OpenIdProvider
from hubnet_portal.adapters.network_reads import NetworkReadsOverHttp
from hubnet_portal.adapters.partner_keys import PartnerKeyFiles
from hubnet_portal.adapters.services import ServicesOverHttp
from hubnet_portal.adapters.sessions import InMemorySessions
from hubnet_portal.adapters.translations import catalogues
from hubnet_portal.entrypoints.web import Portal, web_app
from hubnet_portal.settings import PortalSettings


def partner_client(settings: PortalSettings) -> PartnerClient:
    """The partner's Kafka client: its login, its signing key, the service keys answers must carry.
    Made in the running event loop (aiokafka's clients need one)."""
    partner = settings.portal_partner
    if settings.keys_dir is None:
        raise LookupError("the portal needs HUBNET_KEYS_DIR: the hubnet services' public keys, to check answers with")
    return PartnerClient(
        settings.kafka_bootstrap,
        partner,
        signer=own_signer(f"partner-{partner}", settings.signing_key_file, settings.keys_dir),
        answers=answers_verifier(settings.keys_dir),
        topic_prefix=settings.topic_prefix,
        **client_security(settings),
    )


@dataclass
class NotStarted:
    """The portal's commands before its partner client has started (never answered: no page sends one)."""

    async def request(self, command: Command, *, timeout: float = 30.0) -> CommandAccepted | CommandRejected:
        raise TimeoutError("the partner client has not started")


def app(settings: PortalSettings | None = None) -> Starlette:
    settings = settings or PortalSettings()
    own_signer(f"partner-{settings.portal_partner}", settings.signing_key_file, settings.keys_dir)  # fail early
    identity = OpenIdProvider(
        settings.oidc_issuer,
        settings.client_id,
        f"{settings.address}/signed-in",
        f"{settings.address}/",
        leeway_seconds=settings.oidc_leeway_seconds,
    )
    services = ServicesOverHttp(settings.referrals_url, settings.notifications_url, settings.events_url)
    reads = NetworkReadsOverHttp(settings.referrals_url, settings.events_url)
    if settings.keys_dir is None:
        raise LookupError("the portal needs HUBNET_KEYS_DIR: the referrals service's public key, to seal numbers to")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with partner_client(settings) as client:
            portal.commands = client
            try:
                yield
            finally:
                portal.commands = NotStarted()
                await services.aclose()
                await reads.aclose()
                await identity.aclose()

    portal = Portal(
        partner=settings.portal_partner,
        identity=identity,
        services=services,
        data_keys=DataKeysOverHttp(
            settings.referrals_url, settings.portal_partner, settings.encryption_key, settings.keys_dir
        ),
        commands=NotStarted(),
        sessions=InMemorySessions(),
        translations=catalogues(),
        idle_seconds=settings.session_idle_minutes * 60,
        secure_cookies=settings.secure_cookies,
        issuer=settings.oidc_issuer,
        poll_seconds=settings.inbox_poll_seconds,
        directory=reads,
        hub_events=reads,
        custodian_key=custodian_public_key(settings.keys_dir),
        calendar_url=(settings.calendar_url or settings.events_url).rstrip("/"),
        keys=PartnerKeyFiles(settings.encryption_key),
    )
    return web_app(portal, lifespan)
