"""Load the staff of the real network from the seed (idempotent: an upsert per member)."""

from hubnet_notifications.adapters.uow import NotificationsUnitOfWork
from hubnet_notifications.domain.staff import StaffMember


async def load_staff(uow: NotificationsUnitOfWork, staff: list[StaffMember]) -> None:
    for member in staff:
        await uow.staff.upsert(member)
    await uow.commit()
