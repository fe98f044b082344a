-- The mail log: one row per mail the hub was asked to send, keyed by the
-- id of the outbox command that asked for it. The Postman writes it at
-- every attempt; a row with sent_at is a mail handed over, never sent
-- again even if its command comes back. Ids are 16-byte UUIDs, times Unix
-- milliseconds.
CREATE TABLE mail_log (
    message_id    BLOB    PRIMARY KEY CHECK (length(message_id) = 16),
    kind          TEXT    NOT NULL,
    -- The conference the mail is about; NULL for organizer account mail.
    conference_id BLOB    CHECK (conference_id IS NULL OR length(conference_id) = 16),
    recipient     TEXT    NOT NULL DEFAULT '',
    subject       TEXT    NOT NULL DEFAULT '',
    -- 'sent', 'failed' (to be retried, or a dead letter) or 'skipped'
    -- (nothing left to say by the time it was written).
    status        TEXT    NOT NULL CHECK (status IN ('sent', 'failed', 'skipped')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT    NOT NULL DEFAULT '',
    via           TEXT    NOT NULL DEFAULT '',
    file          TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    sent_at       INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX mail_log_by_conference ON mail_log (conference_id, created_at);
