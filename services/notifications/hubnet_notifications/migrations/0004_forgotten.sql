-- Referrals of erased residents: a fact about one that arrives after participant.erased (facts
-- about a referral and the erasure travel on different partitions) notifies nobody.
CREATE TABLE forgotten (
    about_id text PRIMARY KEY
);
