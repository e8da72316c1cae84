-- How a partner describes its service, as HSDS 3.0's `service` does (domain/hsds.py): what it is,
-- how to apply, interpretation, fees, ages, documents to bring, and when it is open. The opening
-- times are RFC 5545 recurrences (domain/directory.py's Schedule), kept whole as JSON.
ALTER TABLE services
    ADD COLUMN description             text    NOT NULL DEFAULT '',
    ADD COLUMN alternate_name          text    NOT NULL DEFAULT '',
    ADD COLUMN url                     text    NOT NULL DEFAULT '',
    ADD COLUMN application_process     text    NOT NULL DEFAULT '',
    ADD COLUMN interpretation_services text    NOT NULL DEFAULT '',
    ADD COLUMN fees_description        text    NOT NULL DEFAULT '',
    ADD COLUMN minimum_age             integer CHECK (minimum_age >= 0),
    ADD COLUMN maximum_age             integer CHECK (maximum_age >= 0),
    ADD COLUMN required_documents      text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN schedules               jsonb   NOT NULL DEFAULT '[]';
