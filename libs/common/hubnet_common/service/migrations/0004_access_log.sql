-- Who read what over HTTP (service/api.py `AccessLog`): one row per answer of an audited route,
-- allowed or refused. Rows are never updated or deleted.
CREATE TABLE access_log (
    seq       bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    caller    text,           -- the staff id or client id of the token; NULL without a valid token
    partner   text,           -- the partner the token acts for, if any
    method    text NOT NULL,
    route     text NOT NULL,  -- the route, e.g. /referral
    object_id text,           -- what was asked for: a referral id, a participant_ref, an inbox's owner
    status    integer NOT NULL
);
CREATE INDEX access_log_object ON access_log (object_id, seq);

CREATE FUNCTION access_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only';
END $$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_is_append_only();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();
