"""The whole closed loop of a referral against the real broker and database: every transition and
its fact, every refusal, consent coverage and withdrawal, directory changes."""

import pytest

from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages import referral_events as f
from hubnet_common.sdk.messages.directory import ServiceUpserted
from hubnet_common.sdk.messages.directory_commands import UpdateCapacity, UpdatePartner, UpsertService
from hubnet_common.sdk.messages.outcome_events import OutcomeRecorded
from hubnet_common.sdk.messages.vocabulary import MainActivity, Purpose, ReasonCode
from hubnet_common.sdk.sealing import ContactDetails, generate_encryption_keys
from hubnet_referrals import bootstrap
from hubnet_referrals.settings import ReferralSettings
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import rows, running
from tests.integration.referral_steps import accepted, consent, new_referral, person, referral, sealed_for

pytestmark = pytest.mark.integration
OWN_BUSINESS = c.OutcomeReport(main_activity=MainActivity.OWN_BUSINESS, public_support_continues=False)


@pytest.fixture(scope="module")
async def service(new_database, kafka_bootstrap):
    dsn = await new_database("referrals")
    settings = ReferralSettings(pg_dsn=dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=fresh_group_prefix("it"))
    async with running(bootstrap.spec(settings), settings):
        yield dsn


@pytest.fixture(scope="module")
async def parties(service, partner):
    """The sender (Bostadsbolaget, a hub host at Hjällbo) and the receiver (BRG)."""
    async with partner("bostadsbolaget") as sender, partner("brg") as receiver, partner("poseidon") as other:
        yield sender, receiver, other


async def facts_of(watcher, referral_id, count):
    await watcher.wait_for(
        lambda s: s.key == referral_id and getattr(s.body, "version", 0) == count and s.topic == "referral.events.v1"
    )
    return [s.body for s in watcher.seen if s.key == referral_id and s.topic == "referral.events.v1"]


async def test_the_closed_loop_publishes_one_fact_per_transition_and_the_outcome(service, parties, watcher):
    sender, receiver, _ = parties
    command = await new_referral(sender)
    rid = command.referral_id
    sealed_hold = await sealed_for(service, "sick leave")
    for step in (
        c.AcknowledgeReferral(referral_id=rid, expected_version=1),
        c.AcceptReferral(referral_id=rid),
        c.StartReferral(referral_id=rid),
        c.HoldReferral(referral_id=rid, reason=sealed_hold),
        c.ResumeReferral(referral_id=rid),
        c.CompleteReferral(referral_id=rid, outcome=OWN_BUSINESS),
    ):
        accepted(await receiver.request(step))
    published = await facts_of(watcher, rid, 7)
    assert [type(x) for x in published] == [
        f.ReferralRequested,
        f.ReferralReceived,
        f.ReferralAccepted,
        f.ReferralStarted,
        f.ReferralPutOnHold,
        f.ReferralResumed,
        f.ReferralCompleted,
    ]
    assert [x.version for x in published] == list(range(1, 8))
    assert published[1].answer_due_at is not None and published[0].ack_due_at is not None
    assert published[-1].main_activity == "own-business"
    outcome = await watcher.wait_for(lambda s: isinstance(s.body, OutcomeRecorded) and s.key == rid)
    assert outcome.topic == "outcome.events.v1" and outcome.body.receiver_partner_id == "brg"
    history = await rows(
        service,
        "SELECT version, action, actor_partner_id, reason FROM referral_history"
        " WHERE referral_id = $1 ORDER BY version",
        rid,
    )
    assert [(h["action"], h["actor_partner_id"]) for h in history] == [
        ("request", "bostadsbolaget"),
        ("acknowledge", "brg"),
        ("accept", "brg"),
        ("start", "brg"),
        ("hold", "brg"),
        ("resume", "brg"),
        ("complete", "brg"),
    ]
    assert history[4]["reason"] == sealed_hold  # stored as it came: sealed
    clocks = await rows(
        service,
        "SELECT kind, stopped_at IS NOT NULL AS stopped FROM referral_sla WHERE referral_id = $1 ORDER BY kind",
        rid,
    )
    assert [tuple(r) for r in clocks] == [("acknowledge", True), ("answer", True)]


