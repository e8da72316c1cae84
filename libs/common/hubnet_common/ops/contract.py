"""The partner contract on Kafka as an AsyncAPI 3.0 document and one JSON Schema per message,
generated from the message models (`sdk/messages/`), the topics (`sdk/topics.py`) and the Kafka
ACLs (`ops/access.py`), committed under docs/contract/ (`hubnet admin contract`).
tests/contract/test_message_contract.py fails when a committed file differs from what this makes.

FastStream's generator is not used: it shows one message type per subscriber, and hubnet's topics
carry many. The document describes the network from a partner system's side: its operations are
what a partner sends and receives; every topic is a channel, with who may read and write it.
"""

from __future__ import annotations

import base64
import inspect
import json
import pkgutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hubnet_common.ops import access, vectors
from hubnet_common.ops.fixed_keys import (
    fixed_bytes,
    seal_with_nonce,
    sealed_box_with,
    signing_public,
    signing_seed,
    x25519_private,
    x25519_public,
)
from hubnet_common.ops.partners import deployment_partners
from hubnet_common.sdk import envelope as ce
from hubnet_common.sdk import messages
from hubnet_common.sdk.errors import Refused
from hubnet_common.sdk.identity import partner_source, service_source
from hubnet_common.sdk.messages import MESSAGE_TYPES, Command, Message, directory, directory_commands
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.sdk.participant import normalise
from hubnet_common.sdk.sealing import ContactDetails
from hubnet_common.sdk.signing import SIGNATURE_HEADER, Signer, prove_possession
from hubnet_common.sdk.topics import FACT_OWNERS, MAIN_TOPICS, REPLIES_PREFIX, Topic, replies_topic

DOCS = Path("docs/contract")
SERVICE_PACKAGES = ("referrals", "events", "notifications")
REPLIES_ADDRESS = f"{REPLIES_PREFIX}{{partner_id}}.replies.v1"
EXAMPLE_TIME = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXAMPLE_PARTNER = "stadsmissionen"
# What the examples are signed with: a fixed test key (docs/contract/vectors/), never a real one.
EXAMPLE_SIGNING_SEED = signing_seed("contract example")
EXAMPLE_NEW_SIGNING_SEED = signing_seed("contract example rotated")
EXAMPLE_DATA_KEY = fixed_bytes("contract example data key")
EXAMPLE_PERSONNUMMER = "19811228-9874"
SIGNATURE_PATTERN = r"^v2;key=ed25519:[A-Za-z0-9_-]{43};sig=[A-Za-z0-9+/]{86}==$"

# Refusals of any command, before a handler sees it (hubnet_common/service/processing.py, the
# signature checks of sdk/signing.py and sdk/trust.py; docs/security.md, "What a consumer refuses").
RECORD_REFUSALS = {
    "unsigned": "no hubnet_signature header: sign the record (docs/contract/vectors/signed-record.json)",
    "unknown-key": "the signing key is in no directory entry: use the key the operators enrolled, or rotate to "
    "a new one first (RotateSigningKey) and wait for the directory to show it",
    "bad-signature": "the signature does not match the topic, key, signed headers and body: sign exactly the "
    "bytes you send, on the topic you send them to",
    "source-mismatch": "ce_source is not the owner of the signing key: sign as yourself",
    "key-not-valid": "the key was rotated out before ce_time, or is valid only later: sign with your current key",
    "replay": "ce_time is more than 300 s from the time the broker took the record: send with the current time "
    "and a synchronised clock; a retry gets a new ce_time but keeps its ce_id",
    "invalid-envelope": "a required CloudEvents header is missing or malformed",
    "too-large": "the body is larger than the services accept",
    "invalid-body": "the body does not match the message's JSON Schema (`errors` says which field and why)",
    "unknown-type": "no message type has this ce_type",
    "unsupported-command": "this ce_type is not a command of this topic",
    "processing-failed": "the command broke the service; it is kept for the operators: do not resend, ask them",
}


