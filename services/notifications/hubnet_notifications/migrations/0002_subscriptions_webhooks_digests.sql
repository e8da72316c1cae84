-- Staff choose to be told at once or in a daily digest; partners can remove staff.
ALTER TABLE staff
    ADD COLUMN delivery text NOT NULL DEFAULT 'immediate' CHECK (delivery IN ('immediate', 'digest')),
    ADD COLUMN active   boolean NOT NULL DEFAULT true;

-- Beyond the default rules: a staff member asks to be told about kinds of facts, optionally only
-- for one partner, service or hub. Kinds are fact names such as `referral.requested` or `referral.*`.
CREATE TABLE subscriptions (
    id         text PRIMARY KEY,
    staff_id   text NOT NULL REFERENCES staff (id),
    kinds      text[] NOT NULL,
    partner_id text,
    service_id text,
    hub_id     text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_staff ON subscriptions (staff_id);

-- A partner system or chat tool that receives signed webhooks about facts concerning its partner.
CREATE TABLE webhook_endpoints (
    id         text PRIMARY KEY,
    partner_id text NOT NULL,
    url        text NOT NULL,
    secret     text NOT NULL,
    kinds      text[] NOT NULL,
    active     boolean NOT NULL DEFAULT true
);

-- A notification is for a staff member (email, inbox) or a webhook endpoint (webhook).
ALTER TABLE notifications DROP CONSTRAINT notifications_staff_id_fkey;
ALTER TABLE notifications RENAME COLUMN staff_id TO recipient_id;
ALTER TABLE notifications
    ADD COLUMN mode        text NOT NULL DEFAULT 'immediate' CHECK (mode IN ('immediate', 'digest')),
    ADD COLUMN document    jsonb,           -- the webhook's JSON document
    ADD COLUMN traceparent text,            -- the trace of the fact that caused it
    ADD COLUMN digest_day  date;            -- the digest it went out in
ALTER TABLE notifications RENAME CONSTRAINT notifications_source_id_staff_id_channel_key
    TO notifications_once_per_source_recipient_channel;
DROP INDEX notifications_staff;
CREATE INDEX notifications_recipient ON notifications (recipient_id, created_at);
DROP INDEX notifications_due;
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending' AND mode = 'immediate';
CREATE INDEX notifications_digest ON notifications (recipient_id) WHERE status = 'pending' AND mode = 'digest';

-- One digest per staff member and local day, whatever restarts happen.
CREATE TABLE digests_sent (
    staff_id text NOT NULL,
    day      date NOT NULL,
    items    integer NOT NULL,
    sent_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (staff_id, day)
);
