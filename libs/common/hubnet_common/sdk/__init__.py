"""What a partner system imports: topics, identity, envelope, messages, signing and verification
against a static key ring, sealing and data keys, participant references, webhook signatures,
errors, keys and the partner client. Needs only pydantic, PyNaCl and aiokafka (`pip install
hubnet-common`); it reads no settings and no local files."""

from hubnet_common.sdk import messages, topics, webhook_signature
from hubnet_common.sdk.data_key import DataKeyAnswerRefused, DataKeyMissing, InsecureURL, fetch_data_key
from hubnet_common.sdk.envelope import Envelope, EnvelopeInvalid, uuid7
from hubnet_common.sdk.errors import FieldError, Refused
from hubnet_common.sdk.identity import owner_name, owner_source, partner_of, partner_source, service_source
from hubnet_common.sdk.keys import KeyInvalid, KeyPair, generate, read_key, write_key_pair
from hubnet_common.sdk.participant import InvalidPersonalNumber, participant_ref
from hubnet_common.sdk.partner import PartnerClient, answers_verifier, read_directory
from hubnet_common.sdk.sealing import (
    ContactDetails,
    SealingError,
    generate_encryption_keys,
    new_data_key,
    open_contact,
    open_data_key,
    open_with_data_key,
    seal_data_key,
    seal_with_data_key,
)
from hubnet_common.sdk.signing import PublicSigningKey, SignatureRefused, Signer, own_signer
from hubnet_common.sdk.trust import KeyRing, StaticKeyRing, Verifier, trusted_service_keys

__all__ = [
    "ContactDetails",
    "DataKeyAnswerRefused",
    "DataKeyMissing",
    "Envelope",
    "EnvelopeInvalid",
    "FieldError",
    "InsecureURL",
    "InvalidPersonalNumber",
    "KeyInvalid",
    "KeyPair",
    "KeyRing",
    "PartnerClient",
    "PublicSigningKey",
    "Refused",
    "SealingError",
    "SignatureRefused",
    "Signer",
    "StaticKeyRing",
    "Verifier",
    "answers_verifier",
    "fetch_data_key",
    "generate",
    "generate_encryption_keys",
    "messages",
    "new_data_key",
    "open_contact",
    "open_data_key",
    "open_with_data_key",
    "own_signer",
    "owner_name",
    "owner_source",
    "participant_ref",
    "partner_of",
    "partner_source",
    "read_directory",
    "read_key",
    "seal_data_key",
    "seal_with_data_key",
    "service_source",
    "topics",
    "trusted_service_keys",
    "uuid7",
    "webhook_signature",
    "write_key_pair",
]
