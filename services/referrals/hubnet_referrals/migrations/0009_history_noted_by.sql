-- A step's history keeps the acting partner's staff member, when its system names them
-- (the lifecycle commands' `noted_by`): a staff name is the partner's business, not the resident's, so
-- erasing a resident leaves it.
ALTER TABLE referral_history ADD COLUMN noted_by text;
