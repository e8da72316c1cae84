"""Partners keep their own directory entries: services, places, their name and keys; the seed never
overwrites what they set (handlers/directory.py on in-memory repositories)."""

import json
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.keys import generate
from hubnet_common.sdk.messages.directory import PartnerUpserted, ServiceUpserted
from hubnet_common.sdk.messages.directory_commands import UpdateCapacity, UpdatePartner, UpsertService
from hubnet_referrals.domain.directory import Hub, Partner, Schedule, Service
from hubnet_referrals.domain.referral import NotPermitted, SenderUnknown, ServiceUnknown
from hubnet_referrals.handlers.directory import (
    HubUnknown,
    KeyDiffers,
    NeedUnknown,
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


DESCRIBED = {
    "service_id": "brg-coaching",
    "name": "Coaching",
    "hub_ids": ["hjallbo", "bergsjon"],
    "description": "Rådgivning för dig som vill starta företag.",
    "application_process": "Boka ett möte på hubben.",
    "interpretation_services": "Tolk kan bokas.",
    "fees_description": "Kostnadsfritt.",
    "minimum_age": 18,
    "required_documents": ["Personnummer"],
    "needs": ["own-business", "sfi"],
    "schedules": [
        {"byday": "TH", "interval": 2, "opens_at": "13:00", "closes_at": "16:00", "hub_id": "hjallbo"},
        {"byday": "1WE", "freq": "MONTHLY", "opens_at": "17:00", "closes_at": "19:00", "valid_to": "2026-12-31"},
    ],
}


async def test_a_service_described_as_hsds_does_is_stored_and_published_whole():
    uow = await directory()
    await uow.directory.upsert_hub(Hub("bergsjon", "Bergsjön"))
    [fact] = await handle(uow, upsert_service, UpsertService.model_validate(DESCRIBED))
    assert {k: fact[k] for k in DESCRIBED if k not in ("service_id", "schedules")} == {
        k: v for k, v in DESCRIBED.items() if k not in ("service_id", "schedules")
    }
    assert [(s["byday"], s["hub_id"], s["valid_to"]) for s in fact["schedules"]] == [
        ("TH", "hjallbo", None),
        ("1WE", None, "2026-12-31"),
    ]
    stored = uow.directory.services["brg-coaching"]
    assert stored.schedules[1] == Schedule("1WE", "17:00", "19:00", freq="MONTHLY", valid_to=date(2026, 12, 31))
    assert (stored.needs, stored.required_documents) == (("own-business", "sfi"), ("Personnummer",))


async def test_a_message_of_an_older_partner_keeps_the_description_and_a_newer_one_clears_what_it_empties():
    uow = await directory()
    await uow.directory.upsert_hub(Hub("bergsjon", "Bergsjön"))
    await handle(uow, upsert_service, UpsertService.model_validate(DESCRIBED))
    older = '{"service_id": "brg-coaching", "name": "Företagscoaching", "hub_ids": ["hjallbo", "bergsjon"]}'
    await handle(uow, upsert_service, UpsertService.model_validate_json(older))
    kept = uow.directory.services["brg-coaching"]
    assert (kept.name, kept.description, len(kept.schedules), kept.needs) == (
        "Företagscoaching",
        DESCRIBED["description"],
        2,
        ("own-business", "sfi"),
    )
    newer = UpsertService(service_id="brg-coaching", name="Företagscoaching", hub_ids=["hjallbo", "bergsjon"])
    await handle(uow, upsert_service, UpsertService.model_validate_json(newer.model_dump_json()))
    cleared = uow.directory.services["brg-coaching"]
    assert (cleared.description, cleared.schedules, cleared.needs, cleared.minimum_age) == ("", (), (), None)


async def test_opening_times_at_a_hub_the_service_leaves_go_with_it():
    uow = await directory()
    await uow.directory.upsert_hub(Hub("bergsjon", "Bergsjön"))
    await handle(uow, upsert_service, UpsertService.model_validate(DESCRIBED))
    await handle(uow, upsert_service, UpsertService(service_id="brg-coaching", name="Coaching", hub_ids=["bergsjon"]))
    assert [s.hub_id for s in uow.directory.services["brg-coaching"].schedules] == [None]


async def test_a_need_outside_the_taxonomy_is_refused():
    uow = await directory()
    command = UpsertService(service_id="brg-coaching", name="Coaching", hub_ids=["hjallbo"], needs=["astrology"])
    with pytest.raises(NeedUnknown, match="astrology"):
        await handle(uow, upsert_service, command)
    assert uow.directory.services["brg-coaching"].needs == ()


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"schedules": [{"byday": "MO", "opens_at": "16:00", "closes_at": "09:00"}]}, "not after opens_at"),
        ({"schedules": [{"byday": "MO", "opens_at": "9:00", "closes_at": "12:00"}]}, "pattern"),
        ({"schedules": [{"byday": "monday", "opens_at": "09:00", "closes_at": "12:00"}]}, "pattern"),
        ({"schedules": [{"byday": "MO", "opens_at": "09:00", "closes_at": "12:00", "hub_id": "tynnered"}]}, "tynnered"),
        ({"minimum_age": 30, "maximum_age": 20}, "below minimum_age"),
        ({"url": "javascript:alert(1)"}, "pattern"),
    ],
)
def test_a_description_that_cannot_be_right_is_not_a_valid_message(change, complaint):
    with pytest.raises(ValidationError, match=complaint):
        UpsertService.model_validate({**DESCRIBED, **change})


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
