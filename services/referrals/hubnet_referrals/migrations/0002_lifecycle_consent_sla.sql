-- The directory grows what a referrer needs to know: keys, capacity, SLA, eligibility, contact.
ALTER TABLE partners ADD COLUMN encryption_public_key text;
ALTER TABLE services
    ADD COLUMN available_places    integer CHECK (available_places >= 0),
    ADD COLUMN capacity_updated_at timestamptz,
    ADD COLUMN ack_within_days     integer NOT NULL DEFAULT 2,
    ADD COLUMN answer_within_days  integer NOT NULL DEFAULT 5,
    ADD COLUMN eligibility         text NOT NULL DEFAULT '',
    ADD COLUMN languages           text[] NOT NULL DEFAULT '{sv}',
    ADD COLUMN contact_email       text NOT NULL DEFAULT '',
    ADD COLUMN contact_phone       text NOT NULL DEFAULT '';

-- Every transition keeps who did what, when and why (and, on completion, the outcome).
ALTER TABLE referral_history
    ADD COLUMN action                    text NOT NULL DEFAULT 'request',
    ADD COLUMN reason_code               text,
    ADD COLUMN note                      text NOT NULL DEFAULT '',
    ADD COLUMN main_activity             text,
    ADD COLUMN public_support_continues  boolean,
    ADD COLUMN outcome_note              text NOT NULL DEFAULT '';
ALTER TABLE referral_history ALTER COLUMN action DROP DEFAULT;
CREATE INDEX referral_history_completed ON referral_history (referral_id) WHERE action = 'complete';

-- Consent (samtycke): a first-class record, never deleted; withdrawal is a timestamp.
CREATE TABLE consents (
    id                     text PRIMARY KEY,
    participant_ref        text NOT NULL,
    partner_ids            text[] NOT NULL,
    purposes               text[] NOT NULL,
    method                 text NOT NULL,
    noted_by               text NOT NULL,
    recorded_by_partner_id text NOT NULL,
    given_at               timestamptz NOT NULL,
    valid_until            timestamptz NOT NULL,
    withdrawn_at           timestamptz,
    withdrawn_noted_by     text
);
CREATE INDEX consents_participant ON consents (participant_ref);
CREATE INDEX referrals_consent ON referrals (consent_id);

-- SLA clocks: one per referral and kind while it waits; `breaches` counts overdue facts sent.
CREATE TABLE referral_sla (
    referral_id text NOT NULL REFERENCES referrals (id),
    kind        text NOT NULL CHECK (kind IN ('acknowledge', 'answer')),
    period_days integer NOT NULL,
    due_at      timestamptz NOT NULL,   -- when the next breach happens
    breaches    integer NOT NULL DEFAULT 0,
    stopped_at  timestamptz,
    PRIMARY KEY (referral_id, kind)
);
CREATE INDEX referral_sla_due ON referral_sla (due_at) WHERE stopped_at IS NULL;
