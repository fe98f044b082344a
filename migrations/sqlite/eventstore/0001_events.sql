-- The event log. position is the rowid: monotonic because rows are never
-- deleted. Ids are 16-byte blobs to keep the unique indexes small.
CREATE TABLE events (
    position       INTEGER PRIMARY KEY,
    event_id       BLOB    NOT NULL,
    stream_id      TEXT    NOT NULL,
    stream_type    TEXT    NOT NULL,
    stream_version INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    schema         INTEGER NOT NULL,
    data           BLOB    NOT NULL,
    origin         TEXT    NOT NULL,
    origin_seq     INTEGER NOT NULL,
    seen           INTEGER NOT NULL,
    hlc            INTEGER NOT NULL,
    correlation_id BLOB,
    causation_id   BLOB,
    recorded_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_event_id ON events (event_id);
CREATE UNIQUE INDEX events_stream ON events (stream_id, stream_version);

-- Last origin_seq stored per origin. The writer keeps each origin gap-free
-- and updates this row once per group, which is much cheaper than a unique
-- index entry per event.
CREATE TABLE origins (
    origin   TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE snapshots (
    stream_id TEXT PRIMARY KEY,
    version   INTEGER NOT NULL,
    schema    INTEGER NOT NULL,
    data      BLOB    NOT NULL,
    saved_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- Outbox and message log in one: rows stay after dispatch.
CREATE TABLE messages (
    seq            INTEGER PRIMARY KEY,
    message_id     BLOB    NOT NULL UNIQUE,
    kind           TEXT    NOT NULL,
    type           TEXT    NOT NULL,
    data           BLOB    NOT NULL,
    correlation_id BLOB,
    causation_id   BLOB,
    not_before     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    dispatched_at  INTEGER,
    dead           INTEGER NOT NULL DEFAULT 0,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT
);
CREATE INDEX messages_pending ON messages (not_before, seq) WHERE dispatched_at IS NULL AND dead = 0;

CREATE TABLE dead_letters (
    message_id BLOB PRIMARY KEY,
    attempts   INTEGER NOT NULL,
    error      TEXT    NOT NULL,
    at         INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE processed_messages (
    handler      TEXT    NOT NULL,
    message_id   BLOB    NOT NULL,
    processed_at INTEGER NOT NULL,
    PRIMARY KEY (handler, message_id)
) WITHOUT ROWID;

-- Projection checkpoints, written in the same transaction as the rows
-- of the projection they describe.
CREATE TABLE checkpoints (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
) WITHOUT ROWID;
