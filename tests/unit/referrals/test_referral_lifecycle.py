"""The referral state machine on its own (pure domain)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubnet_common.sdk.messages.vocabulary import MainActivity, ReasonCode, Status
from hubnet_referrals.domain.directory import Partner, Service
from hubnet_referrals.domain.referral import (
    EDGES,
    RULES,
    Action,
    DetailMissing,
    InvalidTransition,
    NotPermitted,
    Outcome,
    Referral,
    Role,
    ServiceFull,
    StaleVersion,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SENDER, RECEIVER, OTHER = "bostadsbolaget", "brg", "poseidon"
SERVICE = Service("brg-business-coaching", RECEIVER, "Företagsrådgivning", ("hjallbo",), available_places=3)
OWN_BUSINESS = Outcome(MainActivity.OWN_BUSINESS, public_support_continues=False)


def new_referral() -> Referral:
    return Referral.request(
        referral_id="R-1",
        sender=Partner(SENDER, "Bostadsbolaget"),
        sender_id=SENDER,
        service=SERVICE,
        service_id=SERVICE.id,
        hub_id="hjallbo",
        participant_ref="ab" * 32,
        purpose="own-business",
        need="",
        consent_id="C-1",
        sealed_contact=None,
        at=T0,
    )


def details(action: Action) -> dict:
    rule = RULES[action]
    return {
        "reason_code": ReasonCode.OTHER if rule.needs_reason else None,
        "note": "why" if rule.needs_note else "",
        "outcome": OWN_BUSINESS if rule.needs_outcome else None,
    }


def actor_for(action: Action) -> dict:
    role = RULES[action].role
    if role is Role.NETWORK:
        return {"actor": "network", "role": Role.NETWORK}
    return {"actor": SENDER if role is Role.SENDER else RECEIVER}


def test_the_whole_closed_loop_keeps_every_step():
    referral = new_referral()
    for i, action in enumerate(
        [Action.ACKNOWLEDGE, Action.ACCEPT, Action.START, Action.HOLD, Action.RESUME, Action.COMPLETE], start=1
    ):
        referral.apply(action, at=T0 + timedelta(hours=i), **actor_for(action), **details(action))
    assert referral.status is Status.COMPLETED and referral.version == 7
    assert [t.status for t in referral.history] == [
        "requested",
        "received",
        "accepted",
        "in-progress",
        "on-hold",
        "in-progress",
        "completed",
    ]
    assert referral.history[-1].outcome == OWN_BUSINESS and referral.history[-1].actor_partner_id == RECEIVER


def test_a_completed_referral_can_be_reopened_by_the_receiver_with_a_note():
    referral = new_referral()
    for action in (Action.ACKNOWLEDGE, Action.ACCEPT, Action.START, Action.COMPLETE):
        referral.apply(action, at=T0, **actor_for(action), **details(action))
    with pytest.raises(DetailMissing, match="note"):
        referral.apply(Action.REOPEN, actor=RECEIVER, at=T0)
    referral.apply(Action.REOPEN, actor=RECEIVER, at=T0, note="The resident came back")
    assert referral.status is Status.IN_PROGRESS and referral.history[-1].note == "The resident came back"


@pytest.mark.parametrize(
    ("action", "actor"),
    [
        (Action.ACCEPT, SENDER),
        (Action.ACKNOWLEDGE, OTHER),
        (Action.CANCEL, RECEIVER),
        (Action.MARK_ENTERED_IN_ERROR, RECEIVER),
    ],
)
def test_only_the_role_the_design_names_may_act(action, actor):
    referral = new_referral()
    with pytest.raises(NotPermitted, match=f"{actor} may not"):
        referral.apply(action, actor=actor, at=T0, **details(action))
    assert referral.version == 1


def test_a_stale_expected_version_is_refused_and_changes_nothing():
    referral = new_referral()
    referral.apply(Action.ACKNOWLEDGE, actor=RECEIVER, at=T0)
    with pytest.raises(StaleVersion, match="version 2, the command expected version 1"):
        referral.apply(Action.ACCEPT, actor=RECEIVER, at=T0, expected_version=1)
    assert referral.status is Status.RECEIVED
    referral.apply(Action.ACCEPT, actor=RECEIVER, at=T0, expected_version=2)


def test_an_invalid_transition_says_what_it_needs():
    referral = new_referral()
    with pytest.raises(InvalidTransition, match="is requested; start needs accepted"):
        referral.apply(Action.START, actor=RECEIVER, at=T0)


def test_reject_needs_a_reason_code():
    referral = new_referral()
    referral.apply(Action.ACKNOWLEDGE, actor=RECEIVER, at=T0)
    with pytest.raises(DetailMissing):
        referral.apply(Action.REJECT, actor=RECEIVER, at=T0)


def test_entered_in_error_is_possible_from_any_state_but_is_final():
    referral = new_referral()
    referral.apply(Action.ACKNOWLEDGE, actor=RECEIVER, at=T0)
    referral.apply(Action.MARK_ENTERED_IN_ERROR, actor=SENDER, at=T0, note="wrong resident")
    for action in Action:
        if action is not Action.REQUEST:
            with pytest.raises((InvalidTransition, NotPermitted)):
                referral.apply(action, at=T0, **actor_for(action), **details(action))


def test_a_full_service_takes_no_referral():
    with pytest.raises(ServiceFull):
        Referral.request(
            referral_id="R-2",
            sender=Partner(SENDER, "B"),
            sender_id=SENDER,
            service=Service("s", RECEIVER, "Full", ("hjallbo",), available_places=0),
            service_id="s",
            hub_id="hjallbo",
            participant_ref="ab" * 32,
            purpose="work",
            need="",
            consent_id="C-1",
            sealed_contact=None,
            at=T0,
        )


commands = st.lists(
    st.tuples(
        st.sampled_from([a for a in Action if a is not Action.REQUEST]),
        st.sampled_from([SENDER, RECEIVER, OTHER, "network"]),
        st.booleans(),
        st.one_of(st.none(), st.integers(1, 12)),
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(commands)
def test_random_command_sequences_never_leave_the_diagram_nor_lose_history(sequence):
    referral = new_referral()
    for action, actor, with_details, expected in sequence:
        before = (referral.status, list(referral.history))
        role = Role.NETWORK if actor == "network" else None
        extra = details(action) if with_details else {}
        try:
            referral.apply(action, actor=actor, role=role, at=T0, expected_version=expected, **extra)
        except (NotPermitted, InvalidTransition, StaleVersion, DetailMissing):
            assert (referral.status, referral.history) == before  # a refusal changes nothing
            continue
        assert referral.history[:-1] == before[1]  # history only grows
        assert (before[0], referral.status) in EDGES
    assert [t.version for t in referral.history] == list(range(1, referral.version + 1))
    assert referral.history[-1].status is referral.status
    assert all((a.status, b.status) in EDGES for a, b in zip(referral.history, referral.history[1:], strict=False))
