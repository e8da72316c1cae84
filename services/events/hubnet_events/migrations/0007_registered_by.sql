-- Who registered the resident: that partner may cancel the place, as may the organisers
-- (handlers/registrations.py). Rows from before have none: only the organisers cancel those.
ALTER TABLE registrations ADD COLUMN registered_by text;
