"""`hubnet admin rotate-custodian-key` on real PostgreSQL (adapters/custodian_rotation.py): after it,
the service's copy of every data key opens with the new custodian key and with no key before it,
the old private key is nowhere in the keys directory, and a run stopped halfway, or run again,
loses no key."""

from pathlib import Path

import asyncpg
import pytest

from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.sdk.keys import read_key, write_key_pair
from hubnet_common.sdk.sealing import (
    SealingError,
    generate_encryption_keys,
    new_data_key,
    open_data_key,
    public_key_for,
    seal_data_key,
)
from hubnet_common.service.outbox import RELAY_LOCK
from hubnet_referrals import bootstrap
from hubnet_referrals.adapters.custodian_rotation import RotationStopped, next_key_file, rotate
from hubnet_referrals.adapters.data_keys import PgDataKeys
from hubnet_referrals.domain.data_key import CUSTODIAN, DataKeyCopy
from hubnet_referrals.settings import CUSTODIAN_KEY_FILE, ReferralSettings
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import rows, running
from tests.integration.referral_steps import NUMBER, accepted, consent, data_key_of, publish_encryption_key, ref_of

pytestmark = pytest.mark.integration
RESIDENTS = [f"{n:064x}" for n in range(1, 8)]
PARTNER = generate_encryption_keys()


class Stop(Exception):
    pass


@pytest.fixture
async def keys(tmp_path) -> tuple[Path, Path]:
    """(custodian key file, not made yet; personnummer key file), in a keys dir of the test's own."""
    _, personnummer = write_key_pair(tmp_path, "service-referrals", "x25519")
    return tmp_path / CUSTODIAN_KEY_FILE, personnummer


@pytest.fixture
async def dsn(migrated_database, keys) -> str:
    """Seven residents' keys, each with a partner's copy and the service's, sealed to the
    personnummer key as before the first rotation."""
    dsn = await migrated_database("referrals")
    service_public = read_key(keys[1].with_suffix(".pub"))
    conn = await asyncpg.connect(dsn)
    try:
        for ref in RESIDENTS:
            data_key = new_data_key()
            for holder, public in ((CUSTODIAN, service_public), ("brg", PARTNER.public)):
                await PgDataKeys(conn).put(ref, DataKeyCopy(holder, public, seal_data_key(data_key, public)))
    finally:
        await conn.close()
    return dsn


async def service_copies(dsn: str) -> dict[str, str]:
    return {
        r["participant_ref"]: r["sealed_key"]
        for r in await rows(dsn, "SELECT participant_ref, sealed_key FROM data_key_copies WHERE holder = $1", CUSTODIAN)
    }


async def data_keys(dsn: str, holder: str, private: str) -> dict[str, bytes]:
    found = await rows(dsn, "SELECT participant_ref, sealed_key FROM data_key_copies WHERE holder = $1", holder)
    return {r["participant_ref"]: open_data_key(r["sealed_key"], private) for r in found}


def opens_none(copies: dict[str, str], private: str) -> bool:
    for sealed in copies.values():
        try:
            open_data_key(sealed, private)
        except SealingError:
            continue
        return False
    return True


def files_holding(directory: Path, secret: str) -> list[Path]:
    return [p for p in directory.iterdir() if secret in p.read_text()]


async def test_after_a_rotation_every_copy_opens_with_the_new_key_and_none_with_the_old(dsn, keys):
    key_file, personnummer_file = keys
    personnummer = read_key(personnummer_file)
    before = await data_keys(dsn, "brg", PARTNER.private)

    first = await rotate(dsn, key_file, personnummer_file, batch=3)
    assert first.sealed_anew == len(RESIDENTS)
    first_key = read_key(key_file)
    assert opens_none(await service_copies(dsn), personnummer), "the personnummer key still opens every resident"

    second = await rotate(dsn, key_file, personnummer_file, batch=3)
    assert second.sealed_anew == len(RESIDENTS)
    newest = read_key(key_file)
    assert newest != first_key
    assert await data_keys(dsn, CUSTODIAN, newest) == before  # every resident's key, unchanged
    assert opens_none(await service_copies(dsn), first_key)
    assert files_holding(key_file.parent, first_key) == [], "the old custodian key is still on disk"
    assert not next_key_file(key_file).exists()
    assert read_key(personnummer_file) == personnummer  # partners still seal numbers to it
    assert await data_keys(dsn, "brg", PARTNER.private) == before  # partners' copies untouched


async def test_a_rotation_stopped_halfway_goes_on_with_its_key_when_run_again(dsn, keys):
    key_file, personnummer_file = keys
    before = await data_keys(dsn, "brg", PARTNER.private)

    def crash(done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        await rotate(dsn, key_file, personnummer_file, progress=crash, batch=3)
    upcoming = read_key(next_key_file(key_file))
    assert not key_file.exists()  # the old key is kept until every copy is sealed anew

    again = await rotate(dsn, key_file, personnummer_file, batch=3)
    assert again.sealed_anew == len(RESIDENTS) - 3
    assert read_key(key_file) == upcoming
    assert await data_keys(dsn, CUSTODIAN, upcoming) == before


async def test_a_rotation_refuses_while_the_service_runs(dsn, keys):
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", RELAY_LOCK)  # as a running service's relay holds it
        with pytest.raises(RotationStopped, match="running"):
            await rotate(dsn, *keys)
    finally:
        await conn.close()
    assert opens_none(await service_copies(dsn), read_key(next_key_file(keys[0]))), "copies were sealed anew"


async def test_the_service_started_again_with_the_new_key_adds_partners_to_keys_sealed_anew(
    new_database, kafka_bootstrap, network_keys, tmp_path
):
    settings = ReferralSettings(
        pg_dsn=await new_database("referrals"),
        kafka_bootstrap=kafka_bootstrap,
        group_prefix=fresh_group_prefix("rotation"),
        custodian_key_file=tmp_path / CUSTODIAN_KEY_FILE,  # none yet: never rotated
    )
    ref = ref_of(NUMBER)
    async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as partner:
        async with running(bootstrap.spec(settings), settings):
            for partner_id in ("bostadsbolaget", "brg", "poseidon"):
                async with LocalPartnerClient(kafka_bootstrap, partner_id) as client:
                    await publish_encryption_key(client, partner_id)
            accepted(await partner.request(consent(NUMBER, partners=("brg",))))
        await rotate(settings.pg_dsn, settings.custodian_key_path, settings.personnummer_key_path)
        async with running(bootstrap.spec(settings), settings):
            accepted(await partner.request(consent(NUMBER, partners=("poseidon",))))
    [custodians] = await rows(
        settings.pg_dsn,
        "SELECT sealed_to FROM data_key_copies WHERE participant_ref = $1 AND holder = $2",
        ref,
        CUSTODIAN,
    )
    assert custodians["sealed_to"] == public_key_for(read_key(settings.custodian_key_path))
    assert await data_key_of(settings.pg_dsn, ref, "poseidon") == await data_key_of(settings.pg_dsn, ref, "brg")
