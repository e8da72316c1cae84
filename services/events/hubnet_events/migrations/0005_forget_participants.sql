-- An erased resident's registrations keep their counts (figures, attendance) but lose the reference.
ALTER TABLE registrations ALTER COLUMN participant_ref DROP NOT NULL;
