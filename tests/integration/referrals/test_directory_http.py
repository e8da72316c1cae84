"""`GET /directory` on the referrals service over HTTP (README.md; entrypoints/http.py: "partners
(with public keys), hubs, services"): it answers what the directory holds, as the network was
seeded and as partners change their own entries since."""

import uuid

import pytest

from hubnet_common.ops.local.identities import partner_tokens
from hubnet_common.sdk.messages.directory_commands import UpdatePartner
from hubnet_common.sdk.sealing import generate_encryption_keys
from hubnet_referrals.adapters.seed import read_network
from tests.integration.referral_steps import accepted
from tests.integration.served import get, served_alone, until_answer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def referrals(new_database, kafka_bootstrap):
    async with served_alone("referrals", new_database, kafka_bootstrap, "it") as (url, _):
        yield url


SEEDED_BRG = next(p.name for p in read_network()[0] if p.id == "brg")
TOKENS = partner_tokens("poseidon")  # any partner's system may read the directory


async def test_the_directory_is_for_the_network_only(referrals):
    assert (await get(referrals, "/directory"))[0] == 401


async def test_the_directory_lists_the_networks_partners_hubs_and_services(referrals):
    status, directory = await get(referrals, "/directory", TOKENS.token())
    assert status == 200
    partners, hubs, services = read_network()
    assert {p["id"]: p["name"] for p in directory["partners"]} == {p.id: p.name for p in partners}
    assert {h["id"]: h["name"] for h in directory["hubs"]} == {h.id: h.name for h in hubs}
    listed = {s["id"]: (s["partner_id"], s["name"], tuple(s["hub_ids"])) for s in directory["services"]}
    assert listed == {s.id: (s.partner_id, s.name, tuple(sorted(s.hub_ids))) for s in services}
    assert all(p["active"] and p["status"] == "active" for p in directory["partners"])
    opening = {s["id"]: [(t["byday"], t["opens_at"]) for t in s["schedules"]] for s in directory["services"]}
    assert opening == {s.id: [(t.byday, t.opens_at) for t in s.schedules] for s in services}


async def test_a_partners_new_name_and_encryption_key_are_in_the_directory(referrals, partner):
    key, name = generate_encryption_keys().public, f"Business Region Göteborg {uuid.uuid4().hex[:4]}"
    async with partner("brg") as brg:
        accepted(await brg.request(UpdatePartner(partner_id="brg", name=name, encryption_public_key=key)))
    try:
        await shows_the_change(referrals, name, key)
    finally:  # the module's other tests, in any order, expect the seeded name
        async with partner("brg") as brg:
            accepted(await brg.request(UpdatePartner(partner_id="brg", name=SEEDED_BRG)))
        await until_answer(
            referrals,
            "/directory",
            lambda status, directory: (
                status == 200 and next(p for p in directory["partners"] if p["id"] == "brg")["name"] == SEEDED_BRG
            ),
            token=TOKENS.token(),
        )


async def shows_the_change(referrals, name: str, key: str) -> None:
    def shows_it(status, directory) -> bool:
        return (
            status == 200
            and {"name": name, "encryption_public_key": key}.items()
            <= next(p for p in directory["partners"] if p["id"] == "brg").items()
        )

    _, directory = await until_answer(referrals, "/directory", shows_it, token=TOKENS.token())
    others = {p["id"]: p["name"] for p in directory["partners"] if p["id"] != "brg"}
    assert others == {p.id: p.name for p in read_network()[0] if p.id != "brg"}  # nobody else changed
