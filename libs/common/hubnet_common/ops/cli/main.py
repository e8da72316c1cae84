"""`hubnet`: the command line for staff and operators (run `hubnet -h` and `hubnet COMMAND -h`).

hubnet send --as PARTNER COMMAND [JSON|-]    send any command as a partner, print the answer
hubnet referral list --partner P [--role sender|receiver] [--status S]
hubnet referral show ID --partner P [--key FILE]   one referral and its history; --key opens what
                                                    is sealed about the resident (P's data key copy)
hubnet audit ID --partner P                  who asked what of a referral, when, and the answers
hubnet report [--group-by hub,month] [--since YYYY-MM] [--until YYYY-MM] [--csv|--json]
hubnet participant erase --partner P --personnummer N --noted-by NAME   forget a resident (crypto-shredding)
hubnet keys generate NAME… [--network] [--dir DIR]
                                              Ed25519 + X25519 key pairs of partners/services
hubnet dlq list|replay [--topic T] [--group G] [--reason R] [--since T] [--until T] [--offset N]
hubnet dlq show TOPIC OFFSET | hubnet dlq purge --topic T [--before N]
hubnet admin topics                           create missing topics, reconcile their settings
hubnet admin migrate SERVICE                  apply the service's pending database migrations
hubnet admin rotate-custodian-key             a new referrals custodian key, every copy sealed anew,
                                              the old key destroyed (the referrals service stopped)
hubnet demo [--once]                          start the three services and drive the demo
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from hubnet_common.ops.cli import commands


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="hubnet", description="hubnet command line for staff and operators")
    sub = top.add_subparsers(dest="command", required=True)
    for add in (_send, _referral, _audit, _report, _participant, _keys, _dlq, _admin, _demo):
        add(sub)
    return top


def _send(sub: Any) -> None:
    send = sub.add_parser("send", help="send a command as a partner and print the answer")
    send.add_argument("--as", dest="partner", required=True, help="the partner id sending it")
    send.add_argument("name", help="the command, e.g. AcceptReferral (an unknown name lists them all)")
    send.add_argument("body", nargs="?", default="{}", help="the command's fields as JSON; - reads stdin")
    send.add_argument("--timeout", type=float, default=30.0)
    send.set_defaults(run=commands.send)


def _referral(sub: Any) -> None:
    referral = sub.add_parser("referral", help="read referrals").add_subparsers(dest="what", required=True)
    listing = referral.add_parser("list", help="a partner's referrals")
    listing.add_argument("--partner", required=True)
    listing.add_argument("--role", choices=["sender", "receiver"])
    listing.add_argument("--status")
    listing.set_defaults(run=commands.list_referrals)
    show = referral.add_parser("show", help="one referral with its history")
    show.add_argument("referral_id")
    show.add_argument("--partner", required=True, help="who asks: the sender or the receiver")
    show.add_argument(
        "--key",
        help="P's private key file: opens P's copy of the resident's data key, and with it "
        "the contact details and free text",
    )
    show.set_defaults(run=commands.show_referral)


def _audit(sub: Any) -> None:
    audit = sub.add_parser("audit", help="the audit log of one referral")
    audit.add_argument("referral_id")
    audit.add_argument("--partner", required=True, help="who asks: the sender or the receiver")
    audit.set_defaults(run=commands.show_audit)


def _report(sub: Any) -> None:
    report = sub.add_parser("report", help="follow-up figures; cells under 5 are suppressed")
    report.add_argument("--group-by", default="hub,partner,service,month")
    report.add_argument("--since", help="first month, YYYY-MM (default: 11 months before --until)")
    report.add_argument("--until", help="last month, YYYY-MM (default: this month); at most 24 months in all")
    shape = report.add_mutually_exclusive_group()
    shape.add_argument("--csv", action="store_const", const="csv", dest="format", default="table")
    shape.add_argument("--json", action="store_const", const="json", dest="format")
    report.set_defaults(run=commands.report)


def _participant(sub: Any) -> None:
    participant = sub.add_parser("participant", help="a resident").add_subparsers(dest="what", required=True)
    erase = participant.add_parser(
        "erase",
        help="forget a resident: their data key is destroyed, every service "
        "drops what it holds (the number goes sealed to the referrals service, which answers the ref)",
    )
    erase.add_argument("--partner", required=True, help="the partner asking, holding a consent of the resident")
    erase.add_argument("--personnummer", required=True)
    erase.add_argument("--noted-by", required=True, help="the staff member who took the resident's request")
    erase.add_argument("--timeout", type=float, default=30.0)
    erase.set_defaults(run=commands.erase_participant)


def _keys(sub: Any) -> None:
    keys = sub.add_parser("keys", help="key pairs").add_subparsers(dest="what", required=True)
    generate = keys.add_parser("generate", help="Ed25519 (signing) and X25519 (sealing) key pairs")
    generate.add_argument("names", nargs="*", metavar="NAME", help="partner-<id> or service-<name>")
    generate.add_argument(
        "--network",
        action="store_true",
        help="also every service and partner of the network, keeping the pairs that exist",
    )
    generate.add_argument("--dir", default=".")
    generate.set_defaults(run=commands.generate_keys)


def _dlq(sub: Any) -> None:
    dlq = sub.add_parser("dlq", help="dead letters").add_subparsers(dest="what", required=True)
    for name, run, text in (
        ("list", commands.dlq_list, "list dead letters"),
        ("replay", commands.dlq_replay, "send dead letters again to the topic they came from"),
    ):
        verb = dlq.add_parser(name, help=text)
        verb.add_argument("--topic", help="e.g. referral.commands.v1 (default: every dead-letter topic)")
        verb.add_argument("--group", help="the consumer group that dead-lettered them")
        verb.add_argument("--reason", help="e.g. invalid-envelope, unknown-type, invalid-body, handler-error")
        verb.add_argument("--since", type=datetime.fromisoformat, help="ISO time, e.g. 2026-11-25T08:00+01:00")
        verb.add_argument("--until", type=datetime.fromisoformat)
        verb.add_argument("--offset", type=int, help="only the dead letter at this offset (with --topic)")
        verb.set_defaults(run=run)
    show = dlq.add_parser("show", help="one dead letter: headers and body")
    show.add_argument("topic")
    show.add_argument("offset", type=int)
    show.set_defaults(run=commands.dlq_show)
    purge = dlq.add_parser("purge", help="delete a dead-letter topic's records (those dealt with)")
    purge.add_argument("--topic", required=True)
    purge.add_argument("--before", type=int, help="keep this offset and later (default: delete all)")
    purge.set_defaults(run=commands.dlq_purge)


def _admin(sub: Any) -> None:
    admin = sub.add_parser("admin", help="operator tasks").add_subparsers(dest="task", required=True)
    admin.add_parser("topics", help="create missing topics, reconcile settings").set_defaults(run=commands.topics)
    migrate = admin.add_parser("migrate", help="apply a service's pending migrations (HUBNET_PG_DSN)")
    migrate.add_argument("service", choices=["referrals", "events", "notifications"])
    migrate.set_defaults(run=commands.migrate)
    openapi = admin.add_parser("openapi", help="write the services' OpenAPI documents (docs/openapi/)")
    openapi.add_argument("--dir", type=Path, default=Path("docs/openapi"))
    openapi.set_defaults(run=commands.openapi)
    contract = admin.add_parser(
        "contract", help="write the partner contract: AsyncAPI, JSON Schemas, test vectors (docs/contract/)"
    )
    contract.add_argument("--dir", type=Path, default=Path("docs/contract"))
    contract.add_argument(
        "--release", action="store_true", help="also copy the schemas to released/, what later ones are checked against"
    )
    contract.set_defaults(run=commands.contract)
    rotate = admin.add_parser(
        "rotate-custodian-key",
        help="make a new custodian key for the referrals service, seal its copy of every data key anew to it "
        "and destroy the old one (HUBNET_PG_DSN, HUBNET_KEYS_DIR or HUBNET_CUSTODIAN_KEY_FILE and "
        "HUBNET_ENCRYPTION_KEY_FILE; stop the service first)",
    )
    rotate.set_defaults(run=commands.rotate_custodian_key)
    _partner(admin)


def _partner(admin: Any) -> None:
    partner = admin.add_parser(
        "partner",
        help="admit, suspend, resume or remove a partner: directory entry, replies topic, Kafka user, ACLs "
        "and quotas, identity-provider clients (docs/operations.md)",
    ).add_subparsers(dest="step", required=True)
    add = partner.add_parser("add", help="admit a partner to the network (idempotent)")
    add.add_argument("partner_id", metavar="ID", help="lower-case letters, digits and dashes, e.g. arbetsformedlingen")
    add.add_argument("--name", required=True, help="the organisation's name, as the directory shows it")
    add.add_argument(
        "--signing-key",
        required=True,
        type=Path,
        metavar="FILE",
        help="its Ed25519 public key (partner-<id>.ed25519.pub)",
    )
    add.add_argument(
        "--encryption-key", type=Path, metavar="FILE", help="its X25519 public key (partner-<id>.x25519.pub)"
    )
    add.set_defaults(run=commands.partner_add)
    for step, text in (
        ("suspend", "refuse its commands from now on, take its write ACLs away, disable its clients"),
        ("resume", "give a suspended partner its ACLs and clients back and make it active"),
        ("remove", "take a partner out of the network for good: its Kafka user and clients go"),
    ):
        verb = partner.add_parser(step, help=text)
        verb.add_argument("partner_id", metavar="ID")
        verb.set_defaults(run=commands.partner_step, step=step)


def _demo(sub: Any) -> None:
    demo = sub.add_parser("demo", help="start the services and drive the demo flow")
    demo.add_argument("--once", action="store_true", help="stop everything after the demo")
    demo.set_defaults(run=commands.demo)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except commands.Failure as failure:
        print(f"hubnet: {failure}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
