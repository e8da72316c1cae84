"""The directory over HTTP in Open Referral HSDS 3.0 shape (entrypoints/hsds.py): every answer
is valid against HSDS's own schemas, read from ../shared/hsds-3.0 (never copied here), the seeded
services are described as HSDS describes one, and the /services search finds what the seeded
network offers."""

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from hubnet_common.ops.local.identities import partner_tokens
from hubnet_referrals.adapters.seed import read_network
from hubnet_referrals.domain import hsds
from tests.integration.served import get, served_alone

pytestmark = pytest.mark.integration

HSDS = Path(__file__).resolve().parents[3] / ".." / "shared" / "hsds-3.0" / "schema"
TOKENS = partner_tokens("poseidon")  # any partner's system may read the directory
PARTNERS, HUBS, SERVICES = read_network()
HUB_IDS = {s.id: s.hub_ids for s in SERVICES}


def _schema(name: str) -> dict:
    return json.loads((HSDS / name).read_text(encoding="utf-8"))


def _validator(name: str) -> Draft202012Validator:
    # the uncompiled schemas refer to their neighbours by file name
    registry = Registry(
        retrieve=lambda uri: Resource.from_contents(_schema(uri.rsplit("/", 1)[-1]), default_specification=DRAFT202012)
    )
    return Draft202012Validator(_schema(name), registry=registry)


PAGE = _schema("openapi.json")["components"]["schemas"]["Page"]
# HSDS's API document answers /service_at_locations/{id} with compiled/service.json, plainly a slip
# for the service_at_location it names; the compiled service_at_location schema is that one.
ONE = {
    "/services/arbvux-sfi-guidance": "compiled/service.json",
    "/organizations/brg": "compiled/organization.json",
    "/service_at_locations/brg-business-coaching@hjallbo": "compiled/service_at_location.json",
    "/taxonomies/hubnet-needs": "taxonomy.json",
    "/taxonomy_terms/sfi": "taxonomy_term.json",
}
LISTED = {
    "/services": "compiled/service_list.json",
    "/organizations": "compiled/organization_list.json",
    "/service_at_locations": "compiled/service_at_location_list.json",
    "/locations": "location.json",
    "/taxonomies": "taxonomy.json",
    "/taxonomy_terms": "taxonomy_term.json",
}


def valid(document: dict, schema: str) -> dict:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator(schema).iter_errors(document)]
    assert errors == [], f"not HSDS 3.0 {schema}"
    return document


def valid_page(page: dict, path: str) -> list[dict]:
    Draft202012Validator(PAGE).validate(page)
    assert set(PAGE["properties"]) | {"contents"} <= set(page)
    return [valid(item, LISTED[path]) for item in page["contents"]]


@pytest.fixture(scope="module")
async def referrals(new_database, kafka_bootstrap):
    async with served_alone("referrals", new_database, kafka_bootstrap, "it") as (url, _):
        yield url


async def read(url: str, path: str, **query) -> dict:
    status, body = await get(url, path + (f"?{urlencode(query)}" if query else ""), TOKENS.token())
    assert status == 200, body
    assert isinstance(body, dict)
    return body


async def found(url: str, **query) -> set[str]:
    return {s["id"] for s in valid_page(await read(url, "/services", per_page=200, **query), "/services")}


@pytest.mark.parametrize("path", ["/", *LISTED, *ONE])
async def test_the_hsds_directory_is_for_the_network_only(referrals, path):
    assert (await get(referrals, path))[0] == 401


@pytest.mark.parametrize("path", list(LISTED))
async def test_every_list_is_an_hsds_page(referrals, path):
    valid_page(await read(referrals, path), path)


@pytest.mark.parametrize("path", list(ONE))
async def test_every_single_answer_is_hsds(referrals, path):
    valid(await read(referrals, path), ONE[path])


