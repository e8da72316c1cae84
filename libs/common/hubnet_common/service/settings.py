"""Configuration from `HUBNET_*` environment variables, read once per process."""

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUBNET_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:19092"
    # How the services authenticate to Kafka: PLAINTEXT on the local broker, SASL_SSL with SCRAM on a
    # cluster (each service its own user; docs/security.md). The password is never logged.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None  # the cluster's CA certificate; the system's CAs when unset
    pg_dsn: str = "postgresql://hubnet@127.0.0.1:15432/postgres"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    log_level: str = "INFO"
    # Consumer groups are `<prefix>-<service>-<topic>`; tests set a unique prefix per run.
    group_prefix: str = "hubnet"
    # Put before every topic name on the broker, so that environments (a test run, a benchmark,
    # a staging copy) can share one Kafka cluster without seeing each other's messages.
    topic_prefix: str = ""
    graceful_timeout: float = 15.0
    # A consumer applies what one poll returns, up to this many records, in one transaction with
    # one offset commit. A poll waits this many milliseconds for records, returns as soon as some
    # come, and one that found none waits as long again (FastStream's batch subscriber). Shorter
    # makes an idle consumer's first record quicker and every idle subscriber dearer (README.md).
    consume_batch_records: int = 500
    consume_idle_ms: int = 100
    # How long the outbox relay sleeps when no NOTIFY wakes it.
    outbox_poll_seconds: float = 1.0
    # For the `hubnet` command line: where the referrals service answers HTTP.
    referrals_url: str = "http://127.0.0.1:8181"
    # … and where the notifications service does (the demo reads an inbox there).
    notifications_url: str = "http://127.0.0.1:8183"
    # Message signing (docs/adr/0005-signed-form.md). The directory of key files: the hubnet services' public keys
    # (`service-<name>.ed25519.pub`, trusted), the partners' first public keys (read by the
    # referrals service, which enrols them in the directory) and, for the local tools acting as
    # partners, their private keys. `make up` makes a local set in .local/keys.
    keys_dir: Path | None = None
    # This service's (or tool's) own Ed25519 private key; default `<keys_dir>/service-<name>.ed25519.key`.
    signing_key_file: Path | None = None
    # A command's ce_time must be this close to the time the broker took it (a replay otherwise).
    signature_window_seconds: float = 300.0
    # The identity provider's realm: every HTTP route but the public ones needs one of its bearer
    # tokens (service/auth.py), with this issuer and the service's audience `hubnet-<service>`.
    oidc_issuer: str = "http://127.0.0.1:18080/realms/hubnet"
    # How far a token's exp and nbf may be off, for clocks that differ a little.
    oidc_leeway_seconds: int = 30
    # How long a record signed with a key not (yet) in this service's directory copy waits for it.
    unknown_key_grace_seconds: float = 5.0

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> "Settings":
        if self.kafka_security_protocol.startswith("SASL") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"HUBNET_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "HUBNET_KAFKA_SASL_USERNAME and HUBNET_KAFKA_SASL_PASSWORD"
            )
        return self
