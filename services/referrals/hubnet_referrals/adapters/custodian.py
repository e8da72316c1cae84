"""The referrals service's own keys: the custodian key its copy of every data key is sealed to, the
X25519 key partners seal residents' personnummer to, and the pseudonymisation key.

- The custodian key (`HUBNET_CUSTODIAN_KEY_FILE`, default
  `$HUBNET_KEYS_DIR/service-referrals.custodian.key`) is never published: its public key is only
  in the `sealed_to` of the service's copies. `hubnet admin rotate-custodian-key` replaces it
  (adapters/custodian_rotation.py, docs/adr/0011-custodian-rotation-and-restores.md). Until the
  first rotation makes that file, the service's copies are sealed to the personnummer key, as
  before the two were split.
- The personnummer key (`HUBNET_ENCRYPTION_KEY_FILE`, default
  `$HUBNET_KEYS_DIR/service-referrals.x25519.key`, made by `hubnet keys generate`): partners have
  its public key, `service-referrals.x25519.pub` (docs/adr/0007-custodian-pseudonyms.md).
- The pseudonymisation key (`HUBNET_PSEUDONYM_KEY_FILE`, default
  `$HUBNET_KEYS_DIR/service-referrals.pseudonym.key`) makes `participant_ref` from the opened
  number, which is neither kept, logged nor published.

Each is read from its file when first needed, never logged. In a cluster they are Secrets mounted
into the service's container alone and must be backed up: without the custodian key, later
consents cannot add partners to the key of a resident known before.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from hubnet_common.sdk.keys import KeyPair, decode, read_key
from hubnet_common.sdk.participant import open_personnummer, participant_ref
from hubnet_common.sdk.sealing import new_data_key, open_data_key, public_key_for, seal_data_key
from hubnet_referrals.domain.data_key import DataKeyCopy


class CopyNotOpenable(RuntimeError):
    """The service's copy is sealed to a key it does not hold (rotated away, or another Secret)."""


def key_pair(path: Path) -> KeyPair:
    private = read_key(path)
    return KeyPair(public=public_key_for(private), private=private)


class KeyCustodian:
    def __init__(self, key_file: Path, pseudonym_key_file: Path, custodian_key_file: Path | None = None) -> None:
        self.key_file = Path(key_file)
        self.pseudonym_key_file = Path(pseudonym_key_file)
        self.custodian_key_file = Path(custodian_key_file) if custodian_key_file else None

    @cached_property
    def _pseudonym_key(self) -> bytes:
        path = self.pseudonym_key_file
        return decode(read_key(path), f"the pseudonymisation key in {path}")

    @cached_property
    def _personnummer_keys(self) -> KeyPair:
        return key_pair(self.key_file)

    @cached_property
    def _custodian_keys(self) -> KeyPair:
        if self.custodian_key_file is not None and self.custodian_key_file.exists():
            return key_pair(self.custodian_key_file)
        return self._personnummer_keys  # never rotated yet

    @property
    def public_key(self) -> str:
        return self._custodian_keys.public

    def new_key(self) -> bytes:
        return new_data_key()

    def open(self, copy: DataKeyCopy) -> bytes:
        """The data key, from the copy sealed to this service: to its custodian key, or (made before
        the first rotation and not yet sealed anew) to its personnummer key."""
        for keys in (self._custodian_keys, self._personnummer_keys):
            if copy.sealed_to == keys.public:
                return open_data_key(copy.sealed_key, keys.private)
        raise CopyNotOpenable(
            "the service's data key copy is sealed to a key it does not hold: HUBNET_CUSTODIAN_KEY_FILE is "
            "not the key `hubnet admin rotate-custodian-key` made last (docs/operations.md)"
        )

    @staticmethod
    def seal(data_key: bytes, public_key: str) -> str:
        return seal_data_key(data_key, public_key)

    def participant_ref(self, sealed_personnummer: str) -> str:
        """The resident's reference, from their number sealed to this service (InvalidPersonalNumber
        if it cannot be opened or is no valid number)."""
        return participant_ref(
            open_personnummer(sealed_personnummer, self._personnummer_keys.private), self._pseudonym_key
        )