async def test_reject_fail_cancel_reopen_and_entered_in_error(service, parties, watcher):
    sender, receiver, _ = parties
    rejected = await new_referral(sender)
    accepted(await receiver.request(c.AcknowledgeReferral(referral_id=rejected.referral_id)))
    accepted(
        await receiver.request(c.RejectReferral(referral_id=rejected.referral_id, reason_code=ReasonCode.NO_CAPACITY))
    )
    accepted(
        await receiver.request(
            c.ReopenReferral(referral_id=rejected.referral_id, note=await sealed_for(service, "A place opened up"))
        )
    )

    failed = await new_referral(sender)
    for step in (c.AcknowledgeReferral, c.AcceptReferral, c.StartReferral):
        accepted(await receiver.request(step(referral_id=failed.referral_id)))
    accepted(
        await receiver.request(c.FailReferral(referral_id=failed.referral_id, reason_code=ReasonCode.COULD_NOT_CONTACT))
    )
    accepted(
        await sender.request(
            c.MarkReferralEnteredInError(referral_id=failed.referral_id, note=await sealed_for(service, "wrong person"))
        )
    )

    cancelled = await new_referral(sender)
    accepted(
        await sender.request(
            c.CancelReferral(referral_id=cancelled.referral_id, reason_code=ReasonCode.NO_LONGER_INTERESTED)
        )
    )

    assert [type(x) for x in await facts_of(watcher, rejected.referral_id, 4)][1:] == [
        f.ReferralReceived,
        f.ReferralRejected,
        f.ReferralReopened,
    ]
    assert [type(x) for x in await facts_of(watcher, failed.referral_id, 6)][-2:] == [
        f.ReferralFailed,
        f.ReferralEnteredInError,
    ]
    [_, cancel] = await facts_of(watcher, cancelled.referral_id, 2)
    assert isinstance(cancel, f.ReferralCancelled) and cancel.reason_code == "no-longer-interested"
    statuses = await rows(
        service,
        "SELECT id, status FROM referrals WHERE id = ANY($1)",
        [rejected.referral_id, failed.referral_id, cancelled.referral_id],
    )
    assert {r["id"]: r["status"] for r in statuses} == {
        rejected.referral_id: "in-progress",
        failed.referral_id: "entered-in-error",
        cancelled.referral_id: "cancelled",
    }


async def test_refusals_name_the_rule_and_change_nothing(service, parties):
    sender, receiver, other = parties
    command = await new_referral(sender)
    rid = command.referral_id
    note = await sealed_for(service, "x")
    cases = [
        (receiver, c.StartReferral(referral_id=rid), "invalid-transition"),
        (sender, c.AcknowledgeReferral(referral_id=rid), "not-permitted"),
        (other, c.CancelReferral(referral_id=rid, reason_code=ReasonCode.OTHER), "not-permitted"),
        (receiver, c.AcknowledgeReferral(referral_id=rid, expected_version=3), "stale-version"),
        (receiver, c.AcknowledgeReferral(referral_id="R-does-not-exist"), "referral-unknown"),
        (receiver, c.ReopenReferral(referral_id=rid, note=note), "invalid-transition"),
    ]
    for who, step, code in cases:
        reply = await who.request(step)
        assert (reply.ce_type, reply.code) == ("se.hubnet.command.rejected.v1", code), step
        assert reply.reason
    [row] = await rows(service, "SELECT status, version FROM referrals WHERE id = $1", rid)
    assert tuple(row) == ("requested", 1)


