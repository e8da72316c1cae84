"""Attack: undo an erasure by restoring the referrals database from a backup taken before it. The
backup holds every copy of the resident's data key: if the service started on it served them
again, the resident's contact details on every topic, in every dead letter and in the partners'
own stores would open once more. The erasure must hold across the restore: once the service has
started again, no partner gets a copy, the custodian holds none, and the restored referral keeps
nothing of the resident (docs/adr/0011-custodian-rotation-and-restores.md)."""

import asyncio
import glob
import shutil
from pathlib import Path

import asyncpg

from hubnet_common.ops.local.identities import partner_tokens
from hubnet_common.ops.local.partners import LocalPartnerClient
from hubnet_common.ops.local.services import database_dsn
from hubnet_common.sdk.messages.directory_commands import UpdatePartner
from hubnet_common.sdk.messages.referral_commands import EraseParticipant
from hubnet_common.sdk.sealing import ContactDetails, generate_encryption_keys, open_data_key, seal_with_data_key
from hubnet_referrals import bootstrap
from hubnet_referrals.settings import ReferralSettings
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import rows
from tests.integration.referral_steps import accepted, consent, ref_of, referral, sealed_number
from tests.integration.served import get, serving

NUMBER = "19811218-9876"
CONTACT = ContactDetails(name="Leyla Andersson", phone="+46 70 123 45 67")
PARTNERS = ("bostadsbolaget", "brg")


def pg_tool(name: str) -> str:
    """pg_dump / pg_restore: on PATH, or in PostgreSQL's bin dir as deploy/local/infra.sh finds it."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    assert found, f"{name} is needed (apt-get install postgresql-client)"
    return found


async def run(*command: str) -> None:
    done = await asyncio.create_subprocess_exec(*command, stderr=asyncio.subprocess.PIPE)
    _, err = await done.communicate()
    assert done.returncode == 0, f"{command[0]} failed: {err.decode()}"


async def restore(dsn: str, server_dsn: str, dump: Path) -> None:
    """Drop the database and make it again from the dump, as a restore to a point in time would."""
    name = dsn.rsplit("/", 1)[1].split("?")[0]
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    await run(pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", database_dsn(server_dsn, name), str(dump))


async def copies_of(dsn: str, ref: str) -> list[str]:
    return [r["holder"] for r in await rows(dsn, "SELECT holder FROM data_key_copies WHERE participant_ref = $1", ref)]


async def test_a_restore_from_before_an_erasure_brings_no_data_key_back(
    new_database, pg_server_dsn, kafka_bootstrap, tmp_path
):
    dsn = await new_database("referrals")
    settings = ReferralSettings(pg_dsn=dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=fresh_group_prefix("restore"))
    keys = {p: generate_encryption_keys() for p in PARTNERS}
    ref, dump = ref_of(NUMBER), tmp_path / "referrals-before-the-erasure.dump"
    async with (
        LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as partner,
        LocalPartnerClient(kafka_bootstrap, "brg") as brg,
    ):
        async with serving(bootstrap.spec(settings), settings) as (url, _):
            for partner_id, client in (("bostadsbolaget", partner), ("brg", brg)):
                accepted(
                    await client.request(
                        UpdatePartner(partner_id=partner_id, encryption_public_key=keys[partner_id].public)
                    )
                )
            given = consent(NUMBER, partners=("brg",))
            accepted(await partner.request(given))
            status, body = await get(url, f"/data-key?participant_ref={ref}", partner_tokens("bostadsbolaget").token())
            assert status == 200
            data_key = open_data_key(body["sealed_key"], keys["bostadsbolaget"].private)
            sent = referral(given.consent_id, participant_ref=ref, sealed_contact=seal_with_data_key(CONTACT, data_key))
            accepted(await partner.request(sent))
            await run(pg_tool("pg_dump"), "--format=custom", f"--file={dump}", dsn)

            erase = EraseParticipant(sealed_personnummer=sealed_number(NUMBER), noted_by="Amina Hassan")
            accepted(await partner.request(erase))
            assert await copies_of(dsn, ref) == []

        await restore(dsn, pg_server_dsn, dump)  # the service is stopped, as for a restore
        assert sorted(await copies_of(dsn, ref)) == ["bostadsbolaget", "brg", "referrals"]  # the backup holds them

        async with serving(bootstrap.spec(settings), settings) as (url, _):
            for partner_id in PARTNERS:
                status, _ = await get(url, f"/data-key?participant_ref={ref}", partner_tokens(partner_id).token())
                assert status == 404, f"{partner_id} gets the erased resident's data key again after the restore"
            assert await copies_of(dsn, ref) == [], "the custodian holds the erased resident's key again"
            [restored] = await rows(dsn, "SELECT sealed_contact, status FROM referrals WHERE id = $1", sent.referral_id)
            assert restored["sealed_contact"] is None, "the restored referral keeps the resident's sealed contact"


async def test_a_resident_who_consents_again_after_an_erasure_keeps_their_new_key_across_a_restart(
    new_database, kafka_bootstrap
):
    dsn = await new_database("referrals")
    settings = ReferralSettings(pg_dsn=dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=fresh_group_prefix("again"))
    key = generate_encryption_keys()
    ref = ref_of(NUMBER)
    async with LocalPartnerClient(kafka_bootstrap, "bostadsbolaget") as partner:
        async with serving(bootstrap.spec(settings), settings):
            accepted(
                await partner.request(UpdatePartner(partner_id="bostadsbolaget", encryption_public_key=key.public))
            )
            accepted(await partner.request(consent(NUMBER, partners=("brg",))))
            accepted(await partner.request(EraseParticipant(sealed_personnummer=sealed_number(NUMBER), noted_by="A")))
            accepted(await partner.request(consent(NUMBER, partners=("brg",))))  # they came back
            [before] = await rows(
                dsn,
                "SELECT sealed_key FROM data_key_copies WHERE participant_ref = $1 AND holder = $2",
                ref,
                "bostadsbolaget",
            )
        async with serving(bootstrap.spec(settings), settings) as (url, _):
            status, body = await get(url, f"/data-key?participant_ref={ref}", partner_tokens("bostadsbolaget").token())
    assert status == 200, "the erasure record erased the resident's new key too"
    assert open_data_key(body["sealed_key"], key.private) == open_data_key(before["sealed_key"], key.private)
