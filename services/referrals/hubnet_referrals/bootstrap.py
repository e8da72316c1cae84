"""Wires the referrals service: which handler answers which message, on which unit of work."""

from collections.abc import Callable
from pathlib import Path

import asyncpg
from hubnet_common.messages.referral_commands import CreateReferral
from hubnet_common.processing import Route
from hubnet_common.runtime import Runtime, ServiceSpec
from hubnet_common.topics import REFERRAL_COMMANDS, REFERRAL_REPLIES
from hubnet_common.uow import UnitOfWork

from hubnet_referrals.adapters.seed import read_network
from hubnet_referrals.adapters.uow import SERVICE, ReferralsUnitOfWork
from hubnet_referrals.handlers.create_referral import create_referral
from hubnet_referrals.handlers.load_directory import load_directory

MIGRATIONS = Path(__file__).parent / "migrations"

COMMANDS = Route(
    REFERRAL_COMMANDS.name,
    {CreateReferral: create_referral},
    replies_topic=REFERRAL_REPLIES.name,
)


async def load_seed(runtime: Runtime) -> None:
    async with ReferralsUnitOfWork(runtime.pool) as uow:
        await load_directory(uow, *read_network())


def spec(uow_factory: Callable[[asyncpg.Pool], Callable[[], UnitOfWork]] | None = None) -> ServiceSpec:
    return ServiceSpec(
        name=SERVICE,
        migrations=[MIGRATIONS],
        routes=[COMMANDS],
        uow_factory=uow_factory or (lambda pool: lambda: ReferralsUnitOfWork(pool)),
        on_start=[load_seed],
    )
