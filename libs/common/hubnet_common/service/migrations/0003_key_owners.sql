-- A signing key belongs to its first owner for ever (service/trust.py `keep_signing_keys`):
-- rows here are never updated or deleted, so a key rotated out cannot be claimed by another.
CREATE TABLE key_owners (
    key_id     text PRIMARY KEY,
    owner      text NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now()
);

-- Key ids become the full RFC 7638 thumbprint (sdk/signing.py `key_id`): base64url of the SHA-256
-- of the key's JWK {"crv":"Ed25519","kty":"OKP","x":<base64url key>}, no padding.
UPDATE signing_keys SET key_id = 'ed25519:' || rtrim(translate(encode(sha256(convert_to(
    '{"crv":"Ed25519","kty":"OKP","x":"' || rtrim(translate(public_key, '+/', '-_'), '=') || '"}', 'UTF8')),
    'base64'), '+/', '-_'), '=');
INSERT INTO key_owners (key_id, owner) SELECT key_id, owner FROM signing_keys ON CONFLICT DO NOTHING;
