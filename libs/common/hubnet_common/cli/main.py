"""`hubnet`: the command line for staff and operators.

    hubnet admin topics      create the Kafka topics of hubnet.topics that do not exist yet
    hubnet demo [--once]     start the three services and drive the demo flow (what `make run` does)
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from hubnet_common.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hubnet", description="hubnet command line")
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("admin", help="operator tasks").add_subparsers(dest="task", required=True)
    admin.add_parser("topics", help="create missing topics (partitions, cleanup policy, retention)")
    demo = commands.add_parser("demo", help="start the services and drive the demo flow")
    demo.add_argument("--once", action="store_true", help="stop everything after the demo")
    args = parser.parse_args(argv)

    if args.command == "admin" and args.task == "topics":
        from hubnet_common.kafka import ensure_topics
        from hubnet_common.topics import ALL_TOPICS

        created = asyncio.run(ensure_topics(Settings().kafka_bootstrap))
        print(f"topics: {len(created)} created, {len(ALL_TOPICS) - len(created)} already there")
        return 0
    if args.command == "demo":
        from hubnet_common.cli.demo import run_demo

        return run_demo(once=args.once)
    return 2


if __name__ == "__main__":
    sys.exit(main())
