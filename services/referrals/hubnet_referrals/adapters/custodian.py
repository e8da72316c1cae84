"""The referrals service's own X25519 key pair: its copy of every data key is sealed to it.

The private key is read from the file `HUBNET_ENCRYPTION_KEY_FILE` names, when first needed. A
missing file is created (mode 0600) with a new key, for local runs and tests; in a cluster it is
mounted from a secret and must be backed up: without it, later consents cannot add partners to the
key of a resident known before. The key is never logged.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import structlog
from hubnet_common.sealing import (
    EncryptionKeyPair, create_private_key, new_data_key, open_data_key, public_key_for, read_private_key,
    seal_data_key,
)

log = structlog.get_logger(__name__)


class KeyCustodian:
    def __init__(self, key_file: Path) -> None:
        self.key_file = Path(key_file)

    @cached_property
    def _keys(self) -> EncryptionKeyPair:
        try:
            private = read_private_key(self.key_file)
        except FileNotFoundError:
            try:
                private = create_private_key(self.key_file)
                log.warning("generated a new encryption key for the referrals service", key_file=str(self.key_file))
            except FileExistsError:  # another instance made it a moment ago
                private = read_private_key(self.key_file)
        return EncryptionKeyPair(public=public_key_for(private), private=private)

    @property
    def public_key(self) -> str:
        return self._keys.public

    def new_key(self) -> bytes:
        return new_data_key()

    def open(self, sealed_key: str) -> bytes:
        """The data key, from the copy sealed to this service."""
        return open_data_key(sealed_key, self._keys.private)

    @staticmethod
    def seal(data_key: bytes, public_key: str) -> str:
        return seal_data_key(data_key, public_key)
