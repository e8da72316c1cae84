"""Attack: someone between a partner and the referrals service answers the partner's data-key
request. BRG's public X25519 key is in the directory for everyone to read, so the attacker seals a
data key of its own to it: the SDK opened it and BRG sealed what it wrote about the resident with
a key the attacker holds. Or the attacker answers with a real answer it saw earlier (about another
resident, for another partner, or old). The referrals service signs each answer over the
resident, the partner and its time; the SDK takes no other (hubnet_common/sdk/data_key.py)."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hubnet_common.ops.local.identities import partner_tokens
from hubnet_common.sdk.data_key import DataKeyAnswerRefused, InsecureURL, fetch_data_key, signed_answer
from hubnet_common.sdk.keys import generate, read_key
from hubnet_common.sdk.sealing import new_data_key, seal_data_key
from hubnet_common.sdk.signing import Signer
from hubnet_common.sdk.trust import trusted_service_keys
from hubnet_common.service.runtime import service_signer
from hubnet_common.service.settings import Settings

RESIDENT, OTHER_RESIDENT = "ab" * 32, "cd" * 32


@contextmanager
def man_in_the_middle(answer: dict) -> Iterator[str]:
    """A local HTTP server that answers every request with `answer`; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def brg_fetches(url: str) -> bytes:
    keys = Settings().keys_dir
    return fetch_data_key(
        url,
        RESIDENT,
        "brg",
        read_key(keys / "partner-brg.x25519.key"),
        service_keys=trusted_service_keys(keys),
        tokens=partner_tokens("brg"),
    )


def attackers_copy() -> str:
    return seal_data_key(new_data_key(), read_key(Settings().keys_dir / "partner-brg.x25519.pub"))


def referrals_signed(participant_ref: str, partner_id: str, at: datetime) -> dict:
    """An answer the referrals service really signed (with its key of the local stack)."""
    return signed_answer(service_signer("referrals", Settings()), participant_ref, partner_id, attackers_copy(), at)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"participant_ref": RESIDENT, "partner": "brg", "sealed_key": attackers_copy()}, id="unsigned"),
        pytest.param(
            signed_answer(Signer(generate("ed25519").private), RESIDENT, "brg", attackers_copy(), datetime.now(UTC)),
            id="signed-by-another-key",
        ),
        pytest.param(
            signed_answer(service_signer("events", Settings()), RESIDENT, "brg", attackers_copy(), datetime.now(UTC)),
            id="signed-by-another-service",
        ),
        pytest.param(referrals_signed(OTHER_RESIDENT, "brg", datetime.now(UTC)), id="about-another-resident"),
        pytest.param(referrals_signed(RESIDENT, "bostadsbolaget", datetime.now(UTC)), id="for-another-partner"),
        pytest.param(referrals_signed(RESIDENT, "brg", datetime.now(UTC) - timedelta(hours=1)), id="an-old-answer"),
    ],
)
def test_a_data_key_answer_not_signed_by_the_referrals_service_for_this_request_is_refused(answer):
    with man_in_the_middle(answer) as url, pytest.raises(DataKeyAnswerRefused):
        brg_fetches(url)


def test_the_answer_from_the_real_service_is_taken():
    """The check is not one that refuses everything: the answer as the service signs it, now."""
    data_key = new_data_key()
    sealed = seal_data_key(data_key, read_key(Settings().keys_dir / "partner-brg.x25519.pub"))
    answer = signed_answer(service_signer("referrals", Settings()), RESIDENT, "brg", sealed, datetime.now(UTC))
    with man_in_the_middle(answer) as url:
        assert brg_fetches(url) == data_key


def test_plain_http_to_another_machine_is_refused_before_asking():
    with pytest.raises(InsecureURL):
        brg_fetches("http://referrals.hubnet.example:8181")