async def test_the_api_says_it_is_hsds_3_and_where_its_openapi_document_is(referrals):
    about = await read(referrals, "/")
    meta = _schema("openapi.json")["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    Draft202012Validator(meta).validate(about)
    assert about["version"] == "3.0"
    status, document = await get(referrals, about["openapi_url"].removeprefix(referrals))
    assert status == 200 and "/taxonomy_terms/{id}" in document["paths"]


async def test_organizations_are_the_partners_and_locations_the_hubs(referrals):
    organizations = valid_page(await read(referrals, "/organizations"), "/organizations")
    assert {o["id"]: o["name"] for o in organizations} == {p.id: p.name for p in PARTNERS}
    locations = valid_page(await read(referrals, "/locations"), "/locations")
    assert {h["id"]: h["name"] for h in locations} == {h.id: h.name for h in HUBS}
    pairs = valid_page(await read(referrals, "/service_at_locations", per_page=200), "/service_at_locations")
    assert {(p["service_id"], p["location_id"]) for p in pairs} == {(s.id, h) for s in SERVICES for h in s.hub_ids}


async def test_pages_split_the_list(referrals):
    first = await read(referrals, "/organizations", per_page=3)
    last = await read(referrals, "/organizations", per_page=3, page=first["total_pages"])
    beyond = await read(referrals, "/organizations", per_page=3, page=first["total_pages"] + 1)
    assert (first["total_items"], first["size"], first["first_page"], first["last_page"]) == (
        len(PARTNERS),
        3,
        True,
        False,
    )
    assert last["last_page"] and not last["empty"] and last["size"] == len(PARTNERS) - 3 * (first["total_pages"] - 1)
    assert beyond["empty"] and beyond["contents"] == []


async def test_a_service_in_full(referrals):
    service = valid(await read(referrals, "/services/arbvux-job-matching"), "compiled/service.json")
    seeded = next(s for s in SERVICES if s.id == "arbvux-job-matching")
    assert (service["organization_id"], service["status"]) == (seeded.partner_id, "active")
    assert service["eligibility_description"] == seeded.eligibility
    assert (service["email"], [p["number"] for p in service["phones"]]) == (
        seeded.contact_email,
        [seeded.contact_phone],
    )
    assert [language["code"] for language in service["languages"]] == list(seeded.languages)
    assert {a["taxonomy_term_id"] for a in service["attributes"]} == {"work"}
    assert {sal["location_id"] for sal in service["service_at_locations"]} == set(seeded.hub_ids)
    assert [c["available"] for c in service["capacities"]] == [seeded.available_places]


@pytest.mark.parametrize("seeded", SERVICES, ids=lambda s: s.id)
async def test_every_seeded_service_is_described_as_hsds_describes_one(referrals, seeded):
    service = valid(await read(referrals, f"/services/{seeded.id}"), "compiled/service.json")
    described = ("description", "url", "application_process", "fees_description", "minimum_age")
    assert {k: service[k] for k in described} == {k: getattr(seeded, k) for k in described}
    assert [d["document"] for d in service["required_documents"]] == list(seeded.required_documents)
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in service["schedules"]] == [
        (s.byday, s.opens_at, s.closes_at) for s in seeded.schedules
    ]
    assert [a["taxonomy_term"]["name"] for a in service["attributes"]] == [hsds.TERMS[n].name for n in seeded.needs]


async def test_opening_times_at_one_hub_are_those_of_the_service_there(referrals):
    service = await read(referrals, "/services/brg-business-coaching")
    assert [(s["freq"], s["interval"], s["byday"], s.get("location_id")) for s in service["schedules"]] == [
        ("WEEKLY", 2, "TH", "hjallbo"),
        ("MONTHLY", 1, "1WE", "bergsjon"),
    ]
    at_hjallbo = valid(
        await read(referrals, "/service_at_locations/brg-business-coaching@hjallbo"),
        "compiled/service_at_location.json",
    )
    assert [s["byday"] for s in at_hjallbo["schedules"]] == ["TH"]
    assert (at_hjallbo["location"]["name"], at_hjallbo["service"]["id"]) == ("Hjällbo", "brg-business-coaching")
    everywhere = await read(referrals, "/service_at_locations/arbvux-sfi-guidance@tynnered")
    assert [s["byday"] for s in everywhere["schedules"]] == ["TU"]  # its one time is at every hub


async def test_an_organization_with_its_services(referrals):
    organization = valid(await read(referrals, "/organizations/stadsmissionen"), "compiled/organization.json")
    assert {s["id"] for s in organization["services"]} == {s.id for s in SERVICES if s.partner_id == "stadsmissionen"}


@pytest.mark.parametrize(
    "path",
    [
        "/services/no-such-service",
        "/organizations/no-such-partner",
        "/service_at_locations/no-such-service@hjallbo",
        "/service_at_locations/stadsmissionen-work-training@hjallbo",  # a service, a hub, but not there
        "/service_at_locations/brg-business-coaching",
        "/taxonomies/no-such-taxonomy",
        "/taxonomy_terms/astrology",
    ],
)
async def test_what_is_not_in_the_directory_is_not_found(referrals, path):
    assert (await get(referrals, path, TOKENS.token()))[0] == 404


