-- Each partner's standing in the directory as this service last learnt it (PartnerUpserted.status
-- on directory.v1, or the referrals service's own directory): a suspended or removed partner's
-- commands are refused, and only an active or suspended one has a replies topic to answer on
-- (docs/adr/0015-onboarding-as-data.md). A partner not in the table is not known yet.
CREATE TABLE partner_standing (
    partner_id text PRIMARY KEY,
    status     text NOT NULL CHECK (status IN ('active', 'suspended', 'removed'))
);
