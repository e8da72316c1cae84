"""What each `hubnet` subcommand does; each returns the process exit code."""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from argparse import Namespace
from pathlib import Path

from pydantic import ValidationError

from hubnet_common.ops.identity import OPERATOR_CLIENT
from hubnet_common.sdk.messages.base import MESSAGE_TYPES, Command
from hubnet_common.service.settings import Settings


class Failure(Exception):
    """A clear, expected failure: printed as one line, exit code 2."""


def send(args: Namespace) -> int:
    commands = {m.__name__: m for m in MESSAGE_TYPES.values() if issubclass(m, Command) and "ce_type" in m.__dict__}
    model = commands.get(args.name)
    if model is None:
        raise Failure(f"unknown command {args.name!r}; one of: {', '.join(sorted(commands))}")
    raw = sys.stdin.read() if args.body == "-" else args.body
    try:
        command = model.model_validate_json(raw)
    except ValidationError as exc:
        raise Failure(
            f"{args.name}: {exc.error_count()} problem(s): "
            + "; ".join(f"{'.'.join(map(str, e['loc'])) or '(body)'}: {e['msg']}" for e in exc.errors())
        ) from exc
    return _answered(_request(args.partner, command, args.timeout))


def _request(partner_id: str, command: Command, timeout: float):
    from hubnet_common.ops.local.partners import LocalPartnerClient

    async def request():
        async with LocalPartnerClient(Settings().kafka_bootstrap, partner_id) as client:  # as partner-<id>
            return await client.request(command, timeout=timeout)

    try:
        return asyncio.run(request())
    except TimeoutError as exc:
        raise Failure(f"no answer within {timeout:.0f} s; is the service running?") from exc


def _answered(reply) -> int:
    print(json.dumps({"type": reply.ce_type, **reply.model_dump(mode="json")}, indent=2, ensure_ascii=False))
    return 0 if reply.ce_type.endswith("accepted.v1") else 1


def _get(path: str, as_client: str, **query: str | None) -> bytes:
    """GET from the referrals service, logged in as `as_client` (ops/local/identities.py `tokens_of`)."""
    from hubnet_common.ops.local.identities import tokens_of
    from hubnet_common.sdk.tokens import TokenRefused

    params = urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
    url = f"{Settings().referrals_url}{path}?{params}"
    try:
        request = urllib.request.Request(url, headers=tokens_of(as_client).authorization())
    except (LookupError, TokenRefused) as exc:
        raise Failure(f"cannot log in as {as_client}: {exc}") from exc
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        raise Failure(
            f"{exc.code}: {json.loads(detail).get('error', detail) if detail.startswith('{') else detail}"
        ) from None
    except OSError as exc:
        raise Failure(f"cannot reach the referrals service at {url}: {exc}") from exc


def list_referrals(args: Namespace) -> int:
    rows = json.loads(_get("/referrals", f"partner-{args.partner}", role=args.role, status=args.status))
    for r in rows:
        print(
            f"{r['id']}  {r['status']:<16} v{r['version']:<3} {r['sender_partner_id']} -> "
            f"{r['service_id']} @ {r['hub_id']}  {r['requested_at'][:16]}"
        )
    print(f"{len(rows)} referral(s)")
    return 0


def show_referral(args: Namespace) -> int:
    r = json.loads(_get("/referral", f"partner-{args.partner}", id=args.referral_id))
    print(f"{r['id']}: {r['status']} (version {r['version']})")
    print(f"  from {r['sender_partner_id']} to {r['receiver_partner_id']}: {r['service_id']} at {r['hub_id']}")
    print(f"  purpose {r['purpose']}, consent {r['consent_id']}, participant_ref {r['participant_ref'][:12]}…")
    opened = _opener(r["participant_ref"], args.partner, Path(args.key)) if args.key else _still_sealed
    if args.key:
        print(f"  contact: {_contact(r.get('sealed_contact'), opened)}")
    print(f"  need: {opened(r.get('need')) or '-'}")
    print("  history:")
    for h in r["history"]:
        why = " ".join(
            x
            for x in (
                h.get("reason_code") or "",
                opened(h.get("reason")),
                opened(h.get("note")),
                opened(h.get("outcome_note")),
            )
            if x
        )
        outcome = f" outcome={h['main_activity']}" if h.get("main_activity") else ""
        print(
            f"    v{h['version']} {h['at'][:19]} {h['action']:<22} -> {h['status']:<16} by {h['actor_partner_id']}"
            f"{outcome}{'  ' + why if why else ''}"
        )
    return 0