def _message_models() -> list[type[Message]]:
    """The models partners exchange (sdk/messages/), in ce_type order."""
    shared = [m for m in MESSAGE_TYPES.values() if m.__module__.startswith(messages.__name__ + ".")]
    return sorted(shared, key=lambda m: m.ce_type)


def _channel_id(address: str) -> str:
    return "partner-replies-v1" if address == REPLIES_ADDRESS else address.replace(".", "-")


def _topics() -> list[Topic]:
    """Every topic, the partners' replies topics as one (`partner.{partner_id}.replies.v1`)."""
    return [*MAIN_TOPICS, replies_topic("{partner_id}")]


def _address(topic: Topic) -> str:
    return REPLIES_ADDRESS if topic.name == replies_topic("{partner_id}").name else topic.name


def _models_on(topic: Topic) -> list[type[Message]]:
    wanted = "partner.*.replies.v1" if topic.name == REPLIES_ADDRESS else topic.name
    return [m for m in _message_models() if m.topic == wanted]


# --- who may read and write ---------------------------------------------------------------------


def access_of(topic: Topic) -> dict[str, list[str]]:
    """The Kafka users allowed to read and to write `topic` (ops/access.py): every partner's as
    `partner-{partner_id}`, and for a partner's replies only that partner's."""
    sample = deployment_partners()[0]
    name = replies_topic(sample).name if topic.name == REPLIES_ADDRESS else topic.name
    found: dict[str, list[str]] = {}
    for action, operation in (("read", access.READ), ("write", access.WRITE)):
        users = []
        for principal in access.principals():
            if access.allowed(principal, operation, "topic", name):
                user = "partner-{partner_id}" if principal.kind == "partner" else principal.user
                if user not in users:
                    users.append(user)
        found[action] = users
    return found


# --- refusal codes ------------------------------------------------------------------------------


def _modules(package: str) -> Iterator[str]:
    root = import_module(package)
    yield package
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if ".entrypoints" not in info.name and not info.name.endswith("bootstrap"):
            yield info.name


def _refusals_in(package: str) -> dict[str, str]:
    codes: dict[str, str] = {}
    for name in _modules(package) if hasattr(import_module(package), "__path__") else [package]:
        for _, cls in inspect.getmembers(import_module(name), inspect.isclass):
            if issubclass(cls, Refused) and cls is not Refused and cls.__module__ == name:
                doc = (inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " ")
                meanings = [m for m in (codes.get(cls.code, ""), doc) if m]
                codes[cls.code] = " Or: ".join(dict.fromkeys(meanings))
    return codes


def _shared_modules_used(package: str) -> list[str]:
    """The hubnet_common.service modules that `package` imports from (their refusals are its too)."""
    used: set[str] = set()
    for name in _modules(package):
        for _, member in inspect.getmembers(import_module(name)):
            origin = getattr(member, "__module__", None)
            if isinstance(origin, str) and origin.startswith("hubnet_common.service."):
                used.add(origin)
    return sorted(used)


def refusal_codes(service: str) -> dict[str, str]:
    """Every `code` a command on a topic of `service` may be rejected with, and what it means."""
    shared = {
        code: doc for module in _shared_modules_used(f"hubnet_{service}") for code, doc in _refusals_in(module).items()
    }
    codes = {**RECORD_REFUSALS, **shared, **_refusals_in(f"hubnet_{service}")}
    codes.setdefault(Refused.code, "refused by a rule of the service; `reason` says which")
    return dict(sorted(codes.items()))


def _service_consuming(topic: Topic) -> str:
    [service] = [s.name for s in access.SERVICES if topic in s.consumes and topic.name.endswith(".commands.v1")]
    return service


# --- JSON Schemas -------------------------------------------------------------------------------


def message_schema(model: type[Message]) -> dict[str, Any]:
    """The body's JSON Schema (draft 2020-12) as one self-contained file."""
    schema = model.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{model.ce_type}.json",
        "x-hubnet-ce-type": model.ce_type,
        "x-hubnet-topic": REPLIES_ADDRESS if model.topic == "partner.*.replies.v1" else model.topic,
        **schema,
    }


