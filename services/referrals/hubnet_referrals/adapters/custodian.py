"""The referrals service's own X25519 key pair: its copy of every data key is sealed to it.

The private key is read from the file `HUBNET_ENCRYPTION_KEY_FILE` names (default
`$HUBNET_KEYS_DIR/service-referrals.x25519.key`, made by `hubnet keys generate`), when first
needed. In a cluster it is mounted from a secret and must be backed up: without it, later consents
cannot add partners to the key of a resident known before. The key is never logged.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from hubnet_common.sdk.keys import KeyPair, read_key
from hubnet_common.sdk.sealing import new_data_key, open_data_key, public_key_for, seal_data_key


class KeyCustodian:
    def __init__(self, key_file: Path) -> None:
        self.key_file = Path(key_file)

    @cached_property
    def _keys(self) -> KeyPair:
        private = read_key(self.key_file)
        return KeyPair(public=public_key_for(private), private=private)

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