def show_audit(args: Namespace) -> int:
    entries = json.loads(_get("/audit", f"partner-{args.partner}", id=args.referral_id))
    for e in entries:
        answer = e["outcome"] + (f" ({e['code']})" if e["code"] else "")
        print(f"{e['answered_at'][:19]}  {e['actor']:<22} {e['command_type']:<40} {answer:<28} {e['command_id']}")
    print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} for {args.referral_id}")
    return 0


def _still_sealed(sealed: str | None) -> str:
    return "(sealed)" if sealed else ""


def _opener(participant_ref: str, partner_id: str, key_file: Path):
    """Opens what is sealed about the resident with the partner's copy of their data key."""
    from hubnet_common.ops.local.identities import tokens_of
    from hubnet_common.sdk.data_key import DataKeyAnswerRefused, DataKeyMissing, InsecureURL, fetch_data_key
    from hubnet_common.sdk.keys import KeyInvalid, read_key
    from hubnet_common.sdk.sealing import SealingError, open_with_data_key
    from hubnet_common.sdk.trust import trusted_service_keys

    settings = Settings()
    try:
        data_key = fetch_data_key(
            settings.referrals_url,
            participant_ref,
            partner_id,
            read_key(key_file),
            service_keys=trusted_service_keys(settings.keys_dir),
            tokens=tokens_of(f"partner-{partner_id}"),
        )
    except DataKeyMissing:
        return lambda sealed: (
            "(sealed; you hold no data key for this resident: never shared, or erased)" if sealed else ""
        )
    except (DataKeyAnswerRefused, InsecureURL, SealingError, KeyInvalid, OSError) as exc:
        raise Failure(str(exc)) from exc

    def opened(sealed: str | None) -> str:
        try:
            return open_with_data_key(sealed, data_key) if sealed else ""
        except SealingError as exc:
            raise Failure(str(exc)) from exc

    return opened


def _contact(sealed: str | None, opened) -> str:
    from hubnet_common.sdk.sealing import ContactDetails

    if not sealed:
        return "none (not given, or erased)"
    text = opened(sealed)
    try:
        details = ContactDetails.model_validate_json(text)
    except ValidationError:
        return text  # not opened: it says why
    return ", ".join(f"{k}={v}" for k, v in details.model_dump(exclude_none=True).items())


def report(args: Namespace) -> int:
    body = _get(
        "/report", OPERATOR_CLIENT, group_by=args.group_by, since=args.since, until=args.until, format=args.format
    )
    sys.stdout.write(body.decode())
    return 0


def erase_participant(args: Namespace) -> int:
    from hubnet_common.sdk.messages.referral_commands import EraseParticipant

    command = EraseParticipant(sealed_personnummer=_sealed_personnummer(args.personnummer), noted_by=args.noted_by)
    return _answered(_request(args.partner, command, args.timeout))


def _sealed_personnummer(number: str) -> str:
    """The number sealed to the referrals service (its public key from HUBNET_KEYS_DIR)."""
    from hubnet_common.sdk.keys import KeyInvalid
    from hubnet_common.sdk.participant import InvalidPersonalNumber, custodian_public_key, seal_personnummer

    keys_dir = Settings().keys_dir
    if keys_dir is None:
        raise Failure("set HUBNET_KEYS_DIR to the directory with the referrals service's public keys")
    try:
        return seal_personnummer(number, custodian_public_key(keys_dir))
    except KeyInvalid as exc:
        raise Failure(str(exc)) from exc
    except InvalidPersonalNumber as exc:
        raise Failure(f"not a valid personnummer or samordningsnummer: {exc}") from exc


