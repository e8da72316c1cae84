"""The runtime every hubnet service uses (`pip install hubnet-common[service]`); imports `sdk` only.

Its public surface is its modules (import them by name: `from hubnet_common.service.runtime import …`)."""

__all__ = [
    "db",
    "deadletter",
    "directory_copy",
    "http",
    "kafka",
    "kafka_security",
    "logging",
    "metrics",
    "outbox",
    "processing",
    "runtime",
    "settings",
    "startup",
    "trust",
    "uow",
]
