"""Wires the events service: which handler answers which message, on which unit of work (the
adapters of adapters/ bound to the ports of handlers/ports.py)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import asyncpg

from hubnet_common.sdk.messages import hubevent_commands as c
from hubnet_common.sdk.messages.referral_events import ParticipantErased
from hubnet_common.sdk.topics import DIRECTORY, HUB_EVENT_COMMANDS, REFERRAL_EVENTS
from hubnet_common.service.directory_copy import DIRECTORY_COPY_MIGRATIONS, directory_copy_handlers
from hubnet_common.service.processing import Route
from hubnet_common.service.runtime import Runtime, ServiceSpec, every
from hubnet_common.service.uow import UnitOfWork
from hubnet_events.adapters.uow import SERVICE, EventsUnitOfWork
from hubnet_events.entrypoints import http
from hubnet_events.handlers import change_hub_event, ports, referred, registrations
from hubnet_events.handlers.erase import erase_participant
from hubnet_events.handlers.reminders import remind_upcoming
from hubnet_events.handlers.schedule_hub_event import schedule_hub_event
from hubnet_events.settings import EventSettings

MIGRATIONS = Path(__file__).parent / "migrations"
# What `hubnet admin migrate` applies: found without building the service, so it needs no key.
MIGRATION_DIRS = [DIRECTORY_COPY_MIGRATIONS, MIGRATIONS]

COMMANDS = Route(
    HUB_EVENT_COMMANDS.name,
    {
        c.ScheduleHubEvent: schedule_hub_event,
        c.RegisterForHubEvent: registrations.register,
        c.CancelRegistration: registrations.cancel_registration,
        c.RecordAttendance: registrations.record_attendance,
        c.UpdateHubEvent: change_hub_event.update_hub_event,
        c.RescheduleOccurrence: change_hub_event.reschedule_occurrence,
        c.ChangeHubEventCapacity: change_hub_event.change_capacity,
        c.CancelHubEvent: change_hub_event.cancel_hub_event,
    },
    answers=True,
)
DIRECTORY_COPY = Route(DIRECTORY.name, directory_copy_handlers())
REFERRALS = Route(REFERRAL_EVENTS.name, {**referred.HANDLERS, ParticipantErased: erase_participant})


def spec(
    settings: EventSettings | None = None,
    uow_factory: Callable[[asyncpg.Pool], Callable[[], UnitOfWork]] | None = None,
) -> ServiceSpec:
    settings = settings or EventSettings()
    lead = timedelta(hours=settings.reminder_lead_hours)

    async def reminders(runtime: Runtime) -> int:
        # The runtime types its factory by hubnet_common's UnitOfWork, which knows no repositories
        # (libs/common/hubnet_common/service/uow.py); what it makes here is this service's.
        unit_of_work = cast(Callable[[], ports.UnitOfWork], runtime.unit_of_work)
        async with unit_of_work() as uow:
            return await remind_upcoming(uow, datetime.now(UTC), lead)

    return ServiceSpec(
        name=SERVICE,
        migrations=MIGRATION_DIRS,
        routes=[COMMANDS, DIRECTORY_COPY, REFERRALS],
        uow_factory=uow_factory or (lambda pool: lambda: EventsUnitOfWork(pool)),
        http_routes=http.ROUTES,
        description=http.DESCRIPTION,
        workers=[every(settings.reminder_check_seconds, reminders, "reminders")],
    )
