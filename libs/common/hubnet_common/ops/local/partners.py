"""The partner client on the local stack (`make up`): a partner's Kafka login, signing key and
the service keys it trusts, from the HUBNET_* settings and the local Kafka users."""

from __future__ import annotations

from typing import Any

from hubnet_common.ops.local.credentials import login
from hubnet_common.sdk.partner import PartnerClient, answers_verifier
from hubnet_common.sdk.signing import Signer, own_signer
from hubnet_common.sdk.trust import Verifier
from hubnet_common.service.settings import Settings


def partner_login(partner_id: str) -> dict[str, Any]:
    """A partner's Kafka login from the HUBNET_KAFKA_* settings, or on a machine with local Kafka
    users (`make up`) its user `partner-<id>` there."""
    return login(f"partner-{partner_id}")


def partner_signer(partner_id: str, settings: Settings | None = None) -> Signer:
    settings = settings or Settings()
    return own_signer(f"partner-{partner_id}", settings.signing_key_file, settings.keys_dir)


def trusted_answers(settings: Settings | None = None) -> Verifier:
    """Answers count only when signed by a hubnet service whose public key is in HUBNET_KEYS_DIR."""
    keys_dir = (settings or Settings()).keys_dir
    if keys_dir is None:
        raise LookupError(
            "no hubnet service public keys to check answers with: set HUBNET_KEYS_DIR to a directory "
            "with service-<name>.ed25519.pub files"
        )
    return answers_verifier(keys_dir)


class LocalPartnerClient(PartnerClient):
    """The SDK's `PartnerClient` configured from the environment: the login `partner_login`, the key
    `partner_signer`, the answers' check `trusted_answers` and HUBNET_TOPIC_PREFIX, unless given."""

    def __init__(
        self,
        bootstrap: str,
        partner_id: str,
        *,
        topic_prefix: str | None = None,
        signer: Signer | None = None,
        answers: Verifier | None = None,
        **security: Any,
    ) -> None:
        super().__init__(
            bootstrap,
            partner_id,
            signer=signer or partner_signer(partner_id),
            answers=answers or trusted_answers(),
            topic_prefix=Settings().topic_prefix if topic_prefix is None else topic_prefix,
            **(security or partner_login(partner_id)),
        )
