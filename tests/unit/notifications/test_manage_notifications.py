"""Partners manage only their own staff, subscriptions and webhooks (handlers/manage.py on in-memory
repositories)."""

import pytest

from hubnet_common.sdk.envelope import Envelope
from hubnet_common.sdk.identity import partner_source
from hubnet_common.sdk.messages import notification_commands as c
from hubnet_common.sdk.sealing import generate_encryption_keys
from hubnet_common.sdk.webhook_signature import SECRET_PREFIX, open_secret
from hubnet_common.testing.directory_copy import FakeDirectoryCopy
from hubnet_common.testing.uow import FakeUnitOfWork
from hubnet_notifications.domain.subscription import Subscription, WebhookEndpoint
from hubnet_notifications.domain.webhook_address import WebhookPolicy
from hubnet_notifications.handlers.manage import NotPermitted, Unknown, handlers

SERVICE_KEY, BRG_KEY = generate_encryption_keys(), generate_encryption_keys()
HANDLERS = handlers(WebhookPolicy(), SERVICE_KEY.public)


class Staff:
    def __init__(self):
        self.by_id = {}

    async def get(self, staff_id):
        return self.by_id.get(staff_id)

    async def upsert(self, member):
        self.by_id[member.id] = member


class Subscriptions:
    def __init__(self):
        self.by_id: dict[str, Subscription] = {}

    async def add(self, s):
        self.by_id[s.id] = s

    async def remove(self, subscription_id, staff_id):
        if getattr(self.by_id.get(subscription_id), "staff_id", None) != staff_id:
            return False
        del self.by_id[subscription_id]
        return True


class Webhooks:
    def __init__(self):
        self.by_id: dict[str, WebhookEndpoint] = {}

    async def owner(self, webhook_id):
        return getattr(self.by_id.get(webhook_id), "partner_id", None)

    async def upsert(self, endpoint):
        self.by_id[endpoint.id] = endpoint

    async def deactivate(self, webhook_id):
        e = self.by_id[webhook_id]
        self.by_id[webhook_id] = WebhookEndpoint(e.id, e.partner_id, e.url, e.secret, e.kinds, active=False)


class Uow(FakeUnitOfWork):
    def __init__(self):
        super().__init__("notifications")
        self.staff, self.subscriptions, self.webhooks = Staff(), Subscriptions(), Webhooks()
        self.directory = FakeDirectoryCopy()
        self.directory.encryption_keys = {"brg": BRG_KEY.public, "poseidon": generate_encryption_keys().public}


async def handle(uow, command, by: str | None = "brg"):
    source = partner_source(by) if by else "urn:hubnet:service:referrals"
    envelope = Envelope.new(type=command.ce_type, source=source, subject="x")
    async with uow:
        answer = await HANDLERS[type(command)](command, envelope, uow)
        await uow.commit()
    return answer


@pytest.fixture
async def uow():
    fake = Uow()
    await handle(
        fake,
        c.UpsertStaffMember(
            staff_id="anna",
            name="Anna",
            email="anna@brg.test",
            hubs=["hjallbo"],
            roles=["receives-referrals"],
            language="en",
            delivery="digest",
        ),
    )
    return fake


async def test_a_partner_adds_its_staff_member_as_given_and_active(uow):
    anna = uow.staff.by_id["anna"]
    assert (
        anna.partner_id,
        anna.name,
        anna.email,
        anna.hubs,
        anna.roles,
        anna.language,
        anna.delivery,
        anna.active,
    ) == ("brg", "Anna", "anna@brg.test", ("hjallbo",), ("receives-referrals",), "en", "digest", True)


async def test_another_partners_staff_member_can_be_neither_overwritten_nor_removed(uow):
    with pytest.raises(NotPermitted):
        await handle(uow, c.UpsertStaffMember(staff_id="anna", name="X", email="x@poseidon.test"), by="poseidon")
    with pytest.raises(NotPermitted):
        await handle(uow, c.RemoveStaffMember(staff_id="anna"), by="poseidon")
    with pytest.raises(NotPermitted):
        await handle(uow, c.RemoveStaffMember(staff_id="anna"), by=None)
    with pytest.raises(Unknown):
        await handle(uow, c.RemoveStaffMember(staff_id="nobody"))
    assert uow.staff.by_id["anna"].name == "Anna" and uow.staff.by_id["anna"].active


async def test_a_removed_staff_member_is_kept_but_inactive(uow):
    await handle(uow, c.RemoveStaffMember(staff_id="anna"))
    assert uow.staff.by_id["anna"].active is False and uow.staff.by_id["anna"].email == "anna@brg.test"


async def test_subscriptions_are_made_and_ended_for_own_staff_only(uow):
    await handle(uow, c.Subscribe(subscription_id="S-1", staff_id="anna", kinds=["referral.*"], hub_id="hjallbo"))
    assert uow.subscriptions.by_id["S-1"] == Subscription("S-1", "anna", ("referral.*",), hub_id="hjallbo")
    with pytest.raises(NotPermitted):
        await handle(uow, c.Subscribe(subscription_id="S-2", staff_id="anna", kinds=["referral.*"]), by="poseidon")
    with pytest.raises(NotPermitted):
        await handle(uow, c.Unsubscribe(subscription_id="S-1", staff_id="anna"), by="poseidon")
    with pytest.raises(Unknown):
        await handle(uow, c.Unsubscribe(subscription_id="S-9", staff_id="anna"))
    await handle(uow, c.Unsubscribe(subscription_id="S-1", staff_id="anna"))
    assert uow.subscriptions.by_id == {}


async def test_a_webhook_belongs_to_the_partner_that_registered_it(uow):
    answer = await handle(uow, c.RegisterWebhook(webhook_id="W-1", url="https://brg.test/hook", kinds=["referral.*"]))
    secret = open_secret(answer["sealed_secret"], BRG_KEY.private)  # sealed to the partner that registered it
    stored = uow.webhooks.by_id["W-1"]
    assert secret.startswith(SECRET_PREFIX) and open_secret(stored.secret, SERVICE_KEY.private) == secret
    assert stored == WebhookEndpoint("W-1", "brg", "https://brg.test/hook", stored.secret, ("referral.*",))
    with pytest.raises(NotPermitted):
        await handle(
            uow,
            c.RegisterWebhook(webhook_id="W-1", url="https://evil.test/", kinds=["referral.*"]),
            by="poseidon",
        )
    with pytest.raises(NotPermitted):
        await handle(uow, c.RemoveWebhook(webhook_id="W-1"), by="poseidon")
    with pytest.raises(Unknown):
        await handle(uow, c.RemoveWebhook(webhook_id="W-9"))
    assert uow.webhooks.by_id["W-1"].url == "https://brg.test/hook" and uow.webhooks.by_id["W-1"].active
    await handle(uow, c.RemoveWebhook(webhook_id="W-1"))
    assert uow.webhooks.by_id["W-1"].active is False
