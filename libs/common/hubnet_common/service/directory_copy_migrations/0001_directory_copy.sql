-- A consuming service's own copy of the directory, kept from directory.v1 (the referrals
-- service owns the directory; no service reads another's database).
CREATE TABLE known_partners (
    id     text PRIMARY KEY,
    name   text NOT NULL,
    active boolean NOT NULL
);
CREATE TABLE known_hubs (
    id     text PRIMARY KEY,
    name   text NOT NULL,
    active boolean NOT NULL
);
CREATE TABLE known_services (
    id         text PRIMARY KEY,
    partner_id text NOT NULL,
    name       text NOT NULL,
    hub_ids    text[] NOT NULL,
    active     boolean NOT NULL
);
