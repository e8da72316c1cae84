"""`hubnet admin rotate-custodian-key`: a new custodian key, every copy of the service's sealed
anew to it, then the old private key destroyed (docs/adr/0011-custodian-rotation-and-restores.md).

- The new key is written first, beside the current one (`<custodian key file>.next`, mode 0600).
  A run that stops halfway leaves it there, and the next run goes on with it: copies already
  sealed to it (their `sealed_to`) are skipped, so running it again is harmless.
- Copies are sealed anew in batches, one transaction each, every resident under the lock the
  service takes for key work (adapters/data_keys.py), the copy changed only if still sealed to the
  key it was opened with.
- Only when no copy is left sealed to another key does the new file replace the old one. A copy
  sealed to a key not at hand (neither the custodian key nor the personnummer key, which copies
  made before the first rotation are sealed to) stops it there, the old key kept.
- The personnummer key is never destroyed: partners seal to it. After the first rotation no copy
  is sealed to it any more.

The referrals service must be stopped while it runs (it reads its keys at start-up): a service that
holds the outbox relay's lock makes it refuse to start.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from hubnet_common.sdk.keys import KeyPair, ensure_secret_key
from hubnet_common.sdk.sealing import open_data_key, seal_data_key
from hubnet_common.service.outbox import RELAY_LOCK
from hubnet_referrals.adapters.custodian import key_pair
from hubnet_referrals.adapters.data_keys import PgDataKeys
from hubnet_referrals.domain.data_key import CUSTODIAN

BATCH = 500


class RotationStopped(RuntimeError):
    """The rotation cannot finish; the old key is kept (the message says why and what to do)."""


@dataclass(frozen=True)
class Rotated:
    sealed_anew: int  # copies sealed to the new key by this run
    public_key: str  # the new key's public half


def next_key_file(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".next")


async def rotate(
    dsn: str,
    key_file: Path,
    personnummer_key_file: Path,
    *,
    progress: Callable[[int, int], None] = lambda done, total: None,
    batch: int = BATCH,
) -> Rotated:
    """Rotate the custodian key in `key_file`; `progress(done, total)` after each batch."""
    upcoming = next_key_file(key_file)
    ensure_secret_key(upcoming)  # 32 random bytes: an X25519 private key; kept if a run stopped halfway
    new = key_pair(upcoming)
    old = {keys.public: keys for keys in _current_keys(key_file, personnummer_key_file)}
    conn = await asyncpg.connect(dsn)
    try:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK):
            raise RotationStopped(
                "the referrals service is running (it holds the outbox relay's lock): stop it first "
                "(kubectl -n hubnet scale deploy/hubnet-referrals --replicas=0, KEDA paused), then run this again"
            )
        done = await _seal_anew(conn, new, old, progress, batch)
        left = await _not_sealed_to(conn, new.public)
    finally:
        await conn.close()
    if left:
        raise RotationStopped(
            f"{left} copies of the service are sealed to a key that is neither {key_file} nor "
            f"{personnummer_key_file}; the old key is kept and {upcoming} waits: put the key they are sealed "
            "to in place and run this again"
        )
    os.replace(upcoming, key_file)  # the old private key is gone
    return Rotated(sealed_anew=done, public_key=new.public)


def _current_keys(key_file: Path, personnummer_key_file: Path) -> list[KeyPair]:
    return [key_pair(path) for path in (key_file, personnummer_key_file) if path.exists()]


async def _not_sealed_to(conn: asyncpg.Connection, public_key: str) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM data_key_copies WHERE holder = $1 AND sealed_to <> $2", CUSTODIAN, public_key
    )


async def _seal_anew(
    conn: asyncpg.Connection,
    new: KeyPair,
    old: dict[str, KeyPair],
    progress: Callable[[int, int], None],
    batch: int,
) -> int:
    total, done, after = await _not_sealed_to(conn, new.public), 0, ""
    while True:
        rows = await conn.fetch(
            "SELECT participant_ref, sealed_to, sealed_key FROM data_key_copies"
            " WHERE holder = $1 AND sealed_to <> $2 AND sealed_to = ANY($3::text[]) AND participant_ref > $4"
            " ORDER BY participant_ref LIMIT $5",
            CUSTODIAN,
            new.public,
            list(old),
            after,
            batch,
        )
        if not rows:
            return done
        async with conn.transaction():
            for row in rows:
                await PgDataKeys(conn).lock(row["participant_ref"])
                data_key = open_data_key(row["sealed_key"], old[row["sealed_to"]].private)
                changed = await conn.execute(
                    "UPDATE data_key_copies SET sealed_to = $1, sealed_key = $2"
                    " WHERE participant_ref = $3 AND holder = $4 AND sealed_to = $5",
                    new.public,
                    seal_data_key(data_key, new.public),
                    row["participant_ref"],
                    CUSTODIAN,
                    row["sealed_to"],
                )
                done += int(changed.split()[-1])
        after = rows[-1]["participant_ref"]
        progress(done, total)
