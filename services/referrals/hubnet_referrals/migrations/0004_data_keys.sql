-- Each resident's data key (envelope encryption, docs/adr/0006-crypto-shredding.md), kept only as copies sealed to the
-- X25519 key of each holder: the partners that may read about the resident, and this service
-- ('referrals') so that later consents can add partners. Never the key itself. Deleting a
-- resident's rows destroys the key: everything sealed under it, wherever it is, is unreadable.
CREATE TABLE data_key_copies (
    participant_ref text NOT NULL,
    holder          text NOT NULL,   -- a partner id, or 'referrals'
    sealed_to       text NOT NULL,   -- the holder's public key when the copy was made
    sealed_key      text NOT NULL,   -- base64 of a sealed box of the data key to that key
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (participant_ref, holder)
);
