-- Rate limits' token buckets (hub/limits), shared by every replica (see
-- sqlite/web 0002).
CREATE TABLE rate_buckets (
    name   TEXT             PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    at     BIGINT           NOT NULL,
    took   INTEGER          NOT NULL DEFAULT 0
);
CREATE INDEX rate_buckets_by_age ON rate_buckets (at);
