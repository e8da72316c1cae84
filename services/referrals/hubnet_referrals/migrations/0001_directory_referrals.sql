-- The directory this service owns and publishes on directory.v1.
CREATE TABLE partners (
    id     text PRIMARY KEY,
    name   text NOT NULL,
    active boolean NOT NULL DEFAULT true
);
CREATE TABLE hubs (
    id     text PRIMARY KEY,
    name   text NOT NULL,
    active boolean NOT NULL DEFAULT true
);
CREATE TABLE services (
    id         text PRIMARY KEY,
    partner_id text NOT NULL REFERENCES partners (id),
    name       text NOT NULL,
    active     boolean NOT NULL DEFAULT true
);
-- HSDS service_at_location: which service is offered at which hub.
CREATE TABLE service_at_location (
    service_id text NOT NULL REFERENCES services (id),
    hub_id     text NOT NULL REFERENCES hubs (id),
    PRIMARY KEY (service_id, hub_id)
);

CREATE TABLE referrals (
    id                  text PRIMARY KEY,
    sender_partner_id   text NOT NULL REFERENCES partners (id),
    receiver_partner_id text NOT NULL REFERENCES partners (id),
    service_id          text NOT NULL REFERENCES services (id),
    hub_id              text NOT NULL REFERENCES hubs (id),
    participant_ref     text NOT NULL,
    purpose             text NOT NULL,
    need                text NOT NULL DEFAULT '',
    consent_id          text,
    sealed_contact      text,          -- ciphertext for the receiver; never plaintext
    status              text NOT NULL,
    version             integer NOT NULL,
    requested_at        timestamptz NOT NULL
);
CREATE INDEX referrals_receiver_status ON referrals (receiver_partner_id, status);
CREATE INDEX referrals_sender_status ON referrals (sender_partner_id, status);

-- Every transition: who, when, why. Append-only.
CREATE TABLE referral_history (
    referral_id      text NOT NULL REFERENCES referrals (id),
    version          integer NOT NULL,
    status           text NOT NULL,
    actor_partner_id text NOT NULL,
    at               timestamptz NOT NULL,
    reason           text NOT NULL DEFAULT '',
    PRIMARY KEY (referral_id, version)
);