def generate_keys(args: Namespace) -> int:
    from hubnet_common.ops.access import network_key_names
    from hubnet_common.sdk.identity import owner_source
    from hubnet_common.sdk.keys import KINDS, KeyInvalid, ensure_key_pairs, ensure_secret_key, write_key_pair
    from hubnet_common.sdk.participant import PSEUDONYM_KEY_FILE

    if not args.names and not args.network:
        raise Failure("name the key pairs (partner-<id> or service-<name>), or give --network")
    made = []
    try:
        for name in args.names:
            owner_source(name)
            made += [write_key_pair(Path(args.dir), name, kind)[1] for kind in KINDS]
        if args.network:
            made += ensure_key_pairs(Path(args.dir), network_key_names())
            # The referrals service's alone: participant_ref is made with it (docs/adr/0007-custodian-pseudonyms.md).
            made += ensure_secret_key(Path(args.dir) / PSEUDONYM_KEY_FILE)
    except (FileExistsError, KeyInvalid) as exc:
        raise Failure(str(exc)) from exc
    for private in made:
        public = "" if private.name == PSEUDONYM_KEY_FILE else f" and its public key {private.with_suffix('.pub').name}"
        print(f"{private} (keep it secret; mode 0600){public}")
    print(f"{len(made)} key pair(s) made in {args.dir}")
    return 0


def migrate(args: Namespace) -> int:
    from hubnet_common.ops.cli.migrate import migrate_service

    applied = asyncio.run(migrate_service(args.service))
    print(f"{args.service}: {len(applied)} migration(s) applied: {', '.join(applied) or 'none pending'}")
    return 0


def rotate_custodian_key(args: Namespace) -> int:
    from hubnet_referrals.adapters.custodian_rotation import RotationStopped, next_key_file, rotate
    from hubnet_referrals.settings import ReferralSettings

    settings = ReferralSettings()
    key_file = settings.custodian_key_path
    if key_file is None:
        raise Failure("set HUBNET_KEYS_DIR or HUBNET_CUSTODIAN_KEY_FILE to where the custodian key is (or goes)")

    def progress(done: int, total: int) -> None:
        print(f"sealed anew: {done} of {total}", flush=True)

    print(f"new custodian key: {next_key_file(key_file)}", flush=True)
    try:
        rotated = asyncio.run(rotate(settings.pg_dsn, key_file, settings.personnummer_key_path, progress=progress))
    except RotationStopped as exc:
        raise Failure(str(exc)) from exc
    print(f"{rotated.sealed_anew} copies sealed anew; {key_file} is the new custodian key, the old one is destroyed")
    print(
        "in a cluster: kubectl -n hubnet create secret generic hubnet-referrals-custodian-key "
        f"--from-file=custodian.key={key_file} --dry-run=client -o yaml | kubectl apply -f -; "
        "start the referrals service again; delete every other copy of the old key (vault, backups of it)"
    )
    return 0


def operator_settings() -> Settings:
    """The dlq tools log in as the operator (locally its user in .local/kafka/users)."""
    from hubnet_common.ops.local.credentials import logged_in

    return logged_in("hubnet-operator")


def _dead_letters(args: Namespace):
    from hubnet_common.ops import dlq

    settings = operator_settings()
    if args.offset is not None and not args.topic:
        raise Failure("--offset needs --topic")
    try:
        letters = asyncio.run(
            dlq.read(
                settings, topic=args.topic, group=args.group, reason=args.reason, since=args.since, until=args.until
            )
        )
    except ValueError as exc:
        raise Failure(str(exc)) from exc
    return [d for d in letters if args.offset is None or d.offset == args.offset]


def dlq_list(args: Namespace) -> int:
    letters = _dead_letters(args)
    for d in letters:
        topic, partition, offset = d.original
        print(
            f"{d.topic}@{d.offset}  {d.header('dlq_time')[:19]}  {d.reason:<20} from {topic}/{partition}/{offset}"
            f"  group={d.header('dlq_group')}  type={d.header('ce_type') or '-'}  id={d.header('ce_id') or '-'}"
        )
    print(f"{len(letters)} dead letter(s)")
    return 0


