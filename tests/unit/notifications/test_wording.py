"""What staff read: the right language, a link, an HTML twin of the text, nothing about the resident."""

from hubnet_notifications.domain import wording


def test_a_new_referral_reads_in_the_staff_members_language_with_a_link():
    sv = wording.new_referral(
        "sv",
        referral_id="R-1",
        service="Jobbcoachning",
        hub="Hjällbo",
        sender="Poseidon",
        link="https://hubnet.test/referrals/R-1",
    )
    en = wording.new_referral(
        "en",
        referral_id="R-1",
        service="Jobbcoachning",
        hub="Hjällbo",
        sender="Poseidon",
        link="https://hubnet.test/referrals/R-1",
    )
    assert sv.subject == "Ny remiss R-1 till er vid Hjällbo" and "inga personuppgifter" in sv.text
    assert en.subject == "New referral R-1 to you at Hjällbo" and "no personal data" in en.text


def test_the_html_twin_escapes_the_text_and_makes_only_hubnets_links_clickable():
    words = wording.Wording(
        "s",
        'Träffa "arbetsgivare" <i>nu</i> på https://elsewhere.test/x\n\nDetaljer: https://hubnet.test/hub-events/E-1',
    )
    html = words.html("https://hubnet.test")
    assert "&lt;i&gt;nu&lt;/i&gt;" in html and "<i>" not in html
    assert '<a href="https://hubnet.test/hub-events/E-1">https://hubnet.test/hub-events/E-1</a>' in html
    assert "https://elsewhere.test/x" in html and 'href="https://elsewhere' not in html
    assert html.count("<p>") == 2


def test_a_partners_portal_is_one_of_hubnets_own_addresses_others_stay_text():
    words = wording.Wording("s", "Öppna http://127.0.0.1:8192/referrals/R-1 eller http://127.0.0.1:9999/x")
    html = words.html(("https://hubnet.test", "http://127.0.0.1:8192"))
    assert '<a href="http://127.0.0.1:8192/referrals/R-1">' in html
    assert 'href="http://127.0.0.1:9999' not in html
