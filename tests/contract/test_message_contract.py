"""The committed partner contract (docs/contract/asyncapi.json, schemas/) is what the code makes, a
valid AsyncAPI 3.0 document by the official schema, its examples are records the services would
take, and no v1 message has changed in a way that breaks a partner built against the released one."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator, Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from hubnet_common.ops import contract
from hubnet_common.ops.fixed_keys import signing_public
from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.messages import MESSAGE_TYPES, Command
from hubnet_common.sdk.signing import PublicSigningKey, check_signature, signature_of

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "contract"
# The official AsyncAPI JSON schemas, from the npm package pinned in tests/contract/asyncapi/package-lock.json
# (`make test` runs `npm ci` there).
SPECS = Path(__file__).parent / "asyncapi" / "node_modules" / "@asyncapi" / "specs" / "schemas"
MESSAGES = sorted(contract.schemas())


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return contract.rendered()


@pytest.fixture(scope="module")
def document(files) -> dict:
    return json.loads(files["asyncapi.json"])


def test_the_committed_files_are_what_the_code_makes(files):
    committed = {
        str(path.relative_to(DOCS)): path.read_text(encoding="utf-8")
        for path in [DOCS / "asyncapi.json", *sorted(DOCS.glob("schemas/*.json")), *sorted(DOCS.glob("vectors/*.json"))]
    }
    stale = sorted(set(files) ^ set(committed) | {p for p in files if files[p] != committed.get(p)})
    assert not stale, f"run `hubnet admin contract` and commit docs/contract/: differs: {stale}"


def test_the_document_is_valid_asyncapi_3_by_the_official_schema(document):
    assert (SPECS / "3.0.0.json").exists(), "run `npm ci --ignore-scripts` in tests/contract/asyncapi (make test does)"
    spec = json.loads((SPECS / "3.0.0.json").read_text(encoding="utf-8"))
    resources = [(spec["$id"], DRAFT7.create_resource(spec))]
    resources += [(d["$id"], DRAFT7.create_resource(d)) for d in spec["definitions"].values() if "$id" in d]
    validator = Draft7Validator(spec, registry=Registry().with_resources(resources))
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(document)]
    assert errors == []
    broken = json.loads(json.dumps(document))
    broken["channels"]["referral-commands-v1"]["address"] = 3
    assert list(validator.iter_errors(broken)), "the official schema is not being applied"


def test_every_topic_is_a_channel_with_its_retention_and_who_reads_and_writes_it(document):
    channels = {c["address"]: c for c in document["channels"].values()}
    assert set(channels) >= {"referral.commands.v1", "referral.events.v1", "directory.v1", "audit.events.v1"}
    assert "partner.{partner_id}.replies.v1" in channels
    commands = channels["referral.commands.v1"]
    assert commands["x-hubnet-access"]["write"] == ["partner-{partner_id}", "hubnet-operator"]  # operator: replays
    assert commands["x-hubnet-access"]["read"] == ["hubnet-referrals"]
    replies = channels["partner.{partner_id}.replies.v1"]["x-hubnet-access"]
    assert replies["read"] == ["partner-{partner_id}"]
    assert channels["referral.events.v1"]["bindings"]["kafka"]["topicConfiguration"]["retention.ms"] > 0
    assert channels["directory.v1"]["bindings"]["kafka"]["topicConfiguration"]["cleanup.policy"] == ["compact"]


def test_every_command_is_sent_with_the_replies_it_can_get_and_their_codes(document):
    sent = {
        ref["$ref"].rsplit("/", 1)[1]: op
        for op in document["operations"].values()
        if op["action"] == "send"
        for ref in op["messages"]
    }
    commands = {m.__name__ for m in MESSAGE_TYPES.values() if issubclass(m, Command) and m.ce_type in MESSAGES}
    assert commands == set(sent)
    create = sent["CreateReferral"]
    assert [r["$ref"].rsplit("/", 1)[1] for r in create["reply"]["messages"]] == ["CommandAccepted", "CommandRejected"]
    assert {"consent-missing", "service-full", "invalid-body", "replay", "stale-version"} <= set(
        create["x-hubnet-refusal-codes"]
    )
    assert all(create["x-hubnet-refusal-codes"].values()), "every code says what it means"


@pytest.mark.parametrize("ce_type", MESSAGES)
def test_each_example_is_a_signed_record_the_services_would_take(document, ce_type):
    model = MESSAGE_TYPES[ce_type]
    [example] = document["components"]["messages"][model.__name__]["examples"]
    schema = json.loads((DOCS / "schemas" / f"{ce_type}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(example["payload"])
    body = model.model_validate(example["payload"])
    raw = body.model_dump_json().encode()
    assert json.loads(raw) == example["payload"]
    headers = [(name, value.encode()) for name, value in example["headers"].items()]
    envelope = Envelope.from_headers(headers)
    assert envelope.type == ce_type and envelope.subject == body.subject()
    key_id, signature = signature_of(headers)
    public = PublicSigningKey(envelope.source, signing_public(contract.EXAMPLE_SIGNING_SEED))
    assert key_id == public.id
    topic = example["summary"].split(" ")[1]
    check_signature(public, signature, topic, body.subject().encode(), headers, raw)


def test_no_v1_message_breaks_a_partner_built_against_the_released_schemas():
    """docs/contract/released/ holds the schemas as last released (`hubnet admin contract --release`)."""
    released = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in (DOCS / "released").glob("*.json")}
    assert released, "no released schemas to compare with"
    assert contract.breaking_changes(released, contract.schemas()) == []


def test_a_removed_field_a_new_required_field_and_a_changed_type_are_breaking_and_a_new_optional_one_is_not():
    old = contract.schemas()["se.hubnet.referral.create.v1"]
    gained = json.loads(json.dumps(old))
    gained["properties"]["language"] = {"type": "string", "default": "sv"}
    assert contract.breaking_changes({"t": old}, {"t": gained}) == []
    lost = json.loads(json.dumps(old))
    del lost["properties"]["need"]
    required = json.loads(json.dumps(old))
    required["required"].append("need")
    retyped = json.loads(json.dumps(old))
    retyped["$defs"]["Purpose"]["enum"].remove("work")
    assert contract.breaking_changes({"t": old}, {"t": lost}) == ["t: field need is gone"]
    assert contract.breaking_changes({"t": old}, {"t": required}) == ["t: field need became required"]
    assert contract.breaking_changes({"t": old}, {"t": retyped}) == ["t: field purpose changed its schema"]
    assert contract.breaking_changes({"t": old}, {}) == ["t: the message type is gone"]


def test_the_examples_seal_what_concerns_the_resident(document):
    create = document["components"]["messages"]["CreateReferral"]["examples"][0]["payload"]
    assert create["sealed_contact"].startswith("sealed:v2:")
    assert len(base64.b64decode(create["sealed_contact"].removeprefix("sealed:v2:"))) > 40


def test_the_integration_guide_says_what_to_do_about_every_refusal_code(document):
    guide = (DOCS / "README.md").read_text(encoding="utf-8")
    codes = {code for op in document["operations"].values() for code in op.get("x-hubnet-refusal-codes", {})}
    assert sorted(code for code in codes if f"`{code}`" not in guide) == []


def test_each_messages_record_key_is_made_from_its_body_as_the_contract_says(document):
    """A partner keys a command by its `x-hubnet-record-key`, filled from the body it sends."""
    for name, message in document["components"]["messages"].items():
        example = message["examples"][0]
        filled = message["x-hubnet-record-key"].format_map(example["payload"])
        assert filled == example["headers"]["ce_subject"], name
        assert "{" not in filled, name
