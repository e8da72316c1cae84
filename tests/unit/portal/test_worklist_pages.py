"""The worklist a page at a time, filtered by status, hub and service: what the referrals service is
asked for, and the links to the pages before and after."""

from hubnet_portal.domain.worklist import PAGE, Filters

from tests.unit.portal.test_pages import REFERRAL, Services, logged_in, portal


def test_filters_from_the_address_keep_only_real_statuses_ids_and_page_numbers():
    given = Filters.of({"status": "received", "hub": "hjallbo", "service": "x y", "page_in": "2", "page_out": "-1"})
    assert given == Filters(status="received", hub="hjallbo", service=None, page_in=2, page_out=0)
    assert Filters.of({"status": "nonsense"}).asked() == {}
    assert given.address(page_in=3) == "/referrals?status=received&hub=hjallbo&page_in=3"


def test_the_worklist_asks_for_one_page_of_each_direction_with_the_filters():
    client, parts = portal()
    logged_in(client, "/referrals")
    page = client.get("/referrals", params={"status": "received", "hub": "hjallbo", "page_out": "1"}).text
    asked = sorted(parts.services.asked)
    assert asked == [
        ("receiver", {"status": "received", "hub": "hjallbo"}, 0, PAGE + 1),
        ("sender", {"status": "received", "hub": "hjallbo"}, PAGE, PAGE + 1),
    ]
    assert '<option value="received" selected>' in page and 'name="hub" value="hjallbo"' in page
    assert 'href="/referrals?status=received&amp;hub=hjallbo" rel="prev">Nyare</a>' in page  # outgoing's first page


def test_a_full_page_links_to_the_older_ones():
    class Many(Services):
        async def referrals(self, token, role, *, filters=None, offset=0, limit=200):
            return [{**REFERRAL, "id": f"R-{n}"} for n in range(offset, offset + limit)] if role == "receiver" else []

    client, parts = portal()
    parts.services = Many()
    logged_in(client, "/referrals")
    page = client.get("/referrals").text
    assert page.count('<a href="/referrals/R-') == PAGE
    assert 'href="/referrals?page_in=1" rel="next">Äldre</a>' in page and "Sida 1" in page
