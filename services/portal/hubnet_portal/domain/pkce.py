"""Proof Key for Code Exchange (RFC 7636, S256): the code the login page hands back is worth
nothing without the verifier this portal kept."""

import base64
import hashlib
import secrets


def new_verifier() -> str:
    return secrets.token_urlsafe(48)


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
