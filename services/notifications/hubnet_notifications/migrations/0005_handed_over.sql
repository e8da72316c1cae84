-- When a mail's last byte went to its server (docs/adr/0001-delivery-outcomes.md). A pending
-- notification handed over longer than its lease ago had a worker that died before the answer:
-- it counts as delivered and is not sent again. Reset when the server refused it.
ALTER TABLE notifications ADD COLUMN handed_at timestamptz;
