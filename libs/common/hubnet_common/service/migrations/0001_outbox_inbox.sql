-- Transactional outbox (docs/adr/0004-single-outbox-relay.md): written in the same transaction as the state change it
-- announces, published afterwards by the relay in `seq` order.
CREATE TABLE outbox (
    id           uuid PRIMARY KEY,            -- the message's ce_id
    seq          bigserial UNIQUE NOT NULL,
    topic        text NOT NULL,
    key          text NOT NULL,               -- the aggregate id
    headers      jsonb NOT NULL,              -- [[name, value], ...]
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

-- Idempotent consumer: one row per (consumer group, ce_id), inserted with the effect.
CREATE TABLE inbox (
    consumer_group text NOT NULL,
    ce_id          text NOT NULL,
    ce_type        text NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, ce_id)
);
