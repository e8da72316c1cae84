"""The worklist flags each referral's running SLA clock; a referral's page shows its due dates."""

from tests.unit.portal.test_pages import REFERRAL, logged_in, portal

RUNNING = {"kind": "acknowledge", "due_at": "2026-03-10T23:00:00+00:00", "stopped_at": None, "met": None}


def worklist_with(clock):
    client, _ = portal(referral={**REFERRAL, "sla": clock})
    logged_in(client, "/referrals")
    return client.get("/referrals").text


def test_an_overdue_referral_is_flagged_with_the_working_days_passed():
    page = worklist_with({**RUNNING, "working_days_left": -3})
    assert '<span class="sla overdue">3 arbetsdagar försenad</span>' in page


def test_one_that_is_not_yet_due_shows_the_working_days_left():
    assert '<span class="sla">1 arbetsdag kvar</span>' in worklist_with({**RUNNING, "working_days_left": 1})
    assert '<span class="sla">Senast i dag</span>' in worklist_with({**RUNNING, "working_days_left": 0})


def test_a_referral_without_a_running_clock_has_no_flag():
    assert 'class="sla' not in worklist_with(None)


def test_the_referrals_page_shows_each_due_date_and_whether_it_was_met():
    clocks = [
        {**RUNNING, "stopped_at": "2026-03-09T10:00:00+00:00", "met": True, "working_days_left": None},
        {
            "kind": "answer",
            "due_at": "2026-03-16T23:00:00+00:00",
            "stopped_at": None,
            "met": None,
            "working_days_left": -2,
        },
    ]
    client, _ = portal(referral={**REFERRAL, "clocks": clocks})
    logged_in(client)
    page = client.get("/referrals/R-1").text
    assert "<dt>Kvittera senast</dt>" in page and "2026-03-10 (hölls)" in page
    assert (
        "<dt>Besvara senast</dt>" in page
        and '2026-03-16 <span class="sla overdue">(2 arbetsdagar försenad)</span>' in page
    )
