-- Per kiosk: the origin_seq up to which the hub has stored the kiosk's
-- events AND applied their effects (sales, check-in warnings). A kiosk
-- resumes uploading after it.
CREATE TABLE sync_merge_kiosks (
    kiosk_id   TEXT PRIMARY KEY,
    acked_seq  INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Check-ins merged from kiosks, per attendee, to find the same attendee
-- checked in on two nodes. Rebuildable from the log.
CREATE TABLE sync_merge_checkins (
    conference_id TEXT    NOT NULL,
    attendee      TEXT    NOT NULL,
    event_id      BLOB    NOT NULL,
    origin        TEXT    NOT NULL,
    origin_seq    INTEGER NOT NULL,
    hlc           INTEGER NOT NULL,
    PRIMARY KEY (conference_id, attendee, event_id)
) WITHOUT ROWID;
