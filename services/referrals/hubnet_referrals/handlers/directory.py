"""The directory: loaded from the seed of the real network, changed by partners' commands, and
every new or changed entry published on the log-compacted directory.v1 topic."""

from collections.abc import Iterable, Mapping
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.identity import partner_of
from hubnet_common.sdk.messages import directory as facts
from hubnet_common.sdk.messages.directory import HubUpserted, PartnerUpserted, ServiceUpserted, SigningKeyEntry
from hubnet_common.sdk.messages.directory_commands import RotateSigningKey, UpdateCapacity, UpdatePartner, UpsertService
from hubnet_common.sdk.signing import PublicSigningKey
from hubnet_referrals.domain import hsds
from hubnet_referrals.domain.directory import REMOVED, Hub, Partner, PartnerRemoved, Schedule, Service
from hubnet_referrals.domain.referral import NotPermitted, SenderUnknown, ServiceUnknown
from hubnet_referrals.handlers.ports import UnitOfWork


class HubUnknown(Refused):
    """No hub with this id in the directory."""

    code = "hub-unknown"


class NeedUnknown(Refused):
    """A need that is no term of the directory's taxonomy (GET /taxonomy_terms of the referrals service)."""

    code = "need-unknown"


async def load_directory(
    uow: UnitOfWork,
    partners: Iterable[Partner],
    hubs: Iterable[Hub],
    services: Iterable[Service],
    enrolments: Mapping[str, str] | None = None,
) -> int:
    """Store and announce every new or changed seed entry (idempotent); returns how many changed.

    `enrolments`: the operators' first signing key of each partner (partner id → public key),
    taken only by a partner that has none yet. A partner's keys and a service's capacity are the
    partners' own business: the seed does not overwrite what they have set."""
    enrolments = enrolments or {}
    changed = 0
    for partner in partners:
        stored = await uow.directory.partner(partner.id)
        if stored is not None:
            partner = replace(
                partner,
                active=stored.active,
                status=stored.status,
                encryption_public_key=stored.encryption_public_key,
                signing_keys=stored.signing_keys,
            )
        if partner.id in enrolments:
            partner = partner.enrol(enrolments[partner.id])
        changed += await _store_partner(uow, partner, None)
    for hub in hubs:
        if await uow.directory.upsert_hub(hub):
            uow.emit(HubUpserted(hub_id=hub.id, name=hub.name, active=hub.active), caused_by=None)
            changed += 1
    for service in services:
        stored_service = await uow.directory.service(service.id)
        if stored_service is not None:
            service = replace(
                service,
                available_places=stored_service.available_places,
                capacity_updated_at=stored_service.capacity_updated_at,
            )
        elif service.available_places is not None:
            service = replace(service, capacity_updated_at=datetime.now(UTC))
        changed += await _store_service(uow, service, None)
    await uow.commit()
    return changed


class AdmissionRefused(Exception):
    """An operator's change to the directory that cannot be made (not a command's refusal: no
    partner sees these codes)."""

    code = "refused"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PartnerUnknown(AdmissionRefused):
    """No partner with this id in the directory."""

    code = "partner-unknown"


class KeyDiffers(AdmissionRefused):
    """Admitting a partner again with another signing key: the partner rotates its own keys."""

    code = "key-differs"


async def admit_partner(
    uow: UnitOfWork, partner_id: str, name: str, signing_key: str, encryption_key: str | None
) -> tuple[Partner, bool]:
    """An operator admits a partner to the directory (`hubnet admin partner add`): its name, its
    first signing key and the key its copies are sealed to. Again with the same data changes
    nothing; a partner already there keeps its standing and its keys. Returns (the entry, whether
    it changed)."""
    stored = await uow.directory.partner(partner_id)
    if stored is not None and stored.status == REMOVED:
        raise PartnerRemoved(f"{partner_id} was removed from the network; admit it under a new id")
    key = PublicSigningKey(f"urn:hubnet:partner:{partner_id}", signing_key)
    if stored is None:
        partner = Partner(partner_id, name, encryption_public_key=encryption_key, signing_keys=(key,))
    else:
        if stored.signing_keys and key.id not in {k.id for k in stored.signing_keys}:
            raise KeyDiffers(
                f"{partner_id} is in the directory with other signing keys; it rotates them itself (RotateSigningKey)"
            )
        partner = replace(
            stored.enrol(signing_key), name=name, encryption_public_key=encryption_key or stored.encryption_public_key
        )
    changed = await _store_partner(uow, partner, None)
    await uow.commit()
    return partner, bool(changed)


async def change_standing(uow: UnitOfWork, partner_id: str, status: str) -> tuple[Partner, bool]:
    """An operator suspends, resumes or removes a partner: from then on every service refuses a
    suspended or removed partner's commands. Returns (the entry, whether it changed)."""
    stored = await uow.directory.partner(partner_id)
    if stored is None:
        raise PartnerUnknown(f"there is no partner {partner_id!r} in the directory")
    changed = await _store_partner(uow, stored.standing(status), None)
    await uow.commit()
    return stored.standing(status), bool(changed)


