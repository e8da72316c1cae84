-- Referrals of erased residents: a referral.requested arriving after participant.erased (the two
-- travel on different partitions) registers nobody.
CREATE TABLE forgotten_referrals (
    referral_id text PRIMARY KEY
);
