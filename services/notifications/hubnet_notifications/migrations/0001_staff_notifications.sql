CREATE TABLE staff (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    email      text NOT NULL,
    partner_id text NOT NULL,
    hubs       text[] NOT NULL DEFAULT '{}',
    roles      text[] NOT NULL DEFAULT '{}',
    language   text NOT NULL DEFAULT 'sv' CHECK (language IN ('sv', 'en'))
);
CREATE INDEX staff_partner ON staff (partner_id);

-- One row per (source message, staff member, channel): the constraint is what makes a
-- redelivered or replayed message notify nobody twice. The inbox channel is the staff
-- member's inbox; e-mail rows are sent by the delivery worker.
CREATE TABLE notifications (
    id              uuid PRIMARY KEY,
    source_id       text NOT NULL,   -- ce_id of the fact that caused it
    source_type     text NOT NULL,
    staff_id        text NOT NULL REFERENCES staff (id),
    channel         text NOT NULL CHECK (channel IN ('email', 'webhook', 'inbox')),
    subject         text NOT NULL,
    body            text NOT NULL,
    link            text NOT NULL,
    status          text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    read_at         timestamptz,
    UNIQUE (source_id, staff_id, channel)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_staff ON notifications (staff_id, created_at);