async def upsert_service(command: UpsertService, envelope: Envelope, uow: UnitOfWork) -> None:
    owner = (await _sender(uow, envelope)).id
    stored = await uow.directory.service(command.service_id)
    if stored is not None and stored.partner_id != owner:
        raise NotPermitted(f"the service {command.service_id} belongs to {stored.partner_id}")
    for hub_id in command.hub_ids:
        if not await uow.directory.hub_exists(hub_id):
            raise HubUnknown(f"there is no active hub {hub_id!r} in the directory")
    if unknown := sorted(set(command.needs) - hsds.TERMS.keys()):
        raise NeedUnknown(f"{', '.join(unknown)}: no such need in the directory's taxonomy")
    # What the message leaves out (a partner built against an older version of it) stays as stored.
    given = command.model_fields_set if stored is not None else UpsertService.model_fields.keys()
    changes = {name: _as_stored(name, getattr(command, name)) for name in given - {"service_id"}}
    base = stored or Service(id=command.service_id, partner_id=owner, name=command.name, hub_ids=())
    service = replace(base, **changes)
    places_kept = stored is not None and stored.available_places == service.available_places
    service = replace(
        service,
        capacity_updated_at=stored.capacity_updated_at if stored is not None and places_kept else envelope.time,
        # opening times kept from before stay only at hubs the service is still offered at
        schedules=tuple(s for s in service.schedules if s.hub_id is None or s.hub_id in service.hub_ids),
    )
    await _store_service(uow, service, envelope)


def _as_stored(name: str, value: Any) -> Any:
    if name == "schedules":
        return tuple(Schedule(**s.model_dump()) for s in value)
    return tuple(value) if isinstance(value, list) else value


async def update_capacity(command: UpdateCapacity, envelope: Envelope, uow: UnitOfWork) -> None:
    owner = (await _sender(uow, envelope)).id
    stored = await uow.directory.service(command.service_id)
    if stored is None:
        raise ServiceUnknown(f"there is no service {command.service_id!r} in the directory")
    if stored.partner_id != owner:
        raise NotPermitted(f"the service {command.service_id} belongs to {stored.partner_id}")
    await _store_service(
        uow, replace(stored, available_places=command.available_places, capacity_updated_at=envelope.time), envelope
    )


async def update_partner(command: UpdatePartner, envelope: Envelope, uow: UnitOfWork) -> None:
    sender = await _sender(uow, envelope)
    if command.partner_id != sender.id:
        raise NotPermitted(f"{sender.id} may change only its own directory entry, not {command.partner_id}'s")
    changes = command.model_dump(exclude={"partner_id"}, exclude_none=True)
    await _store_partner(uow, replace(sender, **changes), envelope)


async def rotate_signing_key(command: RotateSigningKey, envelope: Envelope, uow: UnitOfWork) -> None:
    sender = await _sender(uow, envelope)
    if command.partner_id != sender.id:
        raise NotPermitted(f"{sender.id} may rotate only its own signing key, not {command.partner_id}'s")
    rotated = sender.rotate_signing_key(command.public_key, command.proof, envelope.time, command.previous_valid_until)
    await _store_partner(uow, rotated, envelope)


async def _sender(uow: UnitOfWork, envelope: Envelope) -> Partner:
    """The sending partner, active in the directory."""
    partner_id = partner_of(envelope.source)
    partner = await uow.directory.partner(partner_id) if partner_id else None
    if partner is None or not partner.active:
        raise SenderUnknown(f"{partner_id or envelope.source} is not a partner in the directory")
    return partner


async def _store_partner(uow: UnitOfWork, partner: Partner, envelope: Envelope | None) -> int:
    if not await uow.directory.upsert_partner(partner):
        return 0
    keys = [
        SigningKeyEntry(public_key=k.public_key, valid_from=k.valid_from, valid_until=k.valid_until)
        for k in partner.signing_keys
    ]
    uow.emit(
        PartnerUpserted(
            partner_id=partner.id,
            name=partner.name,
            active=partner.active,
            encryption_public_key=partner.encryption_public_key,
            signing_keys=keys,
            status=partner.status,
        ),
        caused_by=envelope,
    )
    return 1


async def _store_service(uow: UnitOfWork, service: Service, envelope: Envelope | None) -> int:
    if not await uow.directory.upsert_service(service):
        return 0
    uow.emit(
        ServiceUpserted(
            service_id=service.id,
            partner_id=service.partner_id,
            name=service.name,
            hub_ids=list(service.hub_ids),
            active=service.active,
            available_places=service.available_places,
            capacity_updated_at=service.capacity_updated_at,
            ack_within_days=service.ack_within_days,
            answer_within_days=service.answer_within_days,
            eligibility=service.eligibility,
            languages=list(service.languages),
            contact_email=service.contact_email,
            contact_phone=service.contact_phone,
            description=service.description,
            alternate_name=service.alternate_name,
            url=service.url,
            application_process=service.application_process,
            interpretation_services=service.interpretation_services,
            fees_description=service.fees_description,
            minimum_age=service.minimum_age,
            maximum_age=service.maximum_age,
            required_documents=list(service.required_documents),
            schedules=[facts.Schedule(**asdict(s)) for s in service.schedules],
            needs=list(service.needs),
        ),
        caused_by=envelope,
    )
    return 1
