"""The staff of the real network, from the seed file."""

import json
from pathlib import Path

from hubnet_notifications.domain.staff import StaffMember

STAFF = Path(__file__).parents[1] / "seed" / "staff.json"


def read_staff(text: str | None = None) -> list[StaffMember]:
    data = json.loads(text if text is not None else STAFF.read_text(encoding="utf-8"))
    return [StaffMember(**{**s, "hubs": tuple(s["hubs"]), "roles": tuple(s["roles"])}) for s in data["staff"]]
