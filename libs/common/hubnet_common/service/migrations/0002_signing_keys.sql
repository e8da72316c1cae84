-- The partners' message-signing keys as the directory publishes them (docs/adr/0005-signed-form.md), so that every
-- service can verify a command's signature without asking another service.
CREATE TABLE signing_keys (
    key_id      text PRIMARY KEY,          -- ed25519:<key id> (sdk/signing.py `key_id`; migration 0003)
    owner       text NOT NULL,             -- the ce_source the key speaks for
    public_key  text NOT NULL,             -- base64 of the raw 32-byte Ed25519 key
    valid_from  timestamptz,               -- NULL: since enrolment
    valid_until timestamptz                -- NULL: until rotated out
);
CREATE INDEX signing_keys_owner ON signing_keys (owner);
