"""What the handlers need of the world, and nothing more: the repositories they call, the unit of
work holding them, the senders of each channel and the delivery recorders. The adapters
(adapters/repository.py, adapters/uow.py, adapters/mailer.py, adapters/webhook.py,
adapters/accepted.py) satisfy these structurally; bootstrap.py binds them, and the unit tests use
the fakes of tests/unit/common/fakes/notifications.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, timedelta
from typing import Protocol

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.messages.base import Message
from hubnet_common.sdk.messages.notification_events import FailureReason
from hubnet_common.service.directory_copy import Known
from hubnet_common.service.uow import Outgoing
from hubnet_notifications.domain.notification import Notification
from hubnet_notifications.domain.staff import StaffMember
from hubnet_notifications.domain.subscription import Subscription, WebhookEndpoint
from hubnet_notifications.domain.wording import Wording


class DeliveryFailed(Exception):
    """A delivery that did not go through this time. `reason` is all that is told outward; the
    text is the detail (a server's reply, an address), for the log only."""

    reason: FailureReason = FailureReason.DELIVERY_ERROR

    def __init__(self, detail: str, reason: FailureReason | None = None) -> None:
        super().__init__(detail)
        if reason is not None:
            self.reason = reason


class DeliveryRefused(DeliveryFailed):
    """The receiver (mail server, webhook endpoint) refused the delivery for good: retrying will
    not help. The channels raise a subclass of it; anything else they raise is transient."""


# Repositories


class Staff(Protocol):
    async def all(self) -> list[StaffMember]: ...

    async def get(self, staff_id: str) -> StaffMember | None: ...

    async def upsert(self, m: StaffMember, *, replace: bool = True) -> None: ...

    async def digest_readers(self) -> list[StaffMember]: ...


class Subscriptions(Protocol):
    async def all(self) -> list[Subscription]: ...

    async def add(self, s: Subscription) -> bool: ...

    async def remove(self, subscription_id: str, staff_id: str) -> bool: ...


class Webhooks(Protocol):
    async def of_partners(self, partner_ids: frozenset[str]) -> list[WebhookEndpoint]: ...

    async def owner(self, webhook_id: str) -> str | None: ...

    async def deactivate(self, webhook_id: str) -> None: ...

    async def upsert(self, w: WebhookEndpoint) -> None: ...


# A notification, its address (e-mail or URL; None when its recipient is not stored), the webhook secret.
Due = tuple[Notification, str | None, str | None]


class Notifications(Protocol):
    async def add_all(self, notifications: list[Notification]) -> set[str]: ...

    async def add_at_commit(self, notifications: list[Notification]) -> None:
        """As `add_all`, but may be written later in the transaction, with others."""

    async def erase(self, about_ids: list[str]) -> int: ...

    async def claim_due(self, limit: int, lease: timedelta) -> list[Due]: ...

    async def handed_over_unanswered(self, limit: int) -> list[Notification]: ...

    async def record_attempt(
        self,
        n: Notification,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
        digest_day: date | None = None,
    ) -> bool: ...

    async def waiting_for_digest(self, staff_id: str) -> list[tuple[Notification, datetime]]: ...

    async def digest_sent(self, staff_id: str, day: date) -> bool: ...

    async def record_digest(self, staff_id: str, day: date, items: int) -> None: ...


class Directory(Protocol):
    """The service's copy of the directory (hubnet_common/service/directory_copy.py)."""

    async def hub(self, hub_id: str) -> Known | None: ...

    async def partner(self, partner_id: str) -> Known | None: ...

    async def service(self, service_id: str) -> Known | None: ...

    async def encryption_key(self, partner_id: str) -> str | None: ...


class UnitOfWork(Protocol):
    """One transaction: the repositories, the messages it announces (written to the outbox at
    `commit`); leaving it without `commit` undoes it."""

    # Read-only here, so that an adapter's more precise repository types satisfy them.
    @property
    def staff(self) -> Staff: ...

    @property
    def subscriptions(self) -> Subscriptions: ...

    @property
    def webhooks(self) -> Webhooks: ...

    @property
    def notifications(self) -> Notifications: ...

    @property
    def directory(self) -> Directory: ...

    def emit(self, message: Message, *, caused_by: Envelope | None, topic: str | None = None) -> Envelope: ...

    async def commit(self) -> None: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc_info: object) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


# Channels

HandedOver = Callable[[], Awaitable[None]]  # awaited once a mail's last byte is out


class Mailer(Protocol):
    async def send(self, to: str, wording: Wording, *, message_id: str, handed_over: HandedOver | None = None) -> None:
        """Send one mail; raises a DeliveryRefused when refused for good."""


class WebhookSender(Protocol):
    async def send(self, url: str, secret: str, document: dict, *, delivery_id: str) -> object:
        """POST the document; raises a DeliveryRefused when refused for good."""


# Delivery records (docs/adr/0001-delivery-outcomes.md)


class AcceptedOutcomes(Protocol):
    """Where acceptances are recorded at once (adapters/accepted.py)."""

    async def record(self, notification_id: str, attempts: int, fact: Outgoing) -> None: ...

    async def flush(self) -> None: ...


class Handover(Protocol):
    async def commit(self) -> None: ...


class Handovers(Protocol):
    """Marks a mail handed over the moment its last byte is out (adapters/accepted.py)."""

    def of(self, notification_id: str) -> AbstractAsyncContextManager[Handover]: ...
