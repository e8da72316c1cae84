"""What a notification says, in Swedish or English. Never anything about the resident: staff
open the referral in their own system to see who it concerns."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class Wording:
    subject: str
    text: str


def new_referral(language: str, *, referral_id: str, service: str, hub: str, sender: str, link: str) -> Wording:
    if language == "en":
        return Wording(
            f"New referral {referral_id} to you at {hub}",
            f"{sender} has referred a resident to {service} at the {hub} hub.\n\n"
            f"Open the referral: {link}\n\nThis message contains no personal data.",
        )
    return Wording(
        f"Ny remiss {referral_id} till er vid {hub}",
        f"{sender} har skickat en remiss till {service} vid hubben i {hub}.\n\n"
        f"Öppna remissen: {link}\n\nMeddelandet innehåller inga personuppgifter.",
    )


def hub_event_scheduled(language: str, *, title: str, hub: str, starts_at: datetime, organiser: str, link: str) -> Wording:
    when = starts_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    if language == "en":
        return Wording(
            f"New activity at {hub}: {title}",
            f"{organiser} has scheduled \"{title}\" at the {hub} hub on {when}.\n\nDetails: {link}",
        )
    return Wording(
        f"Ny aktivitet i {hub}: {title}",
        f"{organiser} har lagt in \"{title}\" på hubben i {hub} den {when}.\n\nMer information: {link}",
    )
