from hubnet_portal.domain.actions import offers
from hubnet_portal.domain.session import Session, Tokens, safe_next
from hubnet_portal.domain.worklist import by_status, portal_path


def session(**overrides) -> Session:
    tokens = Tokens("access", "refresh", "id", access_expires_at=1000.0)
    return Session(
        **{
            "id": "s",
            "staff_id": "sm-maria",
            "partner": "stadsmissionen",
            "language": "sv",
            "tokens": tokens,
            "expires_at": 500.0,
            **overrides,
        }
    )


def test_after_logging_in_only_a_page_of_the_portal_itself():
    assert safe_next("/referrals/R-1") == "/referrals/R-1"
    for elsewhere in ("https://evil.example", "//evil.example/x", "/\\evil.example", "", None):
        assert safe_next(elsewhere) == "/inbox"


def test_a_form_counts_only_with_the_sessions_csrf_token():
    mine = session()
    assert mine.form_is_ours(mine.csrf)
    assert not mine.form_is_ours(session().csrf)
    assert not mine.form_is_ours(None)
    assert not mine.form_is_ours("")


def test_a_session_times_out_when_idle_and_a_request_moves_the_timeout_on():
    assert session().expired(500.0)
    assert not session().touched(499.0, 60).expired(558.0)


def test_a_token_is_refreshed_before_it_runs_out():
    assert session().tokens.fresh(900.0)
    assert not session().tokens.fresh(980.0)


def test_each_party_is_offered_its_own_steps_from_the_present_status():
    referral = {"receiver_partner_id": "stadsmissionen", "sender_partner_id": "bostadsbolaget", "status": "received"}
    assert [(o.action, o.needs_reason) for o in offers(referral, "stadsmissionen")] == [
        ("accept", False),
        ("reject", True),
    ]
    assert [o.action for o in offers(referral, "bostadsbolaget")] == ["cancel"]
    assert offers(referral, "brg") == ()
    assert offers({**referral, "status": "accepted"}, "bostadsbolaget") == ()
    assert [(o.action, o.needs_note) for o in offers({**referral, "status": "completed"}, "stadsmissionen")] == [
        ("reopen", True)
    ]
    assert offers({**referral, "status": "cancelled"}, "stadsmissionen") == ()


def test_the_worklist_shows_open_referrals_first_newest_first():
    listed = [
        {"id": "R-1", "status": "completed", "requested_at": "2026-01-01T00:00:00+00:00"},
        {"id": "R-2", "status": "requested", "requested_at": "2026-01-02T00:00:00+00:00"},
        {"id": "R-3", "status": "requested", "requested_at": "2026-01-03T00:00:00+00:00"},
    ]
    groups = by_status(listed)
    assert [(g.status, [r["id"] for r in g.referrals]) for g in groups] == [
        ("requested", ["R-3", "R-2"]),
        ("completed", ["R-1"]),
    ]


def test_a_mails_link_opens_the_referral_in_the_portal_whatever_its_host():
    assert portal_path("https://hubnet.example.org/referrals/R-1") == "/referrals/R-1"
    assert portal_path("http://127.0.0.1:8191/referrals/R-1?x=1") == "/referrals/R-1"
    assert portal_path("https://hubnet.example.org/hub-events/E-1") is None
    assert portal_path(None) is None
