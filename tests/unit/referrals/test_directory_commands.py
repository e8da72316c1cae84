"""Partners keep their own directory entries: services, places, their name and keys; the seed never
overwrites what they set (handlers/directory.py on in-memory repositories)."""

import json
from datetime import UTC, datetime

import pytest

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.keys import generate
from hubnet_common.sdk.messages.directory import PartnerUpserted, ServiceUpserted
from hubnet_common.sdk.messages.directory_commands import UpdateCapacity, UpdatePartner, UpsertService
from hubnet_referrals.domain.directory import Hub, Partner, Service
from hubnet_referrals.domain.referral import NotPermitted, SenderUnknown, ServiceUnknown
from hubnet_referrals.handlers.directory import (
    HubUnknown,
    KeyDiffers,
    PartnerUnknown,
    admit_partner,
    change_standing,
    load_directory,
    update_capacity,
    update_partner,
    upsert_service,
)
from tests.unit.common.fakes.referrals import FakeReferralsUnitOfWork

KEY = "A" * 43 + "="


async def directory() -> FakeReferralsUnitOfWork:
    uow = FakeReferralsUnitOfWork()
    await uow.directory.upsert_partner(Partner("brg", "BRG"))
    await uow.directory.upsert_partner(Partner("poseidon", "Poseidon"))
    await uow.directory.upsert_partner(Partner("gone", "Gone", active=False))
    await uow.directory.upsert_hub(Hub("hjallbo", "Hjällbo"))
    await uow.directory.upsert_hub(Hub("closed", "Closed", active=False))
    await uow.directory.upsert_service(Service("brg-coaching", "brg", "Coaching", ("hjallbo",), available_places=3))
    return uow


async def handle(uow, handler, command, by: str = "brg", at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> list[dict]:
    envelope = Envelope.new(type=command.ce_type, source=partner_source(by), subject="x")
    envelope = Envelope(envelope.id, envelope.source, envelope.type, envelope.subject, at, envelope.traceparent)
    async with uow:
        await handler(command, envelope, uow)
        published = [json.loads(o.body) | {"_type": o.envelope.type} for o in uow.pending]
        await uow.commit()
    return published


async def test_the_owner_updates_its_places_and_the_change_is_published_with_its_time():
    uow = await directory()
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    [fact] = await handle(uow, update_capacity, UpdateCapacity(service_id="brg-coaching", available_places=0), at=at)
    assert fact["_type"] == ServiceUpserted.ce_type
    assert (fact["service_id"], fact["available_places"], datetime.fromisoformat(fact["capacity_updated_at"])) == (
        "brg-coaching",
        0,
        at,
    )
    assert uow.directory.services["brg-coaching"].is_full


@pytest.mark.parametrize(
    ("by", "service_id", "refusal"),
    [
        ("poseidon", "brg-coaching", NotPermitted),
        ("brg", "no-such-service", ServiceUnknown),
        ("gone", "brg-coaching", SenderUnknown),
        ("stranger", "brg-coaching", SenderUnknown),
    ],
)
async def test_only_the_owning_partner_updates_the_places(by, service_id, refusal):
    uow = await directory()
    with pytest.raises(refusal):
        await handle(uow, update_capacity, UpdateCapacity(service_id=service_id, available_places=9), by=by)
    assert uow.directory.services["brg-coaching"].available_places == 3


async def test_a_new_service_is_published_whole_and_the_same_again_changes_nothing():
    uow = await directory()
    command = UpsertService(
        service_id="brg-language",
        name="Språkcafé",
        hub_ids=["hjallbo"],
        available_places=5,
        ack_within_days=3,
        answer_within_days=10,
        languages=["sv", "ar"],
        contact_email="sprak@brg.test",
    )
    [fact] = await handle(uow, upsert_service, command)
    assert {
        k: fact[k]
        for k in (
            "service_id",
            "partner_id",
            "name",
            "hub_ids",
            "available_places",
            "ack_within_days",
            "answer_within_days",
            "languages",
            "contact_email",
        )
    } == {
        "service_id": "brg-language",
        "partner_id": "brg",
        "name": "Språkcafé",
        "hub_ids": ["hjallbo"],
        "available_places": 5,
        "ack_within_days": 3,
        "answer_within_days": 10,
        "languages": ["sv", "ar"],
        "contact_email": "sprak@brg.test",
    }
    assert uow.directory.services["brg-language"].answer_within_days == 10
    assert await handle(uow, upsert_service, command) == []


async def test_renaming_a_service_keeps_the_time_its_places_last_changed():
    uow = await directory()
    first, later = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)
    await handle(
        uow,
        upsert_service,
        UpsertService(service_id="brg-coaching", name="Coaching", hub_ids=["hjallbo"], available_places=4),
        at=first,
    )
    [fact] = await handle(
        uow,
        upsert_service,
        UpsertService(service_id="brg-coaching", name="Företagscoaching", hub_ids=["hjallbo"], available_places=4),
        at=later,
    )
    assert datetime.fromisoformat(fact["capacity_updated_at"]) == first


async def test_a_partner_changing_its_service_keeps_the_needs_the_operators_seeded():
    uow = await directory()
    await uow.directory.upsert_service(
        Service("brg-coaching", "brg", "Coaching", ("hjallbo",), available_places=3, needs=("own-business",))
    )
    await handle(uow, upsert_service, UpsertService(service_id="brg-coaching", name="Nytt namn", hub_ids=["hjallbo"]))
    stored = await uow.directory.service("brg-coaching")
    assert stored is not None and (stored.name, stored.needs) == ("Nytt namn", ("own-business",))


