-- When the resident's data key was made, the same on every copy of it (docs/adr/0011-custodian-rotation-and-restores.md):
-- an erasure is recorded on `referral.erasures.v1` as "every key of this resident made at or before
-- T is destroyed", so that the copies a restored backup brings back are destroyed again at start-up,
-- while a key made for the resident after the erasure (a new consent) is kept.
ALTER TABLE data_key_copies ADD COLUMN key_made_at timestamptz;
UPDATE data_key_copies c SET key_made_at = first.made
  FROM (SELECT participant_ref, min(created_at) AS made FROM data_key_copies GROUP BY participant_ref) first
 WHERE c.participant_ref = first.participant_ref;
ALTER TABLE data_key_copies ALTER COLUMN key_made_at SET NOT NULL;
CREATE INDEX data_key_copies_custodian_sealed_to ON data_key_copies (sealed_to) WHERE holder = 'referrals';