def _component_schema(model: type[Message], shared: dict[str, Any]) -> dict[str, Any]:
    """The schema with its $defs moved to components/schemas (one definition per model name)."""
    schema = model.model_json_schema(mode="validation", ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        if shared.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are named {name}")
    return schema


# --- examples -----------------------------------------------------------------------------------

_ID_FIELDS = {
    "partner_id": EXAMPLE_PARTNER,
    "recipient": partner_source(EXAMPLE_PARTNER),
    "sender_partner_id": EXAMPLE_PARTNER,
    "receiver_partner_id": "brg",
    "hub_id": "hub-angered",
    "service_id": "brg-jobbcoach",
    "url": "https://partner.example.org/hubnet/webhook",
    "email": "handlaggare@example.org",
    "ends_at": EXAMPLE_TIME.replace(hour=11).isoformat(),
    "public_key": signing_public(EXAMPLE_NEW_SIGNING_SEED),
    "encryption_public_key": x25519_public(x25519_private(f"partner-{EXAMPLE_PARTNER}")),
    "proof": prove_possession(EXAMPLE_NEW_SIGNING_SEED, EXAMPLE_PARTNER),
    "language": "sv",
    "valid_until": EXAMPLE_TIME.replace(year=EXAMPLE_TIME.year + 1).isoformat(),
}
_BY_PATTERN = {
    r"^[A-Za-z0-9._:-]+$": lambda name: f"{name.removesuffix('_id').replace('_', '-')}-1",
    r"^[a-z]{2,3}$": lambda name: "sv",
    r"^[a-z]+\.([a-z-]+|\*)$": lambda name: "referral.*",
    "^[0-9a-f]{64}$": lambda name: fixed_bytes("contract example participant").hex(),
    directory_commands.NEED: lambda name: "work",
    directory.CLOCK_TIME: lambda name: "09:00" if name == "opens_at" else "12:00",
    directory.WEEKDAYS: lambda name: "MO,WE",
}


def _example_sealed() -> str:
    return seal_with_nonce(b"example", EXAMPLE_DATA_KEY, fixed_bytes("contract example nonce", 24))


def _example_sealed_contact() -> str:
    contact = ContactDetails(name="Example Person", phone="+46700000000", language="sv")
    return seal_with_nonce(
        contact.model_dump_json().encode(), EXAMPLE_DATA_KEY, fixed_bytes("contract example contact nonce", 24)
    )


def _example_sealed_personnummer() -> str:
    referrals_public = x25519_public(x25519_private("service-referrals"))
    sealed = sealed_box_with(
        normalise(EXAMPLE_PERSONNUMMER).encode(), referrals_public, fixed_bytes("contract example ephemeral")
    )
    return base64.b64encode(sealed).decode("ascii")


def _value(schema: dict[str, Any], defs: dict[str, Any], name: str) -> Any:
    if "$ref" in schema:
        return _value(defs[schema["$ref"].rsplit("/", 1)[1]], defs, name)
    if name in _ID_FIELDS and schema.get("type", "string") == "string":
        return _ID_FIELDS[name]
    if name == "sealed_personnummer":
        return _example_sealed_personnummer()
    if "anyOf" in schema:
        [first, *_] = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _value(first, defs, name)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        if "properties" in schema:
            return {key: _value(sub, defs, key) for key, sub in schema["properties"].items()}
        return {}
    if kind == "array":
        return [_value(schema.get("items", {}), defs, name.removesuffix("s")) for _ in range(1)]
    if kind == "integer" or kind == "number":
        return max(int(schema.get("minimum", 1)), int(schema.get("exclusiveMinimum", 0)) + 1)
    if kind == "boolean":
        return True
    return _string(schema, name)


def _string(schema: dict[str, Any], name: str) -> str:
    if schema.get("format") == "date-time":
        return EXAMPLE_TIME.isoformat()
    if schema.get("format") == "date":
        return EXAMPLE_TIME.date().isoformat()
    if schema.get("pattern") in _BY_PATTERN:
        return _BY_PATTERN[schema["pattern"]](name)
    return f"example {name.replace('_', ' ')}".strip()


def _repair(data: dict[str, Any], error: Any) -> bool:
    """Put a sealed value where the model wants one (the schema cannot say so)."""
    if "sealed:v2" not in str(error.get("msg", "")):
        return False
    target: Any = data
    *path, last = error["loc"]
    for step in path:
        target = target[step]
    target[last] = _example_sealed_contact() if last == "sealed_contact" else _example_sealed()
    return True


def example_of(model: type[Message]) -> Message:
    """A valid body of `model`, the same on every run: every field filled (optional ones too)."""
    schema = model.model_json_schema(mode="validation")
    data = _value(schema, schema.get("$defs", {}), "")
    data.update(_OVERRIDES.get(model.__name__, {}))
    for _ in range(20):
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            if not all(_repair(data, error) for error in exc.errors()):
                raise
    raise ValueError(f"no example for {model.__name__}")


_SERVICE_PAGE = {"url": "https://partner.example.org/tjanster/jobbcoach"}  # not the webhook's
_OVERRIDES: dict[str, dict[str, Any]] = {"UpsertService": _SERVICE_PAGE, "ServiceUpserted": _SERVICE_PAGE}


def _source_of(model: type[Message]) -> str:
    if issubclass(model, Command):
        return partner_source(EXAMPLE_PARTNER)
    return service_source(FACT_OWNERS.get(model.topic, "referrals"))


def example_record(model: type[Message]) -> dict[str, Any]:
    """The example as a Kafka record: its key, headers (signed with the example key) and payload."""
    body = example_of(model)
    raw = body.model_dump_json().encode()
    envelope = ce.Envelope(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"hubnet:{model.ce_type}")),
        source=_source_of(model),
        type=model.ce_type,
        subject=body.subject(),
        time=EXAMPLE_TIME,
        traceparent=f"00-{fixed_bytes('trace ' + model.ce_type, 16).hex()}-{fixed_bytes('span', 8).hex()}-01",
    )
    topic = replies_topic(EXAMPLE_PARTNER).name if model.topic == "partner.*.replies.v1" else model.topic
    key = body.subject().encode()
    headers = Signer(EXAMPLE_SIGNING_SEED).sign(topic, key, envelope.to_headers(), raw)
    return {
        "topic": topic,
        "key": body.subject(),
        "key_template": key_template(model),
        "headers": {name: value.decode() for name, value in headers},
        "payload": json.loads(raw),
    }


