-- The mails in flight, found without reading the whole table: the delivery worker looks for
-- unanswered handovers on every pass (adapters/repository.py `handed_over_unanswered`). Without
-- it that was a sequential scan of every notification ever sent (24 ms at 22,000 rows).
CREATE INDEX notifications_handed ON notifications (next_attempt_at) WHERE status = 'pending' AND handed_at IS NOT NULL;
