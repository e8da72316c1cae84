-- What each notification is about (the fact's subject: a referral or hub event id), so that what
-- concerns an erased resident's referrals can be dropped (participant.erased).
ALTER TABLE notifications ADD COLUMN about_id text;
UPDATE notifications SET about_id = substring(link FROM '/([^/]+)$');
CREATE INDEX notifications_about ON notifications (about_id);
