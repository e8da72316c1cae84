-- Who asked what of which referral (or consent, or directory entry), when, and what was answered
-- (docs/security.md). Append-only: no personal data, never changed, never deleted.
CREATE TABLE audit_log (
    seq          bigserial PRIMARY KEY,
    aggregate_id text NOT NULL,          -- the referral (or consent, service, partner) concerned
    actor        text NOT NULL,          -- the partner id of the command's sender, or its ce_source
    command_type text NOT NULL,
    command_id   text NOT NULL,          -- its ce_id
    sent_at      timestamptz NOT NULL,   -- ce_time, as the sender put it
    answered_at  timestamptz NOT NULL DEFAULT now(),
    outcome      text NOT NULL CHECK (outcome IN ('accepted', 'refused')),
    code         text                    -- the refusal code
);
CREATE INDEX audit_log_aggregate ON audit_log (aggregate_id, seq);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
