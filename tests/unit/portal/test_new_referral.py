"""A new referral: what the form must hold before anything is sent, and what is sent, in order,
when the network accepts or refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hubnet_portal.domain.new_referral import Choice, Search, choices, read
from hubnet_portal.handlers.refer import refer

from hubnet_common.sdk.data_key import DataKeyMissing
from hubnet_common.sdk.errors import FieldError
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.sdk.messages.vocabulary import Purpose
from hubnet_common.sdk.participant import open_personnummer
from hubnet_common.sdk.sealing import generate_encryption_keys, new_data_key, open_contact, open_with_data_key

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
SEARCH = Search("hjallbo", Purpose.WORK, "so")
COACHING = Choice("stadsmissionen-job-coaching", "Jobbcoachning", "stadsmissionen", "Stadsmissionen", 8)
TRAINING = Choice("stadsmissionen-work-training", "Arbetsträning", "stadsmissionen", "Stadsmissionen", 0)
FORM = {
    "service": ["stadsmissionen-job-coaching"],
    "consent_partners": ["stadsmissionen"],
    "purposes": ["work"],
    "method": ["written"],
    "valid_until": ["2027-12-01"],
    "name": ["Hodan Ali"],
    "phone": ["070-111 22 33"],
    "need_text": ["Vill arbeta inom vården"],
}
NUMBER = "19900101-0017"
CUSTODIAN = generate_encryption_keys()
REF = "a" * 64
DATA_KEY = new_data_key()


def draft(**changes):
    made = read({**FORM, **changes}, SEARCH, [COACHING, TRAINING], now=NOW)
    assert not isinstance(made, dict), made
    return made


def hsds(service_id: str, name: str, places: int | None, status: str = "active") -> dict:
    return {
        "id": service_id,
        "name": name,
        "status": status,
        "organization_id": "stadsmissionen",
        "organization": {"id": "stadsmissionen", "name": "Göteborgs Stadsmission"},
        "languages": [{"code": "sv"}, {"code": "so"}],
        "capacities": [] if places is None else [{"available": places}],
    }


def test_the_services_found_become_choices_with_their_places_the_full_ones_last():
    found = choices(
        [
            hsds(TRAINING.id, "Arbetsträning", 0),
            hsds(COACHING.id, "Jobbcoachning", 8),
            hsds("uncounted", "Vägledning", None),
            hsds("closed", "Stängd", 3, status="inactive"),
        ]
    )
    assert [(c.id, c.available, c.full) for c in found] == [
        (COACHING.id, 8, False),
        ("uncounted", None, False),
        (TRAINING.id, 0, True),
    ]
    assert found[0].partner_name == "Göteborgs Stadsmission" and found[0].languages == ("sv", "so")


def test_a_filled_in_form_is_a_draft_valid_to_the_end_of_its_day():
    made = draft()
    assert made.service == COACHING and made.partner_ids == ("stadsmissionen",) and made.purposes == (Purpose.WORK,)
    assert made.valid_until == datetime(2027, 12, 1, 22, 59, 59, tzinfo=UTC)  # 23:59:59 in Stockholm
    assert made.contact.name == "Hodan Ali" and made.contact.language == "so"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"service": []}, "service"),
        ({"service": [TRAINING.id]}, "service"),  # full
        ({"service": ["not-found-by-the-search"]}, "service"),
        ({"consent_partners": ["brg"]}, "consent_partners"),
        ({"purposes": ["studies"]}, "purposes"),
        ({"method": ["telepathy"]}, "method"),
        ({"valid_until": ["2026-11-30"]}, "valid_until"),
        ({"valid_until": ["soon"]}, "valid_until"),
        ({"name": [" "]}, "name"),
        ({"phone": ["0" * 41]}, "phone"),
        ({"need_text": [""]}, "need_text"),
    ],
)
def test_each_problem_is_told_beside_its_own_field(changes, field):
    problems = read({**FORM, **changes}, SEARCH, [COACHING, TRAINING], now=NOW)
    assert isinstance(problems, dict) and list(problems) == [field]


class Commands:
    def __init__(self, refuse: dict[str, CommandRejected] | None = None):
        self.sent, self.refuse = [], refuse or {}

    async def request(self, command, *, timeout=30.0):
        self.sent.append(command)
        common = dict(command_id="c", command_type=command.ce_type, recipient="r", aggregate_id=command.subject())
        if type(command).__name__ in self.refuse:
            return self.refuse[type(command).__name__].model_copy(update=common)
        return CommandAccepted(**common, participant_ref=REF if command.ce_type.endswith("record.v1") else None)


class DataKeys:
    def __init__(self, key=DATA_KEY):
        self.key, self.asked = key, []

    async def data_key(self, token, participant_ref):
        self.asked.append((token, participant_ref))
        if self.key is None:
            raise DataKeyMissing("none")
        return self.key


async def referred(commands, data_keys=None, number=NUMBER):
    return await refer(
        commands,
        data_keys or DataKeys(),
        custodian_key=CUSTODIAN.public,
        token="staff-token",
        draft=draft(),
        personnummer=number,
        staff_id="bb-amina",
    )


def rejected(code, errors=()):
    return CommandRejected(
        command_id="c", command_type="t", recipient="r", aggregate_id="a", code=code, reason="no", errors=list(errors)
    )


async def test_the_consent_then_the_referral_the_number_only_sealed_the_need_under_the_data_key():
    commands, data_keys = Commands(), DataKeys()
    answer = await referred(commands, data_keys)
    consent, create = commands.sent
    assert answer.referral_id == create.referral_id and answer.problems == {}
    assert open_personnummer(consent.sealed_personnummer, CUSTODIAN.private) == "199001010017"
    assert NUMBER not in consent.model_dump_json() and "19900101" not in create.model_dump_json()
    assert consent.partner_ids == ["stadsmissionen"] and consent.noted_by == "bb-amina"
    assert data_keys.asked == [("staff-token", REF)]
    assert create.participant_ref == REF and create.consent_id == consent.consent_id
    assert (create.service_id, create.hub_id, create.purpose) == (COACHING.id, "hjallbo", Purpose.WORK)
    assert open_with_data_key(create.need, DATA_KEY) == "Vill arbeta inom vården"
    assert open_contact(create.sealed_contact or "", DATA_KEY).phone == "070-111 22 33"


async def test_a_mistyped_number_sends_nothing():
    commands = Commands()
    answer = await referred(commands, number="19900101-0018")
    assert commands.sent == [] and list(answer.problems) == ["personnummer"]


async def test_a_refused_consent_sends_no_referral_and_says_which_field():
    commands = Commands({"RecordConsent": rejected("invalid-body", [FieldError(field="valid_until", problem="x")])})
    answer = await referred(commands)
    assert [type(c).__name__ for c in commands.sent] == ["RecordConsent"]
    assert answer.referral_id is None and list(answer.problems) == ["valid_until"]


async def test_a_refused_referral_withdraws_the_consent_recorded_for_it():
    commands = Commands({"CreateReferral": rejected("service-full")})
    answer = await referred(commands)
    consent, _create, withdrawal = commands.sent
    assert type(withdrawal).__name__ == "WithdrawConsent" and withdrawal.consent_id == consent.consent_id
    assert answer.referral_id is None and answer.problems == {"service": "The service is full."}


async def test_without_a_copy_of_the_data_key_nothing_is_sealed_and_the_consent_is_withdrawn():
    commands = Commands()
    answer = await referred(commands, DataKeys(key=None))
    assert [type(c).__name__ for c in commands.sent] == ["RecordConsent", "WithdrawConsent"]
    assert answer.referral_id is None and answer.words and "encryption key" in answer.words


async def test_no_answer_in_time_is_said_and_nothing_is_withdrawn():
    class Silent(Commands):
        async def request(self, command, *, timeout=30.0):
            if type(command).__name__ == "CreateReferral":
                self.sent.append(command)
                raise TimeoutError
            return await super().request(command)

    commands = Silent()
    answer = await referred(commands)
    assert [type(c).__name__ for c in commands.sent] == ["RecordConsent", "CreateReferral"]
    assert answer.referral_id is None and answer.words and "did not answer" in answer.words


def test_a_consent_given_now_for_a_year_is_proposed():
    from hubnet_portal.domain.new_referral import proposed_valid_until

    assert proposed_valid_until(NOW.date()) == (NOW.date() + timedelta(days=365)).isoformat()