def key_template(model: type[Message]) -> str:
    """How the record key (the aggregate id) is made from the body, e.g. `partner:{partner_id}`: the
    model's own key with each field standing for itself in braces."""
    placeholders: dict[str, Any] = {name: "{" + name + "}" for name in model.model_fields}
    return model.model_construct(None, **placeholders).subject()


# --- the document -------------------------------------------------------------------------------


def _headers_schema() -> dict[str, Any]:
    required = [*ce.REQUIRED, "ce_subject", "content-type", SIGNATURE_HEADER]
    return {
        "type": "object",
        "description": "CloudEvents 1.0 attributes in Kafka binary mode, a W3C traceparent and the Ed25519 "
        "signature over the signed form (docs/contract/vectors/signed-record.json). Header values are UTF-8.",
        "required": required,
        "properties": {
            "ce_specversion": {"type": "string", "const": ce.SPEC_VERSION},
            "ce_id": {
                "type": "string",
                "minLength": 1,
                "description": "Unique per message (a UUID; hubnet uses version 7). A retry of a command keeps "
                "its ce_id: the services handle each ce_id once, and the answer's command_id is it.",
            },
            "ce_source": {
                "type": "string",
                "pattern": "^urn:hubnet:(partner|service):[a-z0-9-]+$",
                "description": "Who sent it, urn:hubnet:partner:<partner id> or urn:hubnet:service:<name>; "
                "must be the owner of the signing key.",
            },
            "ce_type": {"type": "string", "description": "The message type; says which schema the body has."},
            "ce_time": {
                "type": "string",
                "format": "date-time",
                "description": "RFC 3339 with offset. A command must reach the broker within 300 s of it.",
            },
            "ce_subject": {"type": "string", "description": "The aggregate id; the same as the record key."},
            "content-type": {"type": "string", "const": ce.CONTENT_TYPE},
            "traceparent": {
                "type": "string",
                "pattern": "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                "description": "W3C trace context; every fact a command causes carries its trace id.",
            },
            SIGNATURE_HEADER: {
                "type": "string",
                "pattern": SIGNATURE_PATTERN,
                "description": "v2;key=<key id>;sig=<base64 Ed25519 signature of the signed form>",
            },
        },
    }


