"""What the handlers need from the world, as Protocols: the repositories, the unit of work that
holds them on one transaction, and the key custodian. `bootstrap.py` binds the adapters
(`adapters/uow.py`, `adapters/custodian.py`); unit tests bind the fakes of
`tests/unit/common/fakes/referrals.py`. Only what the handlers (and the batch processor,
`hubnet_common/service/processing.py`) call is here."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.messages.base import Message
from hubnet_referrals.domain.consent import Consent
from hubnet_referrals.domain.data_key import DataKeyCopy
from hubnet_referrals.domain.directory import Hub, Partner, Service
from hubnet_referrals.domain.referral import Referral
from hubnet_referrals.domain.sla import SlaClock


class Referrals(Protocol):
    async def get(self, referral_id: str, *, for_update: bool = False) -> Referral | None: ...

    async def add(self, referral: Referral) -> None: ...

    async def save(self, referral: Referral) -> None:
        """Store the referral's status and personal data, and append its new history."""

    async def open_under_consent(self, consent_id: str) -> list[str]:
        """Ids of the open referrals made under the consent, in id order (locked for the change)."""

    async def open_of_participant(self, participant_ref: str) -> list[str]:
        """Ids of the resident's open referrals, in id order (locked for the change)."""

    async def ids_of_participant(self, participant_ref: str) -> list[str]:
        """Ids of all the resident's referrals, in id order."""

    async def erase_personal_data(self, *, consent_id: str | None = None, participant_ref: str | None = None) -> int:
        """Scrub the sealed contact details and free text (history too) of the referrals under a
        consent or of a resident; how many rows still held some."""


class Consents(Protocol):
    async def get(self, consent_id: str, *, for_update: bool = False) -> Consent | None: ...

    async def add(self, consent: Consent) -> None: ...

    async def save_withdrawal(self, consent: Consent) -> None: ...

    async def of_participant(self, participant_ref: str, *, for_update: bool = False) -> list[Consent]:
        """The resident's consents, in id order."""


class SlaClocks(Protocol):
    async def start(self, clock: SlaClock) -> None:
        """Start the clock (or restart one of the same referral and kind)."""

    async def stop(self, referral_id: str, at: datetime) -> None:
        """Stop every running clock of the referral."""

    async def due(self, now: datetime, limit: int) -> list[SlaClock]:
        """Running clocks due at `now`, earliest first (locked: one scheduler announces each)."""

    async def save(self, clock: SlaClock) -> None: ...


class Directory(Protocol):
    async def partner(self, partner_id: str) -> Partner | None: ...

    async def service(self, service_id: str) -> Service | None: ...

    async def hub_exists(self, hub_id: str) -> bool:
        """True for a known, active hub."""

    async def upsert_partner(self, partner: Partner) -> bool:
        """Store the partner and its signing keys; True when it is new or changed."""

    async def upsert_hub(self, hub: Hub) -> bool:
        """True when it is new or changed."""

    async def upsert_service(self, service: Service) -> bool:
        """True when it is new or changed."""


class Audit(Protocol):
    async def append(
        self,
        *,
        aggregate_id: str,
        actor: str,
        command_type: str,
        command_id: str,
        sent_at: datetime,
        outcome: str,
        code: str | None,
    ) -> None: ...


class DataKeys(Protocol):
    async def lock(self, participant_ref: str) -> None:
        """Serialise key work on one resident until the transaction ends."""

    async def copies(self, participant_ref: str) -> dict[str, DataKeyCopy]:
        """The resident's copies by holder."""

    async def put(self, participant_ref: str, copy: DataKeyCopy) -> None:
        """Add the holder's copy, or replace it."""

    async def destroy(self, participant_ref: str) -> int:
        """Delete every copy; how many there were."""

    async def key_made_at(self, participant_ref: str) -> datetime | None:
        """When the resident's data key was made; None when they have none."""

    async def held_despite_erasure(self, erased: dict[str, datetime]) -> list[str]:
        """Of the erased residents (ref -> time of the last key destroyed), those that still hold a
        copy of a key made by then (a restored backup brought it back)."""


class KeyCustodian(Protocol):
    """The service's own key pairs: its copy of every data key is sealed to one, residents'
    personnummer to another (docs/adr/0011-custodian-rotation-and-restores.md)."""

    @property
    def public_key(self) -> str:
        """The key the service's new copies of data keys are sealed to."""

    def new_key(self) -> bytes: ...

    def open(self, copy: DataKeyCopy) -> bytes:
        """The data key, from the service's own copy (with the private key of its `sealed_to`)."""

    def seal(self, data_key: bytes, public_key: str) -> str: ...

    def participant_ref(self, sealed_personnummer: str) -> str:
        """The resident's reference from their number sealed to this service (raises
        InvalidPersonalNumber); only the custodian holds the key it is made with."""


class UnitOfWork(Protocol):
    """The repositories on one transaction, and the messages it announces (written to the outbox
    when it commits); leaving it without `commit` undoes everything."""

    # Read-only here (properties), so an adapter's attribute may be of its own, narrower class.
    @property
    def referrals(self) -> Referrals: ...
    @property
    def consents(self) -> Consents: ...
    @property
    def sla(self) -> SlaClocks: ...
    @property
    def directory(self) -> Directory: ...
    @property
    def audit(self) -> Audit: ...
    @property
    def data_keys(self) -> DataKeys: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    def emit(self, message: Message, *, caused_by: Envelope | None, topic: str | None = None) -> Envelope:
        """Queue a message for the outbox."""

    async def first_delivery(self, consumer_group: str, envelope: Envelope) -> bool:
        """Record the message in the inbox; False when this group has already processed it."""

    async def first_deliveries(self, consumer_group: str, envelopes: list[Envelope]) -> set[str]:
        """Record the messages in the inbox; the ids this group has not processed before."""

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A context in which a failure undoes only what was done inside it."""

    async def commit(self) -> None: ...