def dlq_show(args: Namespace) -> int:
    from hubnet_common.ops import dlq

    settings = operator_settings()
    try:
        letters = asyncio.run(dlq.read(settings, topic=args.topic))
    except ValueError as exc:
        raise Failure(str(exc)) from exc
    letter = next((d for d in letters if d.offset == args.offset), None)
    if letter is None:
        raise Failure(f"no dead letter at offset {args.offset} of {args.topic}")
    print(f"{letter.topic}@{letter.offset}  key={letter.key!r}")
    for name, value in letter.headers:
        print(f"  {name}: {value.decode('utf-8', 'replace')}")
    print((letter.value or b"").decode("utf-8", "replace"))
    return 0


def dlq_replay(args: Namespace) -> int:
    from hubnet_common.ops import dlq

    letters = _dead_letters(args)
    settings = operator_settings()
    sent = asyncio.run(dlq.replay(settings, letters))
    print(f"{sent} dead letter(s) replayed to their topics")
    return 0


def dlq_purge(args: Namespace) -> int:
    from hubnet_common.ops import dlq

    settings = operator_settings()
    try:
        kept_from = asyncio.run(dlq.purge(settings, args.topic, before=args.before))
    except ValueError as exc:
        raise Failure(str(exc)) from exc
    print(f"purged {args.topic}: records before offset {kept_from} deleted")
    return 0


def openapi(args: Namespace) -> int:
    from hubnet_common.ops.openapi import SERVICES, write

    written = write(args.dir)
    print(f"openapi: {len(written)} of {len(SERVICES)} documents in {args.dir} written anew")
    return 0


def contract(args: Namespace) -> int:
    from hubnet_common.ops.contract import release, rendered, write

    files = rendered()
    written = write(args.dir, files)
    print(f"contract: {len(written)} of {len(files)} files in {args.dir} written anew")
    if args.release:
        print(f"contract: released {len(release(args.dir))} schema(s) anew under {args.dir}/released/")
    return 0


def topics(args: Namespace) -> int:
    from hubnet_common.ops.local.credentials import ADMIN, logged_in
    from hubnet_common.ops.partners import deployment_topics
    from hubnet_common.service.kafka import ensure_topics
    from hubnet_common.service.kafka_security import client_security

    settings: Settings = logged_in(ADMIN)
    wanted = deployment_topics()
    created = asyncio.run(
        ensure_topics(settings.kafka_bootstrap, wanted, prefix=settings.topic_prefix, **client_security(settings))
    )
    print(f"topics: {len(created)} created, {len(wanted) - len(created)} already there (settings reconciled)")
    return 0


def demo(args: Namespace) -> int:
    from hubnet_common.ops.cli.demo import run_demo

    return run_demo(once=args.once)


def partner_add(args: Namespace) -> int:
    from hubnet_common.ops.onboarding import Admission, OnboardingFailed, local_onboarding
    from hubnet_common.sdk.keys import KeyInvalid, read_key

    try:
        admission = Admission(
            args.partner_id,
            args.name,
            read_key(args.signing_key),
            read_key(args.encryption_key) if args.encryption_key else None,
        )
        status = local_onboarding(_progress).add(admission)
    except (OnboardingFailed, KeyInvalid) as exc:
        raise Failure(str(exc)) from exc
    print(f"partner {args.partner_id}: {status}")
    return 0


def partner_step(args: Namespace) -> int:
    from hubnet_common.ops.onboarding import OnboardingFailed, local_onboarding

    try:
        onboarding = local_onboarding(_progress)
        status = getattr(onboarding, args.step)(args.partner_id)
    except OnboardingFailed as exc:
        raise Failure(str(exc)) from exc
    print(f"partner {args.partner_id}: {status}")
    return 0


def _progress(line: str) -> None:
    print(f"  - {line}", flush=True)
