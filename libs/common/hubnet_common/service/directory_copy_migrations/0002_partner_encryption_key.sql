-- A partner's X25519 public key from its directory entry (PartnerUpserted.encryption_public_key):
-- the notifications service seals a webhook's secret to it (docs/adr/0007-webhook-secrets.md).
ALTER TABLE known_partners ADD COLUMN encryption_public_key text;
