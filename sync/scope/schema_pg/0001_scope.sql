-- The scope index on PostgreSQL (schema/0001 on SQLite).
CREATE TABLE sync_scope_streams (
    stream_id     TEXT PRIMARY KEY,
    conference_id TEXT NOT NULL
);
