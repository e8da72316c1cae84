"""Before each occurrence, one reminder fact with the registration count, which notifications
turns into a reminder to the hub's hosts and the organiser's staff there."""

from datetime import datetime, timedelta

from hubnet_common.sdk.messages.hubevent_events import HubEventReminder
from hubnet_events.handlers.ports import UnitOfWork


async def remind_upcoming(uow: UnitOfWork, now: datetime, lead: timedelta, *, batch: int = 50) -> int:
    """Announce the occurrences starting within `lead` that have not been announced; how many."""
    due = await uow.occurrences.to_remind(now, now + lead, batch)
    for event, occurrence in due:
        uow.emit(
            HubEventReminder(
                hub_event_id=event.id,
                hub_id=event.hub_id,
                occurrence_starts_at=occurrence.starts_at,
                organiser_partner_id=event.organiser_partner_id,
                title=event.title,
                registered=len(occurrence.registered),
                waitlisted=len(occurrence.waitlist),
                capacity=occurrence.capacity,
            ),
            caused_by=None,
        )
        await uow.occurrences.reminded(occurrence, now)
    await uow.commit()
    return len(due)