async def test_the_taxonomy_is_the_needs(referrals):
    terms = valid_page(await read(referrals, "/taxonomy_terms"), "/taxonomy_terms")
    assert {t["id"] for t in terms} == {"work", "studies", "own-business", "work-training", "guidance", "sfi"}
    (taxonomy,) = valid_page(await read(referrals, "/taxonomies"), "/taxonomies")
    assert {t["taxonomy_id"] for t in terms} == {taxonomy["id"]}
    assert (await read(referrals, "/taxonomy_terms/sfi"))["parent_id"] == "studies"
    assert await read(referrals, f"/taxonomies/{taxonomy['id']}") == taxonomy


async def terms(url: str, **query) -> set[str]:
    return {t["id"] for t in valid_page(await read(url, "/taxonomy_terms", **query), "/taxonomy_terms")}


async def test_the_terms_are_narrowed_as_hsds_narrows_them(referrals):
    assert await terms(referrals, parent_id="studies") == {"sfi"}
    assert await terms(referrals, top_only="true") == {"work", "studies", "own-business", "work-training", "guidance"}
    assert await terms(referrals, search="SVENSKA") == {"sfi"}
    assert await terms(referrals, taxonomy_id="hubnet-needs") == set(hsds.TERMS)
    assert await terms(referrals, taxonomy_id="another") == set()
    assert valid_page(await read(referrals, "/taxonomies", search="nothing like it"), "/taxonomies") == []


async def test_services_are_found_by_need(referrals):
    assert await found(referrals, taxonomy_term_id="own-business") == {"brg-business-coaching"}
    assert await found(referrals, taxonomy_term_id="studies") == {"arbvux-sfi-guidance"}
    assert await found(referrals, taxonomy_term_id="sfi") == {"arbvux-sfi-guidance"}
    assert await found(referrals, taxonomy_id="hubnet-needs") == {s.id for s in SERVICES if s.needs}
    assert await found(referrals, taxonomy_term_id="work") == {s.id for s in SERVICES if "work" in s.needs}


async def test_services_are_found_by_free_text(referrals):
    assert await found(referrals, search="sfi") == {"arbvux-sfi-guidance"}
    assert await found(referrals, search="LOKALA JOBB") == {s.id for s in SERVICES if "Lokala jobb" in s.name}
    assert await found(referrals, search="nothing offers this") == set()
    assert await found(referrals, search="affärsidé") == {"brg-business-coaching"}  # in its description
    assert await found(referrals, search="sök sommarjobb") == {
        s.id for s in SERVICES if "sök sommarjobb" in s.application_process.casefold()
    }


async def test_services_are_found_by_hub_language_and_capacity(referrals):
    assert await found(referrals, location_id="hjallbo") == {s.id for s in SERVICES if "hjallbo" in s.hub_ids}
    assert await found(referrals, language="ti") == {s.id for s in SERVICES if "ti" in s.languages}
    assert await found(referrals, minimum_capacity=20) == {
        s.id for s in SERVICES if s.available_places is not None and s.available_places >= 20
    }
    assert "stadsmissionen-work-training" not in await found(referrals, minimum_capacity=1)  # full: 0 places


async def test_services_at_locations_are_found_as_services_are(referrals):
    async def pairs(**query) -> set[tuple[str, str]]:
        listed = await read(referrals, "/service_at_locations", per_page=200, **query)
        return {(p["service_id"], p["location"]["id"]) for p in valid_page(listed, "/service_at_locations")}

    assert await pairs(taxonomy_term_id="studies", location_id="hjallbo") == {("arbvux-sfi-guidance", "hjallbo")}
    assert await pairs(search="affärsidé") == {("brg-business-coaching", h) for h in HUB_IDS["brg-business-coaching"]}
    assert await pairs(organization_id="stadsmissionen") == {
        (s.id, h) for s in SERVICES if s.partner_id == "stadsmissionen" for h in s.hub_ids
    }


async def test_the_filters_narrow_together(referrals):
    both = await found(referrals, taxonomy_term_id="work", location_id="hjallbo", minimum_capacity=1)
    assert both == {
        s.id for s in SERVICES if "work" in s.needs and "hjallbo" in s.hub_ids and (s.available_places or 0) >= 1
    }
    assert both  # the seeded network has such services: the combination is not vacuous