async def test_no_consent_no_referral(service, parties):
    sender, _, _ = parties
    other_resident = consent(person(1))
    accepted(await sender.request(other_resident))
    only_studies = consent(purposes=(Purpose.STUDIES,), partners=("brg",))
    accepted(await sender.request(only_studies))
    cases = [
        (referral("C-never-recorded"), "no consent C-never-recorded"),
        (referral(other_resident.consent_id), "another resident"),
        (referral(only_studies.consent_id), "purpose own-business"),
        (
            referral(only_studies.consent_id, purpose=Purpose.STUDIES, service_id="arbvux-sfi-guidance"),
            "does not cover partner goteborgs-stad-arbvux",
        ),
    ]
    for command, why in cases:
        reply = await sender.request(command)
        assert reply.code == "consent-missing" and why in reply.reason
        assert await rows(service, "SELECT 1 FROM referrals WHERE id = $1", command.referral_id) == []


async def test_withdrawn_consent_cancels_open_referrals_and_erases_their_contact_details(service, parties, watcher):
    sender, receiver, _ = parties
    given = consent()
    accepted(await sender.request(given))
    contact = await sealed_for(service, ContactDetails(name="Test Person", phone="070-000 00 00").model_dump_json())
    need = await sealed_for(service, "Vill starta cateringfirma")
    still_open = referral(given.consent_id, sealed_contact=contact, need=need)
    done = referral(given.consent_id, sealed_contact=contact)
    for command in (still_open, done):
        accepted(await sender.request(command))
    for step in (c.AcknowledgeReferral, c.AcceptReferral, c.StartReferral):
        accepted(await receiver.request(step(referral_id=done.referral_id)))
    accepted(await receiver.request(c.CompleteReferral(referral_id=done.referral_id, outcome=OWN_BUSINESS)))

    accepted(await sender.request(c.WithdrawConsent(consent_id=given.consent_id, noted_by="Amina Hassan")))
    withdrawn = await watcher.wait_for(lambda s: isinstance(s.body, f.ConsentWithdrawn) and s.key == given.consent_id)
    assert withdrawn.body.cancelled_referral_ids == [still_open.referral_id]
    [_, cancel] = await facts_of(watcher, still_open.referral_id, 2)
    assert isinstance(cancel, f.ReferralCancelled) and cancel.reason_code == "consent-withdrawn"
    assert "sealed_contact" not in cancel.model_dump() and "participant_ref" not in cancel.model_dump()
    stored = await rows(
        service, "SELECT status, sealed_contact, need FROM referrals WHERE consent_id = $1", given.consent_id
    )
    assert {(r["status"], r["sealed_contact"], r["need"]) for r in stored} == {
        ("cancelled", None, ""),
        ("completed", None, ""),
    }
    again = await sender.request(referral(given.consent_id))
    assert again.code == "consent-missing" and "withdrawn" in again.reason


async def test_partners_keep_their_own_directory_entries(service, parties, watcher):
    sender, receiver, other = parties
    accepted(await receiver.request(UpdateCapacity(service_id="brg-business-coaching", available_places=0)))
    full = await sender.request(referral((await _consent(sender)).consent_id))
    assert full.code == "service-full"
    accepted(await receiver.request(UpdateCapacity(service_id="brg-business-coaching", available_places=4)))
    assert (
        await other.request(UpdateCapacity(service_id="brg-business-coaching", available_places=9))
    ).code == "not-permitted"
    published = await watcher.wait_for(lambda s: isinstance(s.body, ServiceUpserted) and s.body.available_places == 4)
    assert published.key == "service:brg-business-coaching" and published.body.capacity_updated_at is not None

    accepted(
        await other.request(
            UpsertService(
                service_id="poseidon-homework-help", name="Läxhjälp", hub_ids=["lovgardet"], languages=["sv", "so"]
            )
        )
    )
    unknown_hub = await other.request(UpsertService(service_id="poseidon-x", name="X", hub_ids=["kortedala"]))
    assert unknown_hub.code == "hub-unknown"
    key = generate_encryption_keys().public
    accepted(await receiver.request(UpdatePartner(partner_id="brg", encryption_public_key=key)))
    assert (await other.request(UpdatePartner(partner_id="brg", name="Not BRG"))).code == "not-permitted"
    [row] = await rows(service, "SELECT encryption_public_key FROM partners WHERE id = 'brg'")
    assert row[0] == key


async def _consent(sender):
    given = consent()
    accepted(await sender.request(given))
    return given
