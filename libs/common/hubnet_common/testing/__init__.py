"""Fakes for tests; never imported by production code (`.importlinter` holds it so)."""

from hubnet_common.testing.deadletter import CollectedDeadLetters
from hubnet_common.testing.directory_copy import FakeDirectoryCopy
from hubnet_common.testing.uow import FakeUnitOfWork

__all__ = ["CollectedDeadLetters", "FakeDirectoryCopy", "FakeUnitOfWork"]
