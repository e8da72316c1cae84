"""The staff roles the portal's pages check (ops/identity.py gives them out as realm roles, from
the staff list of services/notifications/hubnet_notifications/seed/staff.json)."""

MANAGER = "manager"  # follow-up figures; the partner's webhooks
