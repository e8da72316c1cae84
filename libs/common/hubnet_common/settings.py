"""Configuration from `HUBNET_*` environment variables, read once per process."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUBNET_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:19092"
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
    # How long the outbox relay sleeps when no NOTIFY wakes it.
    outbox_poll_seconds: float = 1.0
    # For the `hubnet` command line: where the referrals service answers HTTP, and the network key
    # participant references are made with (DESIGN §6; a secret shared by the partners).
    referrals_url: str = "http://127.0.0.1:8181"
    network_key: str | None = None
