-- The mail log on PostgreSQL (schema/0001): every replica's organizer page
-- reads it, and whichever replica runs the bus writes it.
CREATE TABLE mail_log (
    message_id    BYTEA   PRIMARY KEY CHECK (octet_length(message_id) = 16),
    kind          TEXT    NOT NULL,
    conference_id BYTEA   CHECK (conference_id IS NULL OR octet_length(conference_id) = 16),
    recipient     TEXT    NOT NULL DEFAULT '',
    subject       TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL CHECK (status IN ('sent', 'failed', 'skipped')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT    NOT NULL DEFAULT '',
    via           TEXT    NOT NULL DEFAULT '',
    file          TEXT    NOT NULL DEFAULT '',
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    sent_at       BIGINT
);
CREATE INDEX mail_log_by_conference ON mail_log (conference_id, created_at);
