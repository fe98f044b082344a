-- The fake payment processor on PostgreSQL (sqlite/payments 0001).
CREATE TABLE payments (
    id             BYTEA   PRIMARY KEY CHECK (octet_length(id) = 16),
    order_id       BYTEA   NOT NULL CHECK (octet_length(order_id) = 16),
    conference_id  BYTEA   NOT NULL CHECK (octet_length(conference_id) = 16),
    attempt        INTEGER NOT NULL CHECK (attempt >= 1),
    amount         BIGINT  NOT NULL CHECK (amount >= 0),
    currency       TEXT    NOT NULL CHECK (length(currency) = 3),
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'refunded')),
    refund_reason  TEXT    NOT NULL DEFAULT '',
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    UNIQUE (order_id, attempt)
);
CREATE UNIQUE INDEX payments_one_pending_per_order ON payments (order_id) WHERE status = 'pending';
CREATE INDEX payments_by_conference ON payments (conference_id, created_at);
