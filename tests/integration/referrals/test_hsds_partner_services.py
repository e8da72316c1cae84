"""A partner describes its service with UpsertService over Kafka, and the HSDS directory
(entrypoints/hsds.py) shows it, valid against HSDS 3.0's schemas, and finds it by what it says:
its own module, on a directory of its own, so the seeded one of test_hsds_directory.py stays as seeded."""

import uuid

import pytest

from hubnet_common.sdk.messages.directory_commands import UpsertService
from tests.integration.referral_steps import accepted
from tests.integration.referrals.test_hsds_directory import TOKENS, found, read, valid
from tests.integration.served import served_alone, until_answer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def referrals(new_database, kafka_bootstrap):
    async with served_alone("referrals", new_database, kafka_bootstrap, "it") as (url, _):
        yield url


def language_cafe(service_id: str, **changes) -> UpsertService:
    described = {
        "service_id": service_id,
        "name": "Språkcafé",
        "hub_ids": ["hjallbo", "bergsjon"],
        "available_places": 6,
        "description": "Öva svenska i samtal över en kopp kaffe, med volontärer.",
        "application_process": "Kom förbi, ingen anmälan.",
        "interpretation_services": "Volontärer som talar arabiska och tigrinja.",
        "fees_description": "Kostnadsfritt.",
        "minimum_age": 16,
        "languages": ["sv", "ar", "ti"],
        "required_documents": [],
        "needs": ["sfi"],
        "schedules": [{"byday": "SA", "opens_at": "10:00", "closes_at": "12:00", "hub_id": "bergsjon"}],
    }
    return UpsertService.model_validate(described | changes)


async def shown(url: str, service_id: str, wanted) -> dict:
    _, body = await until_answer(
        url,
        f"/services/{service_id}",
        lambda status, body: status == 200 and wanted(body),
        token=TOKENS.token(),
    )
    assert isinstance(body, dict)
    return body


async def test_a_service_a_partner_describes_is_shown_and_found_by_what_it_says(referrals, partner):
    service_id = f"brg-language-cafe-{uuid.uuid4().hex[:6]}"
    async with partner("brg") as brg:
        accepted(await brg.request(language_cafe(service_id)))
    service = valid(await shown(referrals, service_id, lambda _: True), "compiled/service.json")
    assert (service["description"], service["application_process"], service["minimum_age"]) == (
        "Öva svenska i samtal över en kopp kaffe, med volontärer.",
        "Kom förbi, ingen anmälan.",
        16,
    )
    assert [(s["byday"], s["location_id"]) for s in service["schedules"]] == [("SA", "bergsjon")]
    assert service_id in await found(referrals, search="en kopp kaffe", taxonomy_term_id="studies", language="ti")
    assert service_id in await found(referrals, location_id="bergsjon", minimum_capacity=6)
    at_bergsjon = await read(referrals, f"/service_at_locations/{service_id}@bergsjon")
    assert [s["byday"] for s in valid(at_bergsjon, "compiled/service_at_location.json")["schedules"]] == ["SA"]


async def test_a_partner_changing_its_description_is_shown_the_change(referrals, partner):
    service_id = f"brg-language-cafe-{uuid.uuid4().hex[:6]}"
    async with partner("brg") as brg:
        accepted(await brg.request(language_cafe(service_id)))
        accepted(await brg.request(language_cafe(service_id, description="Nu även på kvällar.", schedules=[])))
    service = await shown(referrals, service_id, lambda body: body.get("description") == "Nu även på kvällar.")
    assert valid(service, "compiled/service.json")["schedules"] == []
    assert service_id not in await found(referrals, search="en kopp kaffe")


async def test_a_need_the_taxonomy_has_not_is_refused_with_its_code(referrals, partner):
    async with partner("brg") as brg:
        reply = await brg.request(language_cafe(f"brg-astrology-{uuid.uuid4().hex[:6]}", needs=["astrology"]))
    assert (reply.ce_type, reply.code) == ("se.hubnet.command.rejected.v1", "need-unknown")
