"""The directory (HSDS-shaped, DESIGN §1): partners (organizations), hubs (locations) and the
services partners offer at hubs (service_at_location)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    active: bool = True


@dataclass(frozen=True)
class Hub:
    id: str
    name: str
    active: bool = True


@dataclass(frozen=True)
class Service:
    id: str
    partner_id: str
    name: str
    hub_ids: tuple[str, ...]
    active: bool = True

    def offered_at(self, hub_id: str) -> bool:
        return hub_id in self.hub_ids
