-- The event log on PostgreSQL (shared/eventstore/pgstore). Ids are 16-byte
-- BYTEA, as BLOBs on SQLite, so that SQL over these tables takes the same
-- arguments on both databases. Several hub
-- replicas append to it at once, so global order cannot come from a
-- sequence (values are drawn before commit and become visible out of
-- order: a reader following position > last would skip events). Every
-- transaction that appends takes the 'events' row of counters FOR UPDATE
-- and numbers its events from it: positions are dense, gap-free and
-- visible in commit order. The hub's own origin_seq comes from its row in
-- origins, updated under the same lock, so it is gap-free across replicas.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('events', 0), ('messages', 0);

CREATE TABLE events (
    position       BIGINT  PRIMARY KEY,
    event_id       BYTEA   NOT NULL,
    stream_id      TEXT    NOT NULL,
    stream_type    TEXT    NOT NULL,
    stream_version BIGINT  NOT NULL,
    type           TEXT    NOT NULL,
    schema         INTEGER NOT NULL,
    data           BYTEA   NOT NULL,
    origin         TEXT    NOT NULL,
    origin_seq     BIGINT  NOT NULL,
    seen           BIGINT  NOT NULL,
    hlc            BIGINT  NOT NULL,
    correlation_id BYTEA,
    causation_id   BYTEA,
    recorded_at    BIGINT  NOT NULL
);
-- Both checked under the counters lock before inserting; the unique
-- indexes are the safety net.
CREATE UNIQUE INDEX events_event_id ON events (event_id);
CREATE UNIQUE INDEX events_stream ON events (stream_id, stream_version);

CREATE TABLE origins (
    origin   TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL
);

CREATE TABLE snapshots (
    stream_id TEXT    PRIMARY KEY,
    version   BIGINT  NOT NULL,
    schema    INTEGER NOT NULL,
    data      BYTEA   NOT NULL,
    saved_at  BIGINT  NOT NULL
);

-- Outbox and message log in one: rows stay after dispatch. seq is drawn
-- from the 'messages' counter under its row lock, for the same reason as
-- positions: followers of the message log never skip one.
CREATE TABLE messages (
    seq            BIGINT  PRIMARY KEY,
    message_id     BYTEA   NOT NULL UNIQUE,
    kind           TEXT    NOT NULL,
    type           TEXT    NOT NULL,
    data           BYTEA   NOT NULL,
    correlation_id BYTEA,
    causation_id   BYTEA,
    not_before     BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL,
    dispatched_at  BIGINT,
    dead           INTEGER NOT NULL DEFAULT 0,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT
);
CREATE INDEX messages_pending ON messages (not_before, seq) WHERE dispatched_at IS NULL AND dead = 0;

CREATE TABLE dead_letters (
    message_id BYTEA   PRIMARY KEY,
    attempts   INTEGER NOT NULL,
    error      TEXT    NOT NULL,
    at         BIGINT  NOT NULL
);

CREATE TABLE processed_messages (
    handler      TEXT   NOT NULL,
    message_id   BYTEA  NOT NULL,
    processed_at BIGINT NOT NULL,
    PRIMARY KEY (handler, message_id)
);

CREATE TABLE checkpoints (
    name     TEXT   PRIMARY KEY,
    position BIGINT NOT NULL
);
