"""Load the staff of the real network from the seed: members not stored yet are added; those
already there keep what their partner has changed since (UpsertStaffMember)."""

from hubnet_notifications.domain.staff import StaffMember
from hubnet_notifications.handlers.ports import UnitOfWork


async def load_staff(uow: UnitOfWork, staff: list[StaffMember]) -> None:
    for member in staff:
        await uow.staff.upsert(member, replace=False)
    await uow.commit()
