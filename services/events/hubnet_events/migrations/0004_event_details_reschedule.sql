ALTER TABLE hub_events
    ADD COLUMN co_organiser_ids text[] NOT NULL DEFAULT '{}',
    ADD COLUMN title_en         text,
    ADD COLUMN description_en   text NOT NULL DEFAULT '',
    ADD COLUMN languages        text[] NOT NULL DEFAULT '{sv}',
    ADD COLUMN audience         text;

-- Registrations follow their occurrence when it is moved to another time.
ALTER TABLE registrations DROP CONSTRAINT registrations_hub_event_id_occurrence_starts_at_fkey;
ALTER TABLE registrations ADD FOREIGN KEY (hub_event_id, occurrence_starts_at)
    REFERENCES occurrences (hub_event_id, starts_at) ON UPDATE CASCADE;
