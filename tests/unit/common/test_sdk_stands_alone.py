"""The partner SDK stands alone: in a fresh interpreter where the service runtime's and the
operators' dependencies cannot be imported, `hubnet_common.sdk` imports and a partner signs and
verifies a command and seals and opens contact details."""

import subprocess
import sys
import textwrap

BLOCKED = ("faststream", "asyncpg", "uvicorn", "kafka", "structlog", "pydantic_settings")

PARTNER = textwrap.dedent(f"""
    import asyncio, importlib.abc, sys

    BLOCKED = {BLOCKED!r}

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{{name}} is not installed (blocked: the SDK must not need it)")
            return None

    sys.meta_path.insert(0, Blocker())
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED:
            del sys.modules[name]

    from hubnet_common import sdk
    from hubnet_common.sdk.partner import PartnerClient  # the partner client too, with its aiokafka

    signing = sdk.generate("ed25519")
    signer = sdk.Signer(signing.private)
    envelope = sdk.Envelope.new(type="se.hubnet.referral.test.v1", source=sdk.partner_source("brg"), subject="r-1")
    body, key = b'{{"referral_id": "r-1"}}', b"r-1"
    headers = signer.sign("referral.commands.v1", key, envelope.to_headers(), body)
    verifier = sdk.Verifier(sdk.StaticKeyRing([sdk.PublicSigningKey(sdk.partner_source("brg"), signing.public)]),
                            unknown_key_grace=0)
    public = asyncio.run(verifier.verify(key, headers, body, sdk.Envelope.from_headers(headers),
                                         received_at=None, command=True, topic="referral.commands.v1"))
    assert public.owner == sdk.partner_source("brg")
    try:
        asyncio.run(verifier.verify(key, headers, body + b" ", sdk.Envelope.from_headers(headers),
                                    received_at=None, command=True, topic="referral.commands.v1"))
    except sdk.SignatureRefused:
        pass
    else:
        raise AssertionError("a changed body was verified")

    receiver = sdk.generate_encryption_keys()
    data_key = sdk.new_data_key()
    sealed_key = sdk.seal_data_key(data_key, receiver.public)
    opened_key = sdk.open_data_key(sealed_key, receiver.private)
    contact = sdk.ContactDetails(name="Anna", phone="0701234567")
    sealed = sdk.seal_with_data_key(contact, opened_key)
    assert sealed.startswith("sealed:") and "Anna" not in sealed
    assert sdk.open_contact(sealed, opened_key) == contact

    leaked = sorted(n for n in sys.modules if n.split(".")[0] in BLOCKED)
    assert not leaked, leaked
    print("sdk stands alone")
""")


def test_the_sdk_imports_and_round_trips_without_the_service_and_ops_dependencies():
    done = subprocess.run([sys.executable, "-I", "-c", PARTNER], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "sdk stands alone"


def test_the_blocker_blocks():
    code = PARTNER.split("from hubnet_common import sdk")[0] + "import faststream\n"
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "blocked" in done.stderr
