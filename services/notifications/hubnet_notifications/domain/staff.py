"""Staff members and who among them is told what."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StaffMember:
    id: str
    name: str
    email: str
    partner_id: str
    hubs: tuple[str, ...]
    roles: tuple[str, ...]
    language: str = "sv"
    delivery: str = "immediate"  # or "digest": e-mails gathered into one a day
    active: bool = True

    def works_at(self, hub_id: str) -> bool:
        """Staff with no hubs listed work for their partner at every hub."""
        return not self.hubs or hub_id in self.hubs

    @property
    def handles_cases(self) -> bool:
        return bool(set(self.roles) - {"manager"})


def add_subscribers(told: list[StaffMember], staff: list[StaffMember], wanted_by: set[str]) -> list[StaffMember]:
    """Those the default rules chose, plus subscribers, each once; only active staff."""
    chosen = {s.id: s for s in told}
    chosen.update({s.id: s for s in staff if s.id in wanted_by})
    return [s for s in chosen.values() if s.active]


def receivers_of_referral(staff: list[StaffMember], partner_id: str, hub_id: str) -> list[StaffMember]:
    """The receiving partner's staff who take referrals at that hub."""
    return [s for s in staff if s.partner_id == partner_id and "receives-referrals" in s.roles and s.works_at(hub_id)]


def senders_of_referral(staff: list[StaffMember], partner_id: str, hub_id: str) -> list[StaffMember]:
    """The sending partner's staff at that hub, who want to know what came of their referral."""
    return [s for s in staff if s.partner_id == partner_id and s.handles_cases and s.works_at(hub_id)]


def managers_of(staff: list[StaffMember], partner_id: str) -> list[StaffMember]:
    """Who an overdue referral is escalated to after its second breach."""
    return [s for s in staff if s.partner_id == partner_id and "manager" in s.roles]


def hosts_of_hub(staff: list[StaffMember], hub_id: str) -> list[StaffMember]:
    return [s for s in staff if "hub-host" in s.roles and hub_id in s.hubs]
