"""Where a webhook may point (hubnet_notifications/domain/webhook_address.py)."""

import ipaddress

import pytest

from hubnet_notifications.domain.webhook_address import NOT_ALLOWED, WebhookPolicy, networks
from hubnet_notifications.settings import NotificationSettings

STRICT, LOCAL = WebhookPolicy(), WebhookPolicy(allow_http=True, allow_private=True)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_internal_addresses_are_refused(address):
    assert not STRICT.allows(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert STRICT.allows(ipaddress.ip_address(address))


def test_allowing_private_addresses_still_refuses_unspecified_multicast_and_cluster_ranges():
    assert LOCAL.allows(ipaddress.ip_address("127.0.0.1"))
    for address in ("0.0.0.0", "::", "239.1.1.1", "10.96.0.1", "10.244.3.7"):
        assert not LOCAL.allows(ipaddress.ip_address(address))


def test_a_configured_cluster_range_is_refused_even_if_public():
    policy = WebhookPolicy(blocked=networks(["203.0.113.0/24", "93.184.0.0/16"]))
    assert not policy.allows(ipaddress.ip_address("93.184.216.34"))


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.org/", "webhooks must use https"),
        ("ftp://hooks.example.org/", "webhooks must use https"),
        ("https://127.0.0.1/", NOT_ALLOWED),
        ("https://[::1]:8443/", NOT_ALLOWED),
        ("https://169.254.169.254/latest/meta-data/", NOT_ALLOWED),
        ("https://10.0.0.5/", NOT_ALLOWED),
        ("https://hooks.example.org:99999/", "bad port in the webhook URL"),
        ("https://hooks.example.org/in", None),
        ("https://localhost/in", None),  # a name: checked on what it resolves to, at delivery
    ],
)
def test_registration_refuses_what_can_be_seen_in_the_url(url, why):
    assert STRICT.refusal(url) == why


def test_the_defaults_are_strict_and_the_ranges_a_setting(monkeypatch):
    monkeypatch.setenv("HUBNET_WEBHOOK_BLOCKED_RANGES", '["198.51.100.0/24"]')
    policy = NotificationSettings().webhook_policy()
    assert not policy.allow_http and not policy.allow_private
    assert not policy.allows(ipaddress.ip_address("198.51.100.7"))
