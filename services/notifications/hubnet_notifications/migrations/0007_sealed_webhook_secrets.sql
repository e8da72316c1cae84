-- A webhook's secret is made by the service and kept sealed to the service's own X25519 key
-- (docs/adr/0007-webhook-secrets.md). Secrets stored in clear before are sealed at start-up
-- (adapters/repository.py seal_stored_secrets), as SQL has no key to do it here.
ALTER TABLE webhook_endpoints RENAME COLUMN secret TO sealed_secret;
