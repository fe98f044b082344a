-- The hub's read models on PostgreSQL: today's SQLite schema (sqlite/
-- readmodels 0001-0004) in one step. Projections, rebuildable from the
-- logs; ids BYTEA, times Unix ms, JSON as text, as on SQLite.

CREATE TABLE rm_conferences (
    conference_id              BYTEA   PRIMARY KEY,
    organizer_id               BYTEA   NOT NULL,
    slug                       TEXT    NOT NULL,
    name                       TEXT    NOT NULL,
    tagline                    TEXT    NOT NULL,
    description                TEXT    NOT NULL,
    venue                      TEXT    NOT NULL,
    contact_email              TEXT    NOT NULL,
    time_zone                  TEXT    NOT NULL,
    starts_at                  BIGINT  NOT NULL,
    ends_at                    BIGINT  NOT NULL,
    reservation_window_minutes INTEGER NOT NULL,
    currency                   TEXT    NOT NULL,
    published                  INTEGER NOT NULL
);
CREATE INDEX rm_conferences_slug ON rm_conferences (slug);

CREATE TABLE rm_seat_types (
    seat_type_id          BYTEA   PRIMARY KEY,
    conference_id         BYTEA   NOT NULL,
    info_seq              BIGINT  NOT NULL,
    name                  TEXT    NOT NULL,
    description           TEXT    NOT NULL,
    price_amount          BIGINT  NOT NULL,
    price_currency        TEXT    NOT NULL,
    sellable_at_kiosks    INTEGER NOT NULL,
    sell_past_allocation  INTEGER NOT NULL,
    kiosk_allocation_size INTEGER NOT NULL,
    quota                 INTEGER NOT NULL,
    reserved              INTEGER NOT NULL,
    sold                  INTEGER NOT NULL,
    allocated             INTEGER NOT NULL
);

CREATE TABLE rm_reservations (
    reservation_id BYTEA PRIMARY KEY,
    conference_id  BYTEA NOT NULL,
    seats          TEXT  NOT NULL
);

CREATE TABLE rm_orders (
    order_id        BYTEA   PRIMARY KEY,
    conference_id   BYTEA   NOT NULL,
    line            BIGINT  NOT NULL,
    status          TEXT    NOT NULL,
    access_code     TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    email           TEXT    NOT NULL,
    kiosk_id        TEXT    NOT NULL,
    requested       TEXT    NOT NULL,
    reserved        TEXT    NOT NULL,
    quote           TEXT    NOT NULL,
    total_amount    BIGINT  NOT NULL,
    discount_amount BIGINT  NOT NULL,
    currency        TEXT    NOT NULL,
    promo_code      TEXT    NOT NULL,
    expires_at      BIGINT  NOT NULL,
    placed_at       BIGINT  NOT NULL,
    confirmed_at    BIGINT  NOT NULL,
    reason          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX rm_orders_by_conference ON rm_orders (conference_id, line);
CREATE INDEX rm_orders_by_access_code ON rm_orders (access_code);

CREATE TABLE rm_order_seats (
    order_id      BYTEA   NOT NULL,
    position      INTEGER NOT NULL,
    conference_id BYTEA   NOT NULL,
    seat_type     BYTEA   NOT NULL,
    name          TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    company       TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    PRIMARY KEY (order_id, position)
);
CREATE INDEX rm_order_seats_by_conference ON rm_order_seats (conference_id);

CREATE TABLE rm_waitlist (
    entry_id         BYTEA   PRIMARY KEY,
    conference_id    BYTEA   NOT NULL,
    seat_type        BYTEA   NOT NULL,
    line             BIGINT  NOT NULL,
    quantity         INTEGER NOT NULL,
    name             TEXT    NOT NULL,
    email            TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    offered_seats    INTEGER NOT NULL,
    offer_expires_at BIGINT  NOT NULL,
    joined_at        BIGINT  NOT NULL
);
CREATE INDEX rm_waitlist_by_conference ON rm_waitlist (conference_id, seat_type, line);

CREATE TABLE rm_promo_uses (
    conference_id BYTEA   NOT NULL,
    code          TEXT    NOT NULL,
    order_id      BYTEA   NOT NULL,
    redeemed_at   BIGINT  NOT NULL,
    released      INTEGER NOT NULL,
    PRIMARY KEY (conference_id, code, order_id)
);

CREATE TABLE rm_seat_conflicts (
    conference_id   BYTEA   NOT NULL,
    conflict        INTEGER NOT NULL,
    seat_type       BYTEA   NOT NULL,
    over_by         INTEGER NOT NULL,
    order_ids       TEXT    NOT NULL,
    kiosk_id        TEXT    NOT NULL,
    line            BIGINT  NOT NULL,
    resolution      TEXT    NOT NULL,
    moved_to        BYTEA   NOT NULL,
    quota_raised_by INTEGER NOT NULL,
    changes         TEXT    NOT NULL,
    note            TEXT    NOT NULL,
    resolved_line   BIGINT  NOT NULL,
    PRIMARY KEY (conference_id, conflict)
);

CREATE TABLE rm_checkin_warnings (
    check_in_event  BYTEA   PRIMARY KEY,
    conference_id   BYTEA   NOT NULL,
    attendee        TEXT    NOT NULL,
    order_id        BYTEA   NOT NULL,
    position        INTEGER NOT NULL,
    kiosk_id        TEXT    NOT NULL,
    earlier_event   BYTEA   NOT NULL,
    earlier_kiosk   TEXT    NOT NULL,
    line            BIGINT  NOT NULL
);
CREATE INDEX rm_checkin_warnings_by_conference ON rm_checkin_warnings (conference_id, line);
