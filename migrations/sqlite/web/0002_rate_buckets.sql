-- Rate limits' token buckets (hub/limits), kept in the database so that
-- every replica of a hub counts one client's attempts together. A bucket
-- holds tokens as of at (Unix ms); a missing bucket is full. took says
-- whether the last Take spent a token.
CREATE TABLE rate_buckets (
    name   TEXT    PRIMARY KEY,
    tokens REAL    NOT NULL,
    at     INTEGER NOT NULL,
    took   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX rate_buckets_by_age ON rate_buckets (at);
