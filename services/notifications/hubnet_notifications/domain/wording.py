"""What a notification says, in Swedish or English. Never anything about the resident: staff
open the referral in their own system to see who it concerns."""

import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NO_PERSONAL_DATA = {
    "sv": "Meddelandet innehåller inga personuppgifter.",
    "en": "This message contains no personal data.",
}

STATUS_WORDS = {
    "received": ("har tagits emot", "has been received"),
    "accepted": ("har accepterats", "has been accepted"),
    "rejected": ("har avböjts", "has been declined"),
    "in-progress": ("pågår", "is in progress"),
    "on-hold": ("är pausad", "is on hold"),
    "completed": ("är avslutad", "has been completed"),
    "failed": ("kunde inte genomföras", "could not be carried out"),
    "cancelled": ("har återkallats", "has been cancelled"),
    "entered-in-error": ("var felregistrerad och har makulerats", "was entered in error and has been voided"),
}


@dataclass(frozen=True)
class Wording:
    subject: str
    text: str

    def html(self, links_under: str | tuple[str, ...]) -> str:
        """The same words as HTML: one paragraph per block. Only hubnet's own links (those under
        `links_under`, its base URLs: its own and the partners' portals) are clickable: a link a
        partner wrote into a title or a reason stays text, so no mail under hubnet's name invites a
        click to somewhere else."""
        paragraphs = []
        for block in self.text.split("\n\n"):
            lines = [_linked(escape(line), links_under) for line in block.splitlines()]
            paragraphs.append(f"<p>{'<br>'.join(lines)}</p>")
        return f"<!doctype html><html><body>{''.join(paragraphs)}</body></html>"


def _linked(line: str, links_under: str | tuple[str, ...]) -> str:
    bases = (links_under,) if isinstance(links_under, str) else links_under
    own = tuple(escape(base.rstrip("/") + "/") for base in bases)

    def link(found: re.Match[str]) -> str:
        url = found.group(0)
        return f'<a href="{url}">{url}</a>' if url.startswith(own) else url

    return re.sub(r"https?://[^\s<&\"']+", link, line)


def _sv(language: str) -> bool:
    return language != "en"


def new_referral(language: str, *, referral_id: str, service: str, hub: str, sender: str, link: str) -> Wording:
    if not _sv(language):
        return Wording(
            f"New referral {referral_id} to you at {hub}",
            f"{sender} has referred a resident to {service} at the {hub} hub.\n\n"
            f"Open the referral: {link}\n\n{NO_PERSONAL_DATA['en']}",
        )
    return Wording(
        f"Ny remiss {referral_id} till er vid {hub}",
        f"{sender} har skickat en remiss till {service} vid hubben i {hub}.\n\n"
        f"Öppna remissen: {link}\n\n{NO_PERSONAL_DATA['sv']}",
    )


def referral_changed(
    language: str, *, referral_id: str, status: str, service: str, hub: str, by: str, reason: str, link: str
) -> Wording:
    sv, en = STATUS_WORDS.get(status, (status, status))
    because = f" ({reason})" if reason else ""
    if not _sv(language):
        return Wording(
            f"Referral {referral_id} {en}",
            f"The referral {referral_id} to {service} at {hub} {en}{because}, by {by}.\n\n"
            f"Open the referral: {link}\n\n{NO_PERSONAL_DATA['en']}",
        )
    return Wording(
        f"Remiss {referral_id} {sv}",
        f"Remissen {referral_id} till {service} vid {hub} {sv}{because}, av {by}.\n\n"
        f"Öppna remissen: {link}\n\n{NO_PERSONAL_DATA['sv']}",
    )


def referral_overdue(
    language: str, *, referral_id: str, kind: str, breach: int, due_at: datetime, service: str, hub: str, link: str
) -> Wording:
    when = due_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d")
    if not _sv(language):
        what = "acknowledged" if kind == "acknowledge" else "answered"
        again = " again" if breach > 1 else ""
        return Wording(
            f"Overdue{again}: referral {referral_id} has not been {what}",
            f"The referral {referral_id} to {service} at {hub} should have been {what} by {when} "
            f"(breach {breach}).\n\nOpen the referral: {link}\n\n{NO_PERSONAL_DATA['en']}",
        )
    what = "kvitterats" if kind == "acknowledge" else "besvarats"
    again = " igen" if breach > 1 else ""
    return Wording(
        f"Försenad{again}: remiss {referral_id} har inte {what}",
        f"Remissen {referral_id} till {service} vid {hub} skulle ha {what} senast {when} "
        f"(överskridande {breach}).\n\nÖppna remissen: {link}\n\n{NO_PERSONAL_DATA['sv']}",
    )


def hub_event_reminder(
    language: str,
    *,
    title: str,
    hub: str,
    starts_at: datetime,
    registered: int,
    capacity: int,
    waitlisted: int,
    link: str,
) -> Wording:
    when = starts_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    if not _sv(language):
        return Wording(
            f"Reminder: {title} at {hub}, {when}",
            f'"{title}" at the {hub} hub starts {when}: {registered} of {capacity} places taken, '
            f"{waitlisted} waiting.\n\nDetails: {link}",
        )
    return Wording(
        f"Påminnelse: {title} i {hub}, {when}",
        f'"{title}" på hubben i {hub} börjar {when}: {registered} av {capacity} platser bokade, '
        f"{waitlisted} på väntelistan.\n\nMer information: {link}",
    )


def hub_event_cancelled(language: str, *, title: str, hub: str, reason: str, link: str) -> Wording:
    if not _sv(language):
        return Wording(f"Cancelled at {hub}: {title}", f'"{title}" at the {hub} hub is cancelled ({reason}).\n\n{link}')
    return Wording(f"Inställt i {hub}: {title}", f'"{title}" på hubben i {hub} är inställt ({reason}).\n\n{link}')


def hub_event_scheduled(
    language: str, *, title: str, hub: str, starts_at: datetime, organiser: str, link: str
) -> Wording:
    when = starts_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    if not _sv(language):
        return Wording(
            f"New activity at {hub}: {title}",
            f'{organiser} has scheduled "{title}" at the {hub} hub on {when}.\n\nDetails: {link}',
        )
    return Wording(
        f"Ny aktivitet i {hub}: {title}",
        f'{organiser} har lagt in "{title}" på hubben i {hub} den {when}.\n\nMer information: {link}',
    )
