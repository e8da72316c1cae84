"""Tell staff about facts: who and in which words come from the table in `domain.telling`; each
recipient gets an e-mail (sent by the delivery worker) and an inbox entry. Anyone who subscribed
to that kind of fact (for that partner, service or hub) is told too, and every webhook endpoint of
a partner the fact concerns that asked for that kind.

A fact older than `notify_within` when it is read is news to nobody: its inbox entries are made
(the inbox is rebuilt whole from a replay) but no mail is sent and no webhook called.
"""

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import structlog

from hubnet_common.sdk.envelope import Envelope, uuid7
from hubnet_common.sdk.messages.base import Message
from hubnet_common.service.processing import Handler
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.staff import StaffMember, add_subscribers
from hubnet_notifications.domain.subscription import About, kind_of, webhook_document
from hubnet_notifications.domain.telling import NAMED, TELLINGS, Names, Telling
from hubnet_notifications.handlers.ports import UnitOfWork

log = structlog.get_logger(__name__)
CHANNELS = ("email", "inbox")


def notifier(
    base_url: str, notify_within: timedelta = timedelta(hours=24), *, partner_urls: Mapping[str, str] | None = None
) -> dict[type[Message], Handler]:
    """The handlers of this service, by fact type, with links pointing at `base_url`, or for a
    partner in `partner_urls` at its own address (its staff portal, or its own system)."""
    own = dict(partner_urls or {})

    def base_of(partner_id: str) -> str:
        return own.get(partner_id, base_url).rstrip("/")

    async def notify(fact, envelope: Envelope, uow: UnitOfWork) -> None:
        telling = TELLINGS[type(fact)]
        fresh = datetime.now(UTC) - envelope.time <= notify_within
        # DEBUG: a replay reads millions of old facts, and their "processed" lines say enough.
        # The level is asked first: formatting the time alone cost a replay 2-3 % (BENCHMARKS.md).
        if not fresh and log.is_enabled_for(logging.DEBUG):
            log.debug("too old to send: inbox entries only", fact_time=envelope.time.isoformat())
        path = telling.case.path(fact)
        await _tell(uow, envelope, fact, telling, lambda partner_id: f"{base_of(partner_id)}{path}", fresh=fresh)

    return {fact_type: notify for fact_type in TELLINGS}


async def _tell(
    uow: UnitOfWork, envelope: Envelope, fact, telling: Telling, link: Callable[[str], str], *, fresh: bool
) -> None:
    about, names, staff = telling.case.about(fact), await _names(uow, fact), await uow.staff.all()
    notifications = [
        Notification.for_staff(
            member,
            channel,
            telling.words(member.language, fact, names, link(member.partner_id)),
            link=link(member.partner_id),
            source=envelope,
        )
        for member in await _recipients(uow, envelope, about, telling.told(staff, fact))
        for channel in (CHANNELS if fresh else ("inbox",))
    ]
    if fresh:
        notifications += await _webhook_calls(uow, envelope, about, telling.case.status(fact), link)
    # An inbox entry is not announced on notification.events.v1: it is written with the fact that
    # caused it, so its record would say nothing a consumer does not know (BENCHMARKS.md).
    await uow.notifications.add_at_commit(notifications)


async def _recipients(uow: UnitOfWork, envelope: Envelope, about: About, told: list[StaffMember]) -> list[StaffMember]:
    """Those the table chose, and subscribers to this kind of fact."""
    kind = kind_of(envelope.type)
    wanted = {s.staff_id for s in await uow.subscriptions.all() if s.matches(kind, about)}
    return add_subscribers(told, await uow.staff.all() if wanted else [], wanted)


async def _webhook_calls(
    uow: UnitOfWork, envelope: Envelope, about: About, status: str, link: Callable[[str], str]
) -> list[Notification]:
    kind, calls = kind_of(envelope.type), []
    for endpoint in await uow.webhooks.of_partners(about.partner_ids):
        if endpoint.wants(kind, about):
            notification_id = uuid7()
            document = webhook_document(
                notification_id,
                kind,
                fact_id=envelope.id,
                subject=envelope.subject,
                about=about,
                status=status,
                link=link(endpoint.partner_id),
                at=envelope.time.isoformat(),
            )
            calls.append(
                Notification.for_webhook(
                    notification_id, endpoint.id, document, link=link(endpoint.partner_id), source=envelope
                )
            )
    return calls


async def _names(uow: UnitOfWork, fact) -> Names:
    """Readable names from the directory copy; the id when the directory has not arrived yet."""
    names, fields = {}, type(fact).model_fields
    for name, (part, field) in NAMED.items():
        # Not getattr with a default: a field the fact lacks goes through pydantic's slow __getattr__.
        if field in fields and (id_ := getattr(fact, field)) is not None:
            names[name] = getattr(await getattr(uow.directory, part)(id_), "name", id_)
    return Names(**names)
