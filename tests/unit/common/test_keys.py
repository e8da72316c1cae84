"""Key files: `hubnet keys generate` and what reads them."""

import base64
import stat

import pytest
from nacl.signing import SigningKey

from hubnet_common.ops.access import network_key_names
from hubnet_common.sdk.identity import owner_source
from hubnet_common.sdk.keys import KINDS, KeyInvalid, ensure_key_pairs, read_key, write_key_pair
from hubnet_common.sdk.sealing import public_key_for


@pytest.mark.parametrize("kind", KINDS)
def test_key_files_are_written_with_the_right_modes_and_read_back(tmp_path, kind):
    public_path, private_path = write_key_pair(tmp_path, "partner-brg", kind)
    assert (public_path, private_path) == (tmp_path / f"partner-brg.{kind}.pub", tmp_path / f"partner-brg.{kind}.key")
    assert stat.S_IMODE(public_path.stat().st_mode) == 0o644
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    public, private = read_key(public_path), read_key(private_path)
    assert len(base64.b64decode(public)) == len(base64.b64decode(private)) == 32
    derived = (
        public_key_for(private)
        if kind == "x25519"
        else base64.b64encode(bytes(SigningKey(base64.b64decode(private)).verify_key)).decode()
    )
    assert derived == public


def test_an_existing_private_key_is_never_overwritten(tmp_path):
    _, private_path = write_key_pair(tmp_path, "partner-brg", "ed25519")
    before = private_path.read_bytes()
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        write_key_pair(tmp_path, "partner-brg", "ed25519")
    assert private_path.read_bytes() == before


def test_a_truncated_or_missing_key_file_is_refused_naming_the_file(tmp_path):
    _public_path, private_path = write_key_pair(tmp_path, "partner-brg", "x25519")
    private_path.write_text(private_path.read_text().strip()[:20] + "\n")
    with pytest.raises(KeyInvalid, match="partner-brg.x25519.key"):
        read_key(private_path)
    with pytest.raises(KeyInvalid, match="nothing-here.key"):
        read_key(tmp_path / "nothing-here.key")


def test_the_network_pairs_are_made_once(tmp_path):
    made = ensure_key_pairs(tmp_path, network_key_names())
    assert len(made) == 2 * len(network_key_names()) and ensure_key_pairs(tmp_path, network_key_names()) == []
    assert owner_source("service-referrals") == "urn:hubnet:service:referrals"
    assert owner_source("partner-brg") == "urn:hubnet:partner:brg"
    with pytest.raises(KeyInvalid):
        owner_source("brg")
