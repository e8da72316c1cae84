"""Settings of the notifications service (`HUBNET_*`), beyond what every service has."""

from datetime import time
from pathlib import Path

from pydantic import Field

from hubnet_common.service.settings import Settings
from hubnet_notifications.domain.webhook_address import CLUSTER_RANGES, WebhookPolicy, networks


class NotificationSettings(Settings):
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str = "hubnet <no-reply@hubnet.example.org>"
    # Where staff open a referral or hub event: links in mails are `<base_url>/referrals/<id>`.
    base_url: str = "https://hubnet.example.org"
    # … except for the partners named here (HUBNET_PARTNER_URLS, a JSON object partner id -> base URL):
    # their staff's links lead to that partner's own staff portal or system.
    partner_urls: dict[str, str] = Field(default_factory=dict)
    delivery_poll_seconds: float = 0.2
    webhook_timeout_seconds: float = 5.0
    # Where webhooks may point (domain/webhook_address.py, docs/security.md): HTTPS to public
    # addresses, never the cluster's own ranges (a JSON list of CIDRs). The local stack and tests,
    # whose receivers are on 127.0.0.1 over http, set the two allowances; no Kubernetes overlay may.
    webhook_allow_http: bool = False
    webhook_allow_private: bool = False
    webhook_blocked_ranges: tuple[str, ...] = CLUSTER_RANGES
    # The service's X25519 private key, which every webhook secret is sealed to at rest
    # (docs/adr/0008-webhook-secrets.md); default `<keys_dir>/service-notifications.x25519.key`,
    # as the referrals service's custodian key (hubnet_referrals/settings.py).
    encryption_key_file: Path | None = None
    # A batch of deliveries is leased to one worker for this long: long enough to send it and record
    # the outcome through a short database outage; a killed worker's batch is retried after it.
    delivery_lease_seconds: float = 30.0
    # How many due mails and webhooks one pass of the delivery worker sends at once.
    delivery_batch: int = Field(default=100, ge=1)
    digest_at: time = time(7, 30)  # local time (Europe/Stockholm) of the daily digest
    digest_check_seconds: float = 30.0
    # A fact older than this when it is read (a replay from the beginning of a topic, a rebuilt
    # projection, a long outage) still makes inbox entries, but no mail and no webhook call.
    notify_within_hours: float = 24.0

    @property
    def own_links(self) -> tuple[str, ...]:
        """Where the links a mail may make clickable point: hubnet's own addresses."""
        return (self.base_url, *self.partner_urls.values())

    @property
    def secrets_key_file(self) -> Path:
        if self.encryption_key_file is not None:
            return self.encryption_key_file
        if self.keys_dir is None:
            raise ValueError(
                "the notifications service needs its X25519 key: set HUBNET_ENCRYPTION_KEY_FILE or HUBNET_KEYS_DIR"
            )
        return self.keys_dir / "service-notifications.x25519.key"

    def webhook_policy(self) -> WebhookPolicy:
        return WebhookPolicy(
            allow_http=self.webhook_allow_http,
            allow_private=self.webhook_allow_private,
            blocked=networks(self.webhook_blocked_ranges),
        )
