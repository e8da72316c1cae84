-- When the reminder before an occurrence went out (once, whatever the restarts).
ALTER TABLE occurrences ADD COLUMN reminded_at timestamptz;
CREATE INDEX occurrences_to_remind ON occurrences (starts_at) WHERE reminded_at IS NULL AND status = 'scheduled';
