-- Attendance at the door (hub/readmodels): one row per seat a kiosk
-- checked in, with the first check-in (where, by whom, when, its log
-- position) and how many were recorded. Read models that followed the log
-- before this table existed fill it from the log once at start (the
-- checkpoint "readmodels.checkins" marks a table that is complete).

CREATE TABLE rm_checkins (
    order_id      BLOB    NOT NULL,
    position      INTEGER NOT NULL,
    conference_id BLOB    NOT NULL,
    kiosk_id      TEXT    NOT NULL,
    staff         TEXT    NOT NULL,
    checked_in_at INTEGER NOT NULL, -- Unix ms, the kiosk's clock
    check_ins     INTEGER NOT NULL,
    line          INTEGER NOT NULL,
    PRIMARY KEY (order_id, position)
) WITHOUT ROWID;
CREATE INDEX rm_checkins_by_conference ON rm_checkins (conference_id, checked_in_at);