@pytest.mark.parametrize(
    ("by", "hub_ids", "refusal"),
    [
        ("poseidon", ["hjallbo"], NotPermitted),  # brg's service
        ("brg", ["kortedala"], HubUnknown),
        ("brg", ["closed"], HubUnknown),
    ],
)
async def test_a_service_of_another_partner_or_at_no_active_hub_is_refused(by, hub_ids, refusal):
    uow = await directory()
    with pytest.raises(refusal):
        await handle(
            uow, upsert_service, UpsertService(service_id="brg-coaching", name="Taken", hub_ids=hub_ids), by=by
        )
    assert uow.directory.services["brg-coaching"].name == "Coaching"


async def test_a_partner_renames_itself_and_sets_its_key_but_not_another_partners():
    uow = await directory()
    [fact] = await handle(uow, update_partner, UpdatePartner(partner_id="brg", encryption_public_key=KEY))
    assert (fact["_type"], fact["partner_id"], fact["name"], fact["encryption_public_key"]) == (
        PartnerUpserted.ce_type,
        "brg",
        "BRG",
        KEY,
    )
    with pytest.raises(NotPermitted):
        await handle(uow, update_partner, UpdatePartner(partner_id="poseidon", name="Taken"))
    assert uow.directory.partners["poseidon"].name == "Poseidon"


async def test_the_seed_adds_what_is_new_and_never_overwrites_places_or_keys_the_partners_set():
    uow = await directory()
    await handle(uow, update_capacity, UpdateCapacity(service_id="brg-coaching", available_places=1))
    await handle(uow, update_partner, UpdatePartner(partner_id="brg", encryption_public_key=KEY))
    uow.committed.clear()
    async with uow:
        changed = await load_directory(
            uow,
            [Partner("brg", "BRG"), Partner("familjebostader", "Familjebostäder")],
            [Hub("hjallbo", "Hjällbo"), Hub("bergsjon", "Bergsjön")],
            [
                Service("brg-coaching", "brg", "Coaching", ("hjallbo",), available_places=12),
                Service("fb-info", "familjebostader", "Info", ("bergsjon",), available_places=20),
            ],
        )
    assert changed == 3  # the new partner, hub and service
    assert uow.directory.services["brg-coaching"].available_places == 1
    assert uow.directory.partners["brg"].encryption_public_key == KEY
    assert uow.directory.services["fb-info"].capacity_updated_at is not None
    assert sorted(o.envelope.type.split(".")[2] for o in uow.committed) == ["hub", "partner", "service"]


async def test_a_directory_change_carries_the_trace_of_the_command_that_made_it_and_a_refusal_names_the_owner():
    uow = await directory()
    envelope = Envelope.new(type=UpdateCapacity.ce_type, source=partner_source("brg"), subject="x")
    async with uow:
        await update_capacity(UpdateCapacity(service_id="brg-coaching", available_places=1), envelope, uow)
        [announced] = uow.pending
        await uow.commit()
    assert announced.envelope.traceparent.split("-")[1] == envelope.traceparent.split("-")[1]  # one trace
    stranger = Envelope.new(type=UpdateCapacity.ce_type, source=partner_source("poseidon"), subject="x")
    with pytest.raises(NotPermitted, match="belongs to brg"):
        async with uow:
            await update_capacity(UpdateCapacity(service_id="brg-coaching", available_places=9), stranger, uow)


async def test_an_operator_admits_a_partner_once_and_a_second_time_changes_nothing():
    uow = await directory()
    signing, sealing = generate("ed25519").public, generate("x25519").public
    partner, changed = await admit_partner(uow, "arbetsformedlingen", "Arbetsförmedlingen", signing, sealing)
    assert changed and (partner.status, partner.active) == ("active", True)
    [fact] = [PartnerUpserted.model_validate_json(o.body) for o in uow.committed]
    assert (fact.partner_id, fact.status, fact.encryption_public_key) == ("arbetsformedlingen", "active", sealing)
    assert [k.public_key for k in fact.signing_keys] == [signing]
    again, changed = await admit_partner(uow, "arbetsformedlingen", "Arbetsförmedlingen", signing, sealing)
    assert not changed and again == partner and len(uow.committed) == 1
    with pytest.raises(KeyDiffers):
        await admit_partner(uow, "arbetsformedlingen", "Arbetsförmedlingen", generate("ed25519").public, None)


async def test_suspending_resuming_and_removing_a_partner_is_published_and_removed_is_for_good():
    uow = await directory()
    signing = generate("ed25519").public
    await admit_partner(uow, "arbetsformedlingen", "Arbetsförmedlingen", signing, None)
    for status in ("suspended", "active", "removed"):
        partner, changed = await change_standing(uow, "arbetsformedlingen", status)
        assert changed and partner.status == status and partner.active == (status == "active")
    facts = [PartnerUpserted.model_validate_json(o.body) for o in uow.committed]
    assert [(f.status, f.active) for f in facts] == [
        ("active", True),
        ("suspended", False),
        ("active", True),
        ("removed", False),
    ]
    with pytest.raises(Refused, match="removed"):
        await change_standing(uow, "arbetsformedlingen", "active")
    with pytest.raises(Refused, match="removed"):
        await admit_partner(uow, "arbetsformedlingen", "Arbetsförmedlingen", signing, None)
    with pytest.raises(PartnerUnknown):
        await change_standing(uow, "nobody", "suspended")
