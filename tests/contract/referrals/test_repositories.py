"""What the handlers rely on of the referrals repositories (handlers/ports.py), the same for the
fakes and for PostgreSQL (conftest.py runs each test against both)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hubnet_common.sdk.keys import generate
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, MainActivity, Purpose, ReasonCode, Status
from hubnet_common.sdk.signing import PublicSigningKey
from hubnet_referrals.adapters.audit import entries
from hubnet_referrals.adapters.uow import ReferralsUnitOfWork
from hubnet_referrals.domain.consent import Consent
from hubnet_referrals.domain.data_key import CUSTODIAN, DataKeyCopy
from hubnet_referrals.domain.directory import Hub, Partner, Service
from hubnet_referrals.domain.referral import Action, Outcome, Referral, Role
from hubnet_referrals.domain.sla import SlaClock
from hubnet_referrals.handlers.ports import UnitOfWork
from tests.unit.common.fakes.referrals import FakeReferralsUnitOfWork

NewUnitOfWork = Callable[[], UnitOfWork]
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday
SENDER, RECEIVER = Partner("bostadsbolaget", "Bostadsbolaget"), Partner("brg", "BRG")
HJALLBO, ANGERED = Hub("hjallbo", "Hjällbo"), Hub("angered", "Angered")
COACHING = Service("brg-coaching", "brg", "Affärscoachning", hub_ids=("hjallbo",), available_places=3)


async def with_directory(new_unit_of_work: NewUnitOfWork) -> None:
    """The partners, hubs and service referrals name (PostgreSQL holds them to it)."""
    async with new_unit_of_work() as uow:
        for partner in (SENDER, RECEIVER):
            await uow.directory.upsert_partner(partner)
        for hub in (HJALLBO, ANGERED):
            await uow.directory.upsert_hub(hub)
        await uow.directory.upsert_service(COACHING)
        await uow.commit()


def referral(referral_id: str, *, participant_ref: str = "P-1", consent_id: str = "C-1") -> Referral:
    return Referral.request(
        referral_id=referral_id,
        sender=SENDER,
        sender_id=SENDER.id,
        service=COACHING,
        service_id=COACHING.id,
        hub_id=HJALLBO.id,
        participant_ref=participant_ref,
        purpose=Purpose.OWN_BUSINESS,
        need="wants to start a café",
        consent_id=consent_id,
        sealed_contact="sealed:v2:contact",
        at=T0,
    )


async def added(new_unit_of_work: NewUnitOfWork, *referrals: Referral) -> None:
    await with_directory(new_unit_of_work)
    async with new_unit_of_work() as uow:
        for r in referrals:
            await uow.referrals.add(r)
        await uow.commit()


def consent(consent_id: str, participant_ref: str = "P-1") -> Consent:
    return Consent.record(
        id=consent_id,
        participant_ref=participant_ref,
        partner_ids=("brg", "poseidon"),
        purposes=(Purpose.OWN_BUSINESS, Purpose.WORK),
        method=ConsentMethod.WRITTEN,
        noted_by="Anna at the hub",
        recorded_by=SENDER.id,
        given_at=T0,
        valid_until=T0 + timedelta(days=365),
    )


async def audit_entries(uow: UnitOfWork, aggregate_id: str) -> list[dict]:
    """What the audit log holds of an aggregate (read by `GET /audit`; the port only appends)."""
    if isinstance(uow, FakeReferralsUnitOfWork):
        return [e for e in uow.audit.entries if e["aggregate_id"] == aggregate_id]
    assert isinstance(uow, ReferralsUnitOfWork)
    return [
        {k: v for k, v in e.items() if k not in ("seq", "answered_at")} for e in await entries(uow.conn, aggregate_id)
    ]


# Referrals


async def test_a_referral_reads_back_as_added_with_its_history(new_unit_of_work):
    await added(new_unit_of_work, referral("R-1"))
    async with new_unit_of_work() as uow:
        assert await uow.referrals.get("R-1") == referral("R-1")
        assert await uow.referrals.get("R-missing") is None


async def test_a_saved_referral_reads_back_with_its_new_status_and_history(new_unit_of_work):
    await added(new_unit_of_work, referral("R-1"))
    async with new_unit_of_work() as uow:
        r = await uow.referrals.get("R-1", for_update=True)
        assert r is not None
        for action, hours in ((Action.ACKNOWLEDGE, 1), (Action.ACCEPT, 2), (Action.START, 3)):
            r.apply(action, actor=RECEIVER.id, at=T0 + timedelta(hours=hours))
        await uow.referrals.save(r)
        r.apply(
            Action.COMPLETE,
            actor=RECEIVER.id,
            at=T0 + timedelta(days=30),
            note="opened in May",
            outcome=Outcome(MainActivity.OWN_BUSINESS, public_support_continues=False, note="a café"),
        )
        await uow.referrals.save(r)
        await uow.commit()
    async with new_unit_of_work() as uow:
        stored = await uow.referrals.get("R-1")
    assert stored == r
    assert stored is not None and stored.status is Status.COMPLETED and stored.version == 5
    assert stored.history[-1].outcome == Outcome(MainActivity.OWN_BUSINESS, False, "a café")


async def test_a_loaded_referral_changes_only_when_saved_and_committed(new_unit_of_work):
    await added(new_unit_of_work, referral("R-1"))
    async with new_unit_of_work() as uow:
        r = await uow.referrals.get("R-1")
        assert r is not None
        r.apply(Action.ACKNOWLEDGE, actor=RECEIVER.id, at=T0)
        assert await uow.referrals.get("R-1") == referral("R-1")  # not saved
        await uow.referrals.save(r)
        await uow.referrals.add(referral("R-2"))
    async with new_unit_of_work() as uow:  # left without commit: undone
        assert await uow.referrals.get("R-1") == referral("R-1")
        assert await uow.referrals.get("R-2") is None


async def test_open_referrals_by_consent_and_by_resident_in_id_order(new_unit_of_work):
    await added(
        new_unit_of_work,
        referral("R-3"),
        referral("R-1"),
        referral("R-2", consent_id="C-2"),
        referral("R-9", participant_ref="P-2", consent_id="C-9"),
    )
    async with new_unit_of_work() as uow:
        cancelled = await uow.referrals.get("R-3")
        assert cancelled is not None
        cancelled.apply(Action.END_FOR_WITHDRAWN_CONSENT, actor="network", role=Role.NETWORK, at=T0)
        await uow.referrals.save(cancelled)
        assert await uow.referrals.open_under_consent("C-1") == ["R-1"]
        assert await uow.referrals.open_of_participant("P-1") == ["R-1", "R-2"]
        assert await uow.referrals.ids_of_participant("P-1") == ["R-1", "R-2", "R-3"]
        assert await uow.referrals.open_under_consent("C-unknown") == []
        assert await uow.referrals.ids_of_participant("P-unknown") == []


async def test_erasing_personal_data_scrubs_contact_need_and_free_text_once(new_unit_of_work):
    await added(
        new_unit_of_work,
        referral("R-1"),
        referral("R-2", consent_id="C-2"),
        referral("R-9", participant_ref="P-2", consent_id="C-9"),
    )
    async with new_unit_of_work() as uow:
        r = await uow.referrals.get("R-2")
        assert r is not None
        r.apply(Action.CANCEL, actor=SENDER.id, at=T0, reason_code=ReasonCode.OTHER, reason="moved away")
        r.sealed_contact, r.need = None, ""  # only the history still holds free text
        await uow.referrals.save(r)
        assert await uow.referrals.erase_personal_data() == 0  # names nothing, scrubs nothing
        assert await uow.referrals.erase_personal_data(consent_id="C-1") == 1  # R-1's row
        assert await uow.referrals.erase_personal_data(participant_ref="P-1") == 1  # R-2's history step
        assert await uow.referrals.erase_personal_data(participant_ref="P-1") == 0
        await uow.commit()
    async with new_unit_of_work() as uow:
        for referral_id in ("R-1", "R-2"):
            scrubbed = await uow.referrals.get(referral_id)
            assert scrubbed is not None
            assert (scrubbed.sealed_contact, scrubbed.need) == (None, "")
            assert all(t.reason == t.note == "" for t in scrubbed.history)
        assert await uow.referrals.get("R-9") == referral(
            "R-9", participant_ref="P-2", consent_id="C-9"
        )  # another resident's


# Consents


async def test_a_recorded_consent_reads_back_and_a_missing_one_is_none(new_unit_of_work):
    async with new_unit_of_work() as uow:
        await uow.consents.add(consent("C-1"))
        await uow.commit()
    async with new_unit_of_work() as uow:
        assert await uow.consents.get("C-1") == consent("C-1")
        assert await uow.consents.get("C-missing") is None


async def test_a_withdrawal_is_saved(new_unit_of_work):
    async with new_unit_of_work() as uow:
        await uow.consents.add(consent("C-1"))
        await uow.commit()
    async with new_unit_of_work() as uow:
        c = await uow.consents.get("C-1", for_update=True)
        assert c is not None
        c.withdraw(by_partner="brg", noted_by="Omar at BRG", at=T0 + timedelta(days=3))
        await uow.consents.save_withdrawal(c)
        await uow.commit()
    async with new_unit_of_work() as uow:
        stored = await uow.consents.get("C-1")
    assert stored == c
    assert stored is not None and stored.withdrawn_at == T0 + timedelta(days=3)
    assert not stored.is_valid_at(T0 + timedelta(days=4))


async def test_a_residents_consents_in_id_order(new_unit_of_work):
    async with new_unit_of_work() as uow:
        for c in (consent("C-3"), consent("C-1"), consent("C-2", participant_ref="P-2")):
            await uow.consents.add(c)
        await uow.commit()
    async with new_unit_of_work() as uow:
        assert await uow.consents.of_participant("P-1", for_update=True) == [consent("C-1"), consent("C-3")]
        assert await uow.consents.of_participant("P-unknown") == []


# SLA clocks


async def test_running_clocks_fall_due_earliest_first_up_to_the_limit(new_unit_of_work):
    await added(new_unit_of_work, referral("R-1"), referral("R-2"), referral("R-3"))
    async with new_unit_of_work() as uow:
        await uow.sla.start(SlaClock("R-1", "acknowledge", 2, T0 + timedelta(days=2)))
        await uow.sla.start(SlaClock("R-2", "acknowledge", 2, T0 + timedelta(days=1)))
        await uow.sla.start(SlaClock("R-3", "acknowledge", 2, T0 + timedelta(days=9)))
        await uow.commit()
    async with new_unit_of_work() as uow:
        assert await uow.sla.due(T0, 10) == []
        assert [c.referral_id for c in await uow.sla.due(T0 + timedelta(days=2), 10)] == ["R-2", "R-1"]
        assert await uow.sla.due(T0 + timedelta(days=2), 1) == [
            SlaClock("R-2", "acknowledge", 2, T0 + timedelta(days=1))
        ]


async def test_stopped_clocks_are_not_due_until_started_again(new_unit_of_work):
    await added(new_unit_of_work, referral("R-1"), referral("R-2"))
    later = T0 + timedelta(days=30)
    async with new_unit_of_work() as uow:
        await uow.sla.start(SlaClock("R-1", "acknowledge", 2, T0))
        await uow.sla.start(SlaClock("R-2", "acknowledge", 2, T0))
        await uow.sla.stop("R-1", T0)
        assert [c.referral_id for c in await uow.sla.due(later, 10)] == ["R-2"]
        await uow.sla.start(SlaClock("R-1", "answer", 5, T0 + timedelta(days=1)))
        await uow.sla.start(SlaClock("R-1", "acknowledge", 3, T0 + timedelta(days=2)))  # again: it runs anew
        await uow.commit()
    async with new_unit_of_work() as uow:
        assert sorted((c.referral_id, c.kind, c.period_days) for c in await uow.sla.due(later, 10)) == [
            ("R-1", "acknowledge", 3),
            ("R-1", "answer", 5),
            ("R-2", "acknowledge", 2),
        ]


async def test_a_breach_counts_once_it_is_saved(new_unit_of_work):
    await added(new_unit_of_work, referral("R-1"))
    async with new_unit_of_work() as uow:
        await uow.sla.start(SlaClock("R-1", "acknowledge", 2, T0))
        await uow.commit()
    async with new_unit_of_work() as uow:
        [clock] = await uow.sla.due(T0, 10)
        clock.breach()
        assert await uow.sla.due(T0, 10) == [SlaClock("R-1", "acknowledge", 2, T0)]  # not saved yet
        await uow.sla.save(clock)
        await uow.commit()
    async with new_unit_of_work() as uow:
        assert await uow.sla.due(T0, 10) == []
        assert await uow.sla.due(clock.due_at, 10) == [SlaClock("R-1", "acknowledge", 2, clock.due_at, breaches=1)]


async def test_saving_a_stopped_clock_does_not_start_it(new_unit_of_work):
    await added(new_unit_of_work, referral("R-1"))
    async with new_unit_of_work() as uow:
        clock = SlaClock("R-1", "acknowledge", 2, T0)
        await uow.sla.start(clock)
        await uow.sla.stop("R-1", T0)
        clock.breach()
        await uow.sla.save(clock)
        assert await uow.sla.due(T0 + timedelta(days=30), 10) == []


# The directory


async def test_a_partner_reads_back_and_storing_it_again_changes_nothing(new_unit_of_work):
    rotated = dataclasses.replace(
        SENDER,
        encryption_public_key=generate("x25519").public,
        signing_keys=(
            PublicSigningKey(SENDER.source, generate("ed25519").public, valid_until=T0 + timedelta(days=1)),
            PublicSigningKey(SENDER.source, generate("ed25519").public, valid_from=T0),
        ),
    )
    async with new_unit_of_work() as uow:
        assert await uow.directory.upsert_partner(SENDER) is True
        assert await uow.directory.upsert_partner(SENDER) is False
        assert await uow.directory.upsert_partner(rotated) is True
        await uow.commit()
    async with new_unit_of_work() as uow:
        assert await uow.directory.partner(SENDER.id) == rotated
        assert await uow.directory.upsert_partner(rotated) is False
        assert await uow.directory.upsert_partner(dataclasses.replace(rotated, active=False)) is True
        assert await uow.directory.partner(SENDER.id) == dataclasses.replace(rotated, active=False)
        assert await uow.directory.partner("nobody") is None


async def test_hubs_are_stored_once_and_only_active_ones_exist(new_unit_of_work):
    async with new_unit_of_work() as uow:
        assert await uow.directory.upsert_hub(HJALLBO) is True
        assert await uow.directory.upsert_hub(HJALLBO) is False
        assert await uow.directory.upsert_hub(dataclasses.replace(ANGERED, active=False)) is True
        await uow.commit()
    async with new_unit_of_work() as uow:
        assert await uow.directory.hub_exists("hjallbo") is True
        assert await uow.directory.hub_exists("angered") is False
        assert await uow.directory.hub_exists("nowhere") is False
        assert await uow.directory.upsert_hub(ANGERED) is True
        assert await uow.directory.hub_exists("angered") is True


async def test_a_service_reads_back_and_storing_it_again_changes_nothing(new_unit_of_work):
    await with_directory(new_unit_of_work)
    full = dataclasses.replace(
        COACHING,
        hub_ids=("hjallbo", "angered"),
        available_places=0,
        capacity_updated_at=T0,
        languages=("sv", "ar", "en"),
        eligibility="18+",
        contact_email="coaching@brg.example",
    )
    async with new_unit_of_work() as uow:
        assert await uow.directory.service(COACHING.id) == COACHING
        assert await uow.directory.upsert_service(full) is True
        await uow.commit()
    async with new_unit_of_work() as uow:
        # The hubs come back in id order (PostgreSQL keeps them as a set); the languages as given.
        assert await uow.directory.service(COACHING.id) == dataclasses.replace(full, hub_ids=("angered", "hjallbo"))
        assert await uow.directory.upsert_service(full) is False
        assert await uow.directory.upsert_service(dataclasses.replace(full, hub_ids=("angered",))) is True
        assert await uow.directory.service(COACHING.id) == dataclasses.replace(full, hub_ids=("angered",))
        assert await uow.directory.service("no-such-service") is None


# Data keys


async def test_data_key_copies_are_put_replaced_and_destroyed(new_unit_of_work):
    mine, brgs, brgs_new = (
        DataKeyCopy(h, k, f"sealed-to-{k}") for h, k in ((CUSTODIAN, "k0"), ("brg", "k1"), ("brg", "k2"))
    )
    async with new_unit_of_work() as uow:
        await uow.data_keys.lock("P-1")
        assert await uow.data_keys.copies("P-1") == {}
        for copy in (mine, brgs, brgs_new, DataKeyCopy("brg", "k9", "another resident's")):
            await uow.data_keys.put("P-1" if copy.sealed_to != "k9" else "P-2", copy)
        await uow.commit()
    async with new_unit_of_work() as uow:
        await uow.data_keys.lock("P-1")
        assert await uow.data_keys.copies("P-1") == {CUSTODIAN: mine, "brg": brgs_new}
        assert await uow.data_keys.destroy("P-1") == 2
        assert await uow.data_keys.destroy("P-1") == 0
        assert await uow.data_keys.copies("P-1") == {}
        assert await uow.data_keys.copies("P-2") == {"brg": DataKeyCopy("brg", "k9", "another resident's")}


# The audit log


async def test_audit_entries_are_appended_in_order(new_unit_of_work):
    answers = [
        dict(
            aggregate_id="R-1",
            actor="brg",
            command_type="se.hubnet.referral.accept.v1",
            command_id=f"c-{n}",
            sent_at=T0 + timedelta(minutes=n),
            outcome=outcome,
            code=code,
        )
        for n, (outcome, code) in enumerate([("refused", "invalid-transition"), ("accepted", None)])
    ]
    async with new_unit_of_work() as uow:
        for answer in answers:
            await uow.audit.append(**answer)
        await uow.audit.append(**{**answers[0], "aggregate_id": "R-2"})
        await uow.commit()
    async with new_unit_of_work() as uow:
        assert await audit_entries(uow, "R-1") == answers
        assert await audit_entries(uow, "R-unknown") == []


async def test_a_unit_of_work_left_without_commit_leaves_nothing_behind(new_unit_of_work):
    async with new_unit_of_work() as uow:
        await uow.consents.add(consent("C-1"))
        await uow.data_keys.put("P-1", DataKeyCopy(CUSTODIAN, "k0", "sealed"))
        await uow.directory.upsert_hub(HJALLBO)
    async with new_unit_of_work() as uow:
        assert await uow.consents.get("C-1") is None
        assert await uow.data_keys.copies("P-1") == {}
        assert await uow.directory.hub_exists("hjallbo") is False