def _message(model: type[Message], shared: dict[str, Any]) -> dict[str, Any]:
    record = example_record(model)
    doc = inspect.getdoc(model)
    message: dict[str, Any] = {
        "name": model.ce_type,
        "title": model.__name__,
        "contentType": ce.CONTENT_TYPE,
        "headers": {
            "allOf": [
                {"$ref": "#/components/schemas/CloudEventHeaders"},
                {"properties": {"ce_type": {"const": model.ce_type}}},
            ]
        },
        "payload": _component_schema(model, shared),
        "correlationId": {"location": "$message.header#/ce_id"},
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "description": f"the aggregate id (ce_subject): {record['key_template']}",
                },
                "bindingVersion": "0.5.0",
            }
        },
        "examples": [
            {
                "name": "example",
                "summary": f"on {record['topic']} with key {record['key']}",
                "headers": record["headers"],
                "payload": record["payload"],
            }
        ],
        "x-hubnet-ce-type": model.ce_type,
        "x-hubnet-schema": f"schemas/{model.ce_type}.json",
        "x-hubnet-kind": "command" if issubclass(model, Command) else "fact",
        "x-hubnet-record-key": record["key_template"],
    }
    if doc and doc not in (inspect.getdoc(Command), inspect.getdoc(Message), inspect.getdoc(messages.Fact)):
        message["summary"] = doc.split("\n\n")[0].replace("\n", " ")
    return message


def _channel(topic: Topic, models: list[type[Message]]) -> dict[str, Any]:
    who = access_of(topic)
    configs = {"cleanup.policy": [topic.cleanup_policy], "retention.ms": topic.retention_ms}
    channel: dict[str, Any] = {
        "address": _address(topic),
        "description": f"Retention {_retention(topic)}, cleanup policy {topic.cleanup_policy}. "
        f"Read by: {', '.join(who['read']) or 'nobody'}. Written by: {', '.join(who['write']) or 'nobody'}.",
        "messages": {m.__name__: {"$ref": f"#/components/messages/{m.__name__}"} for m in models},
        "bindings": {
            "kafka": {"partitions": topic.partitions, "topicConfiguration": configs, "bindingVersion": "0.5.0"}
        },
        "x-hubnet-access": who,
        "x-hubnet-configs": topic.configs,
        "x-hubnet-dead-letter-topic": f"{topic.name}.dlq" if topic.dead_letter else None,
    }
    if topic.name == REPLIES_ADDRESS:
        channel["parameters"] = {
            "partner_id": {"description": "your partner id (ce_source urn:hubnet:partner:<partner id>)"}
        }
    return channel


def _retention(topic: Topic) -> str:
    if topic.retention_ms < 0:
        return "forever (compacted to the latest record per key)"
    days = topic.retention_ms // (24 * 60 * 60 * 1000)
    return f"{days} days"


def _operations(channels: dict[str, Topic]) -> dict[str, Any]:
    replies = _channel_id(REPLIES_ADDRESS)
    operations: dict[str, Any] = {}
    for channel_id, topic in channels.items():
        who = access_of(topic)
        models = _models_on(topic)
        if "partner-{partner_id}" in who["write"] and models:
            service = _service_consuming(topic)
            operations[f"send-{channel_id}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": f"A partner sends a command to the {service} service.",
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/{m.__name__}"} for m in models],
                "reply": {
                    "channel": {"$ref": f"#/channels/{replies}"},
                    "messages": [
                        {"$ref": f"#/channels/{replies}/messages/{m.__name__}"}
                        for m in (CommandAccepted, CommandRejected)
                    ],
                },
                "x-hubnet-refusal-codes": refusal_codes(service),
            }
        elif "partner-{partner_id}" in who["read"] and models:
            operations[f"receive-{channel_id}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": "A partner reads; it verifies each record's signature before it uses it.",
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/{m.__name__}"} for m in models],
            }
    return operations


