-- Who is checked in (hub/readmodels, attendance): one row per seat checked
-- in at a kiosk, from onsite.AttendeeCheckedIn as sync brings them. The
-- first check-in (earliest by its time, then by log position) is the one
-- shown; check_ins counts every one recorded (re-entries, the same person
-- at two offline doors). A hub whose log already holds check-ins fills
-- this table at its next start (the projector replays them once).
CREATE TABLE rm_checkins (
    order_id      BLOB    NOT NULL,
    position      INTEGER NOT NULL,
    conference_id BLOB    NOT NULL,
    seat_type     BLOB    NOT NULL, -- from the order's seats when the check-in was projected (empty if unknown)
    kiosk_id      TEXT    NOT NULL,
    staff         TEXT    NOT NULL,
    checked_in_at INTEGER NOT NULL, -- Unix ms of the first check-in
    check_ins     INTEGER NOT NULL,
    line          INTEGER NOT NULL, -- log position of the first check-in
    PRIMARY KEY (order_id, position)
) WITHOUT ROWID;
CREATE INDEX rm_checkins_by_conference ON rm_checkins (conference_id, checked_in_at);
