-- What sync's merge surfaces for the organizer (hub/readmodels): seat-quota
-- conflicts raised by offline sales with their resolution, and duplicate
-- check-in warnings. Projections like the rest, rebuildable from the log.

CREATE TABLE rm_seat_conflicts (
    conference_id   BLOB    NOT NULL,
    conflict        INTEGER NOT NULL, -- the conference's conflict number
    seat_type       BLOB    NOT NULL,
    over_by         INTEGER NOT NULL,
    order_ids       TEXT    NOT NULL, -- JSON list of order ids
    kiosk_id        TEXT    NOT NULL,
    line            INTEGER NOT NULL, -- log position of the raise
    resolution      TEXT    NOT NULL, -- '' while open
    moved_to        BLOB    NOT NULL,
    quota_raised_by INTEGER NOT NULL,
    changes         TEXT    NOT NULL, -- JSON list of {order_id, quantity} taken back
    note            TEXT    NOT NULL,
    resolved_line   INTEGER NOT NULL, -- 0 while open
    PRIMARY KEY (conference_id, conflict)
) WITHOUT ROWID;

CREATE TABLE rm_checkin_warnings (
    check_in_event  BLOB    PRIMARY KEY, -- the later check-in's event id
    conference_id   BLOB    NOT NULL,
    attendee        TEXT    NOT NULL, -- "<order id>/<position>"
    order_id        BLOB    NOT NULL,
    position        INTEGER NOT NULL,
    kiosk_id        TEXT    NOT NULL,
    earlier_event   BLOB    NOT NULL,
    earlier_kiosk   TEXT    NOT NULL,
    line            INTEGER NOT NULL  -- log position of the warning
) WITHOUT ROWID;
CREATE INDEX rm_checkin_warnings_by_conference ON rm_checkin_warnings (conference_id, line);
