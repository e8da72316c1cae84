"""The one table of referral steps (hubnet_common/sdk/lifecycle.py) and the referrals domain's rules
keyed from it: every command, action and fact has its step, and every step its rule."""

from pathlib import Path

from hubnet_common.sdk.lifecycle import CHANGES, STEP_OF, STEPS, TOLD_OF, Action, Party
from hubnet_common.sdk.messages import referral_commands as c
from hubnet_common.sdk.messages import referral_events as f
from hubnet_referrals.adapters.custodian import KeyCustodian
from hubnet_referrals.domain.referral import RULES
from hubnet_referrals.handlers import change_referral


def test_every_action_is_one_step():
    assert [s.action for s in STEPS] == list(dict.fromkeys(s.action for s in STEPS))
    assert set(STEP_OF) == set(Action)


def test_every_step_after_the_request_has_its_domain_rule():
    assert set(RULES) == set(Action) - {Action.REQUEST}


def test_every_lifecycle_command_is_a_step_and_handled_by_change_referral():
    commands = set(c._ChangeReferral.__subclasses__())
    assert set(CHANGES) == commands
    assert set(change_referral.handlers(KeyCustodian(Path("unused"), Path("unused")))) == commands
    assert STEP_OF[Action.REQUEST].command is c.CreateReferral


def test_every_referral_fact_but_the_overdue_warning_is_told_to_one_party():
    facts = set(f._ReferralFact.__subclasses__()) - {f.ReferralOverdue}
    assert set(TOLD_OF) == facts


def test_the_sender_learns_the_answers_and_the_receiver_the_sender_s_own_steps():
    assert TOLD_OF[f.ReferralAccepted] is Party.SENDER
    assert TOLD_OF[f.ReferralCancelled] is Party.RECEIVER
    assert TOLD_OF[f.ReferralRequested] is Party.RECEIVER
