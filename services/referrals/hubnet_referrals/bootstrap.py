"""Wires the referrals service: which handler answers which command, on which unit of work, and
the SLA scheduler."""

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import cast

import asyncpg
import structlog

from hubnet_common.sdk.messages.directory_commands import RotateSigningKey, UpdateCapacity, UpdatePartner, UpsertService
from hubnet_common.sdk.messages.referral_commands import (
    CreateReferral,
    EraseParticipant,
    RecordConsent,
    WithdrawConsent,
)
from hubnet_common.sdk.topics import REFERRAL_COMMANDS
from hubnet_common.service.processing import Route
from hubnet_common.service.runtime import Runtime, ServiceSpec, every
from hubnet_common.service.uow import UnitOfWork
from hubnet_referrals.adapters.custodian import KeyCustodian
from hubnet_referrals.adapters.erasures import read_erasures
from hubnet_referrals.adapters.seed import read_enrolments, read_network
from hubnet_referrals.adapters.uow import SERVICE, ReferralsUnitOfWork
from hubnet_referrals.entrypoints import http
from hubnet_referrals.handlers import change_referral
from hubnet_referrals.handlers.audit import record_answer
from hubnet_referrals.handlers.consent import record_consent, withdraw_consent
from hubnet_referrals.handlers.create_referral import create_referral
from hubnet_referrals.handlers.directory import (
    load_directory,
    rotate_signing_key,
    update_capacity,
    update_partner,
    upsert_service,
)
from hubnet_referrals.handlers.erase import erase_again, erase_participant
from hubnet_referrals.handlers.overdue import announce_overdue
from hubnet_referrals.handlers.ports import KeyCustodian as CustodianPort
from hubnet_referrals.handlers.ports import UnitOfWork as UnitOfWorkPort
from hubnet_referrals.settings import ReferralSettings

MIGRATIONS = Path(__file__).parent / "migrations"
# What `hubnet admin migrate` applies: found without building the service, so it needs no key.
MIGRATION_DIRS = [MIGRATIONS]
log = structlog.get_logger(__name__)


def commands(custodian: CustodianPort) -> Route:
    return Route(
        REFERRAL_COMMANDS.name,
        {
            # both open what is sealed about the resident with the custodian's copy of their key
            CreateReferral: partial(create_referral, custodian=custodian),
            **change_referral.handlers(custodian),
            RecordConsent: partial(record_consent, custodian=custodian),
            WithdrawConsent: withdraw_consent,
            EraseParticipant: partial(erase_participant, custodian=custodian),
            UpsertService: upsert_service,
            UpdateCapacity: update_capacity,
            UpdatePartner: update_partner,
            RotateSigningKey: rotate_signing_key,
        },
        answers=True,
        on_answered=record_answer,
    )


def unit_of_work(runtime: Runtime) -> UnitOfWorkPort:
    """The runtime's factory is typed on hubnet_common's base class; `spec` makes it one of this
    service's units of work (adapters/uow.py, or a test's fake)."""
    return cast(UnitOfWorkPort, runtime.unit_of_work())


async def load_seed(runtime: Runtime) -> None:
    async with unit_of_work(runtime) as uow:
        await load_directory(uow, *read_network(), enrolments=read_enrolments(runtime.settings.keys_dir))


async def announce_due_breaches(runtime: Runtime) -> int:
    """Announce SLA breaches as they fall due (and those missed while the service was down)."""
    async with unit_of_work(runtime) as uow:
        announced = await announce_overdue(uow, datetime.now(UTC))
    if announced:
        log.info("overdue referrals announced", count=announced)
    return announced


async def erase_again_after_a_restore(runtime: Runtime) -> None:
    """Destroy again the data keys `referral.erasures.v1` says were destroyed, if the database still
    holds copies of them (docs/adr/0011-custodian-rotation-and-restores.md)."""
    erased = await read_erasures(runtime.settings)
    async with unit_of_work(runtime) as uow:
        again = await erase_again(uow, erased, at=datetime.now(UTC))
    if again:
        log.warning("erased again residents a restored database brought back", count=again)


def pg_unit_of_work(pool: asyncpg.Pool) -> Callable[[], ReferralsUnitOfWork]:
    """The PostgreSQL adapters (adapters/uow.py) bound to the handlers' ports."""

    def unit_of_work() -> ReferralsUnitOfWork:
        return ReferralsUnitOfWork(pool)

    return unit_of_work


# Let mypy check that the adapters fit the ports (handlers/ports.py).
_BINDINGS: tuple[Callable[[asyncpg.Pool], UnitOfWorkPort], Callable[[Path, Path, Path | None], CustodianPort]] = (
    ReferralsUnitOfWork,
    KeyCustodian,
)


def spec(
    settings: ReferralSettings | None = None,
    uow_factory: Callable[[asyncpg.Pool], Callable[[], UnitOfWork]] | None = None,
) -> ServiceSpec:
    settings = settings or ReferralSettings()
    custodian = KeyCustodian(settings.personnummer_key_path, settings.pseudonym_key_path, settings.custodian_key_path)
    return ServiceSpec(
        name=SERVICE,
        migrations=MIGRATION_DIRS,
        routes=[commands(custodian)],
        uow_factory=uow_factory or pg_unit_of_work,
        # Before anything is served: what a restored backup brought back of erased residents goes again.
        on_start=[erase_again_after_a_restore, load_seed],
        workers=[every(settings.sla_check_seconds, announce_due_breaches, "sla-breaches")],
        http_routes=http.ROUTES,
        description=http.DESCRIPTION,
    )
