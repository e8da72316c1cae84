CREATE TABLE hub_events (
    id                   text PRIMARY KEY,
    hub_id               text NOT NULL,
    organiser_partner_id text NOT NULL,
    kind                 text NOT NULL,
    title                text NOT NULL,
    description          text NOT NULL DEFAULT '',
    starts_at            timestamptz NOT NULL,  -- UTC; shown in Europe/Stockholm
    ends_at              timestamptz NOT NULL,
    capacity             integer NOT NULL CHECK (capacity > 0),
    status               text NOT NULL,
    version              integer NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX hub_events_hub_start ON hub_events (hub_id, starts_at);
