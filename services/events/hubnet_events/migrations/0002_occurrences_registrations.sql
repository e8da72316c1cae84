ALTER TABLE hub_events
    ADD COLUMN rrule         text,   -- RFC 5545, expanded into occurrences when scheduled
    ADD COLUMN cancel_reason text;

-- Every time a hub event takes place; a one-off event has one.
CREATE TABLE occurrences (
    hub_event_id text NOT NULL REFERENCES hub_events (id),
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    capacity     integer NOT NULL CHECK (capacity > 0),
    status       text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    walk_ins     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (hub_event_id, starts_at)
);

-- Who is coming: a place, or the waitlist in arrival order (`seq`), and whether they came.
CREATE TABLE registrations (
    id                   text PRIMARY KEY,
    hub_event_id         text NOT NULL,
    occurrence_starts_at timestamptz NOT NULL,
    participant_ref      text NOT NULL,
    status               text NOT NULL CHECK (status IN ('registered', 'waitlisted', 'cancelled')),
    at                   timestamptz NOT NULL,
    referral_id          text,
    attendance           text CHECK (attendance IN ('attended', 'no-show')),
    seq                  bigserial NOT NULL,
    FOREIGN KEY (hub_event_id, occurrence_starts_at) REFERENCES occurrences (hub_event_id, starts_at)
);
CREATE UNIQUE INDEX registrations_once ON registrations (hub_event_id, occurrence_starts_at, participant_ref)
    WHERE status IN ('registered', 'waitlisted');
CREATE INDEX registrations_in_order ON registrations (hub_event_id, occurrence_starts_at, seq);
