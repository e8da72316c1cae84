"""The seed file describing the real network."""

import json
from pathlib import Path

from hubnet_common.sdk.keys import read_key
from hubnet_referrals.adapters.repository import schedule_from_json
from hubnet_referrals.domain.directory import Hub, Partner, Service

NETWORK = Path(__file__).parents[1] / "seed" / "network.json"


def read_network(text: str | None = None) -> tuple[list[Partner], list[Hub], list[Service]]:
    data = json.loads(text if text is not None else NETWORK.read_text(encoding="utf-8"))
    return (
        [Partner(**p) for p in data["partners"]],
        [Hub(**h) for h in data["hubs"]],
        [
            Service(
                **{
                    **s,
                    "hub_ids": tuple(s["hub_ids"]),
                    "languages": tuple(s.get("languages", ("sv",))),
                    "needs": tuple(s.get("needs", ())),
                    "required_documents": tuple(s.get("required_documents", ())),
                    "schedules": tuple(schedule_from_json(entry) for entry in s.get("schedules", ())),
                }
            )
            for s in data["services"]
        ],
    )


def read_enrolments(keys_dir: Path | None) -> dict[str, str]:
    """The partners' first signing keys the operators placed as `partner-<id>.ed25519.pub`."""
    if keys_dir is None:
        return {}
    return {
        path.name.removeprefix("partner-").removesuffix(".ed25519.pub"): read_key(path)
        for path in sorted(Path(keys_dir).glob("partner-*.ed25519.pub"))
    }
