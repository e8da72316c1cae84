"""Tools of operators and of the local stack (`pip install hubnet-common[ops]`): the Kafka ACL
matrix, the dead-letter tools, the `hubnet` command line and the local stack. Imports `service` and
`sdk`; nothing in production imports it (tests, bench and faults do).

Its public surface is its modules (import them by name)."""

__all__ = ["access", "cli", "dlq", "local"]
