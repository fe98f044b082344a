-- The fake payment processor (hub/payments): one row per payment attempt of
-- an order. Ids are 16-byte UUIDs, times Unix milliseconds, amounts integer
-- minor units. Status changes publish messages through the event store's
-- outbox in the same transaction.

CREATE TABLE payments (
    id             BLOB    PRIMARY KEY CHECK (length(id) = 16),
    order_id       BLOB    NOT NULL CHECK (length(order_id) = 16),
    conference_id  BLOB    NOT NULL CHECK (length(conference_id) = 16),
    attempt        INTEGER NOT NULL CHECK (attempt >= 1),
    amount         INTEGER NOT NULL CHECK (amount >= 0),
    currency       TEXT    NOT NULL CHECK (length(currency) = 3),
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'refunded')),
    refund_reason  TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (order_id, attempt)
) STRICT;

-- At most one attempt of an order is open at a time.
CREATE UNIQUE INDEX payments_one_pending_per_order ON payments (order_id) WHERE status = 'pending';
CREATE INDEX payments_by_conference ON payments (conference_id, created_at);
