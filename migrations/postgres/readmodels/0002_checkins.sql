-- Who is checked in (hub/readmodels, attendance); SQLite's 0005 explains.
CREATE TABLE rm_checkins (
    order_id      BYTEA   NOT NULL,
    position      INTEGER NOT NULL,
    conference_id BYTEA   NOT NULL,
    seat_type     BYTEA   NOT NULL,
    kiosk_id      TEXT    NOT NULL,
    staff         TEXT    NOT NULL,
    checked_in_at BIGINT  NOT NULL,
    check_ins     INTEGER NOT NULL,
    line          BIGINT  NOT NULL,
    PRIMARY KEY (order_id, position)
);
CREATE INDEX rm_checkins_by_conference ON rm_checkins (conference_id, checked_in_at);