INFO_DESCRIPTION = """\
The Kafka side of hubnet as a partner system sees it: the topics (channels), the messages on each
and the operations a partner performs. Every record is a CloudEvent in Kafka binary mode (ce_*
headers, JSON body), keyed by its aggregate id, and signed with its sender's Ed25519 key in the
hubnet_signature header. Commands are answered on the sender's own replies topic with
se.hubnet.command.accepted.v1 or se.hubnet.command.rejected.v1 (correlated by command_id = the
command's ce_id); the refusal codes of each command topic are in x-hubnet-refusal-codes of its
operation. Topic names are given without a deployment's prefix. Generated by `hubnet admin contract`
from the code; the integration guide is README.md beside this file."""


def document() -> dict[str, Any]:
    shared: dict[str, Any] = {}
    topics = {_channel_id(_address(t)): t for t in _topics()}
    channels = {cid: _channel(t, _models_on(t)) for cid, t in topics.items()}
    components_messages = {m.__name__: _message(m, shared) for m in _message_models()}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "hubnet partner contract (Kafka)",
            "version": "1.0.0",
            "description": INFO_DESCRIPTION,
        },
        "defaultContentType": ce.CONTENT_TYPE,
        "channels": channels,
        "operations": _operations(topics),
        "components": {
            "schemas": {"CloudEventHeaders": _headers_schema(), **dict(sorted(shared.items()))},
            "messages": components_messages,
        },
    }


def schemas() -> dict[str, dict[str, Any]]:
    return {m.ce_type: message_schema(m) for m in _message_models()}


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def rendered() -> dict[str, str]:
    """Every generated file, by path relative to docs/contract/."""
    files = {"asyncapi.json": _json(document())}
    files.update({f"schemas/{ce_type}.json": _json(s) for ce_type, s in schemas().items()})
    files.update(vectors.rendered())
    return files


def write(directory: Path = DOCS, files: dict[str, str] | None = None) -> list[Path]:
    """Write what differs; returns the paths written."""
    written = []
    for relative, text in (files if files is not None else rendered()).items():
        path = Path(directory) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


# --- compatibility ------------------------------------------------------------------------------

RELEASED = "released"


def breaking_changes(released: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]) -> list[str]:
    """What in `current` breaks a partner built against `released` (schemas by ce_type). A v1
    message may only gain optional fields: no type may go, no field may go or change its schema
    (its $defs included), no field may become required. Deliberately strict: a loosening is
    released by hand (`hubnet admin contract --release`) after review."""
    problems = []
    for ce_type, old in sorted(released.items()):
        new = current.get(ce_type)
        if new is None:
            problems.append(f"{ce_type}: the message type is gone")
            continue
        for name, field in old.get("properties", {}).items():
            if name not in new.get("properties", {}):
                problems.append(f"{ce_type}: field {name} is gone")
            elif _resolved(new["properties"][name], new) != _resolved(field, old):
                problems.append(f"{ce_type}: field {name} changed its schema")
        for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
            problems.append(f"{ce_type}: field {name} became required")
    return problems


def _resolved(schema: Any, root: dict[str, Any]) -> Any:
    """`schema` with every `#/$defs/…` reference replaced by its definition."""
    if isinstance(schema, dict):
        if "$ref" in schema and schema["$ref"].startswith("#/$defs/"):
            return _resolved(root["$defs"][schema["$ref"].rsplit("/", 1)[1]], root)
        return {key: _resolved(value, root) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_resolved(item, root) for item in schema]
    return schema


def release(directory: Path = DOCS) -> list[Path]:
    """Copy the current schemas to `released/`, what later versions are compared with."""
    return write(directory, {f"{RELEASED}/{ce_type}.json": _json(s) for ce_type, s in schemas().items()})
