"""What staff read when a referral changes or runs late and when a hub event is scheduled, cancelled
or about to start: whole subjects and texts, in Swedish (the default) and English, in Stockholm time."""

from datetime import UTC, datetime

from hubnet_notifications.domain import wording

LINK = "https://hubnet.test/referrals/R-1"


def changed(language: str, status: str, reason: str = "") -> wording.Wording:
    return wording.referral_changed(
        language,
        referral_id="R-1",
        status=status,
        service="Jobbcoachning",
        hub="Hjällbo",
        by="BRG",
        reason=reason,
        link=LINK,
    )


def test_a_declined_referral_reads_with_its_reason_in_swedish():
    words = changed("sv", "rejected", reason="no-capacity")
    assert words.subject == "Remiss R-1 har avböjts"
    assert words.text == (
        "Remissen R-1 till Jobbcoachning vid Hjällbo har avböjts (no-capacity), av BRG.\n\n"
        f"Öppna remissen: {LINK}\n\nMeddelandet innehåller inga personuppgifter."
    )


def test_an_accepted_referral_reads_without_brackets_in_english():
    words = changed("en", "accepted")
    assert words.subject == "Referral R-1 has been accepted"
    assert words.text == (
        "The referral R-1 to Jobbcoachning at Hjällbo has been accepted, by BRG.\n\n"
        f"Open the referral: {LINK}\n\nThis message contains no personal data."
    )


def test_any_language_but_english_reads_in_swedish():
    assert changed("fi", "completed").subject == "Remiss R-1 är avslutad"


def test_a_status_without_words_is_named_as_it_is():
    assert changed("en", "reopened").subject == "Referral R-1 reopened"
    assert changed("sv", "reopened").subject == "Remiss R-1 reopened"


def overdue(language: str, kind: str, breach: int) -> wording.Wording:
    # 23:00 UTC on 2 March is already 3 March in Stockholm
    return wording.referral_overdue(
        language,
        referral_id="R-1",
        kind=kind,
        breach=breach,
        due_at=datetime(2026, 3, 2, 23, 0, tzinfo=UTC),
        service="Jobbcoachning",
        hub="Hjällbo",
        link=LINK,
    )


def test_a_first_overdue_acknowledgement_in_swedish_gives_the_local_due_date():
    words = overdue("sv", "acknowledge", 1)
    assert words.subject == "Försenad: remiss R-1 har inte kvitterats"
    assert words.text == (
        "Remissen R-1 till Jobbcoachning vid Hjällbo skulle ha kvitterats senast 2026-03-03 "
        f"(överskridande 1).\n\nÖppna remissen: {LINK}\n\nMeddelandet innehåller inga personuppgifter."
    )


def test_a_second_overdue_answer_says_again():
    assert overdue("sv", "answer", 2).subject == "Försenad igen: remiss R-1 har inte besvarats"
    words = overdue("en", "answer", 2)
    assert words.subject == "Overdue again: referral R-1 has not been answered"
    assert words.text == (
        "The referral R-1 to Jobbcoachning at Hjällbo should have been answered by 2026-03-03 "
        f"(breach 2).\n\nOpen the referral: {LINK}\n\nThis message contains no personal data."
    )


def test_a_first_overdue_acknowledgement_in_english():
    assert overdue("en", "acknowledge", 1).subject == "Overdue: referral R-1 has not been acknowledged"


STARTS = datetime(2026, 6, 1, 16, 30, tzinfo=UTC)  # 18:30 in Stockholm (summer time)


def test_the_reminder_counts_places_and_the_waiting_list():
    kwargs = dict(
        title="Infokväll",
        hub="Bergsjön",
        starts_at=STARTS,
        registered=2,
        capacity=2,
        waitlisted=1,
        link="https://hubnet.test/hub-events/E-1",
    )
    sv, en = wording.hub_event_reminder("sv", **kwargs), wording.hub_event_reminder("en", **kwargs)
    assert sv.subject == "Påminnelse: Infokväll i Bergsjön, 2026-06-01 18:30"
    assert sv.text == (
        '"Infokväll" på hubben i Bergsjön börjar 2026-06-01 18:30: 2 av 2 platser bokade, '
        "1 på väntelistan.\n\nMer information: https://hubnet.test/hub-events/E-1"
    )
    assert en.subject == "Reminder: Infokväll at Bergsjön, 2026-06-01 18:30"
    assert en.text == (
        '"Infokväll" at the Bergsjön hub starts 2026-06-01 18:30: 2 of 2 places taken, '
        "1 waiting.\n\nDetails: https://hubnet.test/hub-events/E-1"
    )


def test_a_cancellation_gives_its_reason():
    kwargs = dict(title="Infokväll", hub="Bergsjön", reason="sjukdom", link="https://hubnet.test/hub-events/E-1")
    sv, en = wording.hub_event_cancelled("sv", **kwargs), wording.hub_event_cancelled("en", **kwargs)
    assert (sv.subject, sv.text) == (
        "Inställt i Bergsjön: Infokväll",
        '"Infokväll" på hubben i Bergsjön är inställt (sjukdom).\n\nhttps://hubnet.test/hub-events/E-1',
    )
    assert (en.subject, en.text) == (
        "Cancelled at Bergsjön: Infokväll",
        '"Infokväll" at the Bergsjön hub is cancelled (sjukdom).\n\nhttps://hubnet.test/hub-events/E-1',
    )


def test_a_new_activity_names_its_organiser_and_local_start():
    kwargs = dict(
        title="Infokväll",
        hub="Bergsjön",
        starts_at=STARTS,
        organiser="Familjebostäder",
        link="https://hubnet.test/hub-events/E-1",
    )
    sv, en = wording.hub_event_scheduled("sv", **kwargs), wording.hub_event_scheduled("en", **kwargs)
    assert (sv.subject, sv.text) == (
        "Ny aktivitet i Bergsjön: Infokväll",
        'Familjebostäder har lagt in "Infokväll" på hubben i Bergsjön den '
        "2026-06-01 18:30.\n\nMer information: https://hubnet.test/hub-events/E-1",
    )
    assert (en.subject, en.text) == (
        "New activity at Bergsjön: Infokväll",
        'Familjebostäder has scheduled "Infokväll" at the Bergsjön hub on '
        "2026-06-01 18:30.\n\nDetails: https://hubnet.test/hub-events/E-1",
    )
