-- The merge state on PostgreSQL (schema/0001 on SQLite).
CREATE TABLE sync_merge_kiosks (
    kiosk_id   TEXT   PRIMARY KEY,
    acked_seq  BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sync_merge_checkins (
    conference_id TEXT   NOT NULL,
    attendee      TEXT   NOT NULL,
    event_id      BYTEA  NOT NULL,
    origin        TEXT   NOT NULL,
    origin_seq    BIGINT NOT NULL,
    hlc           BIGINT NOT NULL,
    PRIMARY KEY (conference_id, attendee, event_id)
);
