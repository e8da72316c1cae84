"""The referrals service's own X25519 key pair: its copy of every data key is sealed to it.

The private key is read from the file `HUBNET_ENCRYPTION_KEY_FILE` names (default
`$HUBNET_KEYS_DIR/service-referrals.x25519.key`, made by `hubnet keys generate`), when first
needed. In a cluster it is mounted from a secret and must be backed up: without it, later consents
cannot add partners to the key of a resident known before. The key is never logged.

The pseudonymisation key (`HUBNET_PSEUDONYM_KEY_FILE`, default
`$HUBNET_KEYS_DIR/service-referrals.pseudonym.key`) makes `participant_ref` from the personnummer a
partner sealed to this service (docs/adr/0007-custodian-pseudonyms.md). Only this service holds it;
the opened number is neither kept, logged nor published.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from hubnet_common.sdk.keys import KeyPair, decode, read_key
from hubnet_common.sdk.participant import open_personnummer, participant_ref
from hubnet_common.sdk.sealing import new_data_key, open_data_key, public_key_for, seal_data_key


class KeyCustodian:
    def __init__(self, key_file: Path, pseudonym_key_file: Path) -> None:
        self.key_file = Path(key_file)
        self.pseudonym_key_file = Path(pseudonym_key_file)

    @cached_property
    def _pseudonym_key(self) -> bytes:
        path = self.pseudonym_key_file
        return decode(read_key(path), f"the pseudonymisation key in {path}")

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

    def participant_ref(self, sealed_personnummer: str) -> str:
        """The resident's reference, from their number sealed to this service (InvalidPersonalNumber
        if it cannot be opened or is no valid number)."""
        return participant_ref(open_personnummer(sealed_personnummer, self._keys.private), self._pseudonym_key)
