"""Consent in force at its edges, and what withdrawing one consent does to the referrals it covered
and to those under another consent of the same resident."""

from datetime import UTC, datetime, timedelta

import pytest

from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages.referral_events import ConsentWithdrawn, ReferralCancelled
from hubnet_common.sdk.messages.vocabulary import ConsentMethod, Purpose, ReasonCode
from hubnet_referrals.domain.consent import Consent, ConsentInvalid, ConsentMissing
from tests.unit.referrals.test_erasure import RESIDENT, consent, processor, published, referred, send, uow  # noqa: F401

GIVEN = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2027, 1, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def given() -> Consent:
    return Consent.record(
        id="C-1",
        participant_ref=RESIDENT,
        partner_ids=("brg",),
        purposes=(Purpose.WORK,),
        method=ConsentMethod.WRITTEN,
        noted_by="Amina",
        recorded_by="bostadsbolaget",
        given_at=GIVEN,
        valid_until=UNTIL,
    )


def test_a_consent_is_in_force_from_the_moment_it_is_given_until_just_before_it_ends():
    c1 = given()
    assert not c1.is_valid_at(GIVEN - TICK)
    assert c1.is_valid_at(GIVEN)
    assert c1.is_valid_at(UNTIL - TICK)
    assert not c1.is_valid_at(UNTIL)


def test_a_withdrawn_consent_is_out_of_force_from_the_moment_of_withdrawal():
    c1 = given()
    at = GIVEN + timedelta(days=30)
    c1.withdraw(by_partner="brg", noted_by="Ali", at=at)
    assert (c1.withdrawn_at, c1.withdrawn_noted_by) == (at, "Ali")
    assert c1.is_valid_at(at - TICK) and not c1.is_valid_at(at)


def test_only_a_partner_it_involves_withdraws_it_and_only_once():
    c1 = given()
    with pytest.raises(ConsentMissing, match="neither recorded by nor given to poseidon"):
        c1.withdraw(by_partner="poseidon", noted_by="Ali", at=GIVEN)
    c1.withdraw(by_partner="bostadsbolaget", noted_by="Ali", at=GIVEN)
    with pytest.raises(ConsentInvalid, match="already withdrawn"):
        c1.withdraw(by_partner="brg", noted_by="Ali", at=GIVEN)


async def test_withdrawing_ends_and_scrubs_only_the_referrals_under_that_consent(processor, uow):
    first, under_first = await referred(processor, uow)
    second = consent(partners=("brg",))
    await send(processor, second)
    await send(
        processor,
        c.CreateReferral(
            service_id="brg-business-coaching",
            hub_id="hjallbo",
            participant_ref=RESIDENT,
            purpose=Purpose.OWN_BUSINESS,
            consent_id=second.consent_id,
            sealed_contact=under_first.sealed_contact,
            need=under_first.need,
        ),
    )
    [under_second] = [r for r in uow.referrals.by_id.values() if r.consent_id == second.consent_id]

    assert await send(processor, c.WithdrawConsent(consent_id=first.consent_id, noted_by="Ali")) == "accepted"

    ended = uow.referrals.by_id[under_first.referral_id]
    assert (ended.status, ended.sealed_contact, ended.need) == ("cancelled", None, "")
    assert ended.history[-1].actor_partner_id == "network"
    assert all(key[0] != ended.id for key in uow.sla.running)
    [fact] = published(uow, ReferralCancelled)
    assert (fact.referral_id, fact.reason_code, fact.actor_partner_id) == (
        ended.id,
        ReasonCode.CONSENT_WITHDRAWN,
        "network",
    )
    [withdrawn] = published(uow, ConsentWithdrawn)
    assert withdrawn.cancelled_referral_ids == [ended.id]
    kept = uow.referrals.by_id[under_second.id]
    assert (kept.status, kept.sealed_contact, kept.need) == ("requested", under_first.sealed_contact, under_first.need)
    assert (await uow.consents.get(first.consent_id)).withdrawn_noted_by == "Ali"


async def test_withdrawing_a_consent_nobody_recorded_is_refused(processor, uow):
    assert await send(processor, c.WithdrawConsent(consent_id="C-none", noted_by="Ali")) == "refused"
