"""Settings of a staff portal (`HUBNET_*`): the one partner it acts for, and where it finds the rest."""

from pathlib import Path

from pydantic import Field

from hubnet_common.service.settings import Settings


class PortalSettings(Settings):
    # The partner this portal acts for (HUBNET_PORTAL_PARTNER): its Kafka login, its signing key
    # (`<keys_dir>/partner-<id>.ed25519.key` unless HUBNET_SIGNING_KEY_FILE), its staff alone.
    portal_partner: str = Field(min_length=1)
    # The partner's X25519 private key, to open what is sealed to it (default `<keys_dir>/partner-<id>.x25519.key`).
    encryption_key_file: Path | None = None
    http_port: int = 8191
    # The address staff reach the portal at; the login page sends them back to `<it>/signed-in`.
    portal_url: str | None = None
    # A session ends after this long without a request.
    session_idle_minutes: float = 30.0
    # Where the events service answers HTTP (the follow-up page's hub event figures).
    events_url: str = "http://127.0.0.1:8182"
    # How often the inbox page asks for new entries.
    inbox_poll_seconds: int = 5

    @property
    def address(self) -> str:
        return (self.portal_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    @property
    def client_id(self) -> str:
        return f"portal-{self.portal_partner}"

    @property
    def secure_cookies(self) -> bool:
        return self.address.startswith("https://")

    @property
    def encryption_key(self) -> Path:
        if self.encryption_key_file is not None:
            return self.encryption_key_file
        if self.keys_dir is None:
            raise LookupError(
                "the portal needs HUBNET_KEYS_DIR or HUBNET_ENCRYPTION_KEY_FILE: its partner's X25519 key"
            )
        return self.keys_dir / f"partner-{self.portal_partner}.x25519.key"
