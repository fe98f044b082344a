-- Hub read models (hub/readmodels): projections of the event log and of the
-- conferences.* integration messages, rebuildable from them at any time.
-- Ids are 16-byte UUIDs, times Unix milliseconds (0 = none), seat lists
-- and quotes JSON. Nothing here is the source of truth.

CREATE TABLE rm_conferences (
    conference_id              BLOB    PRIMARY KEY,
    organizer_id               BLOB    NOT NULL,
    slug                       TEXT    NOT NULL,
    name                       TEXT    NOT NULL,
    tagline                    TEXT    NOT NULL,
    description                TEXT    NOT NULL,
    venue                      TEXT    NOT NULL,
    contact_email              TEXT    NOT NULL,
    time_zone                  TEXT    NOT NULL,
    starts_at                  INTEGER NOT NULL,
    ends_at                    INTEGER NOT NULL,
    reservation_window_minutes INTEGER NOT NULL,
    currency                   TEXT    NOT NULL,
    published                  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX rm_conferences_slug ON rm_conferences (slug);

-- Descriptive columns come from conferences.SeatType* messages (info_seq is
-- the first one's message seq, 0 before any), counts from SeatsAvailability
-- events; the two never write each other's columns.
CREATE TABLE rm_seat_types (
    seat_type_id          BLOB    PRIMARY KEY,
    conference_id         BLOB    NOT NULL,
    info_seq              INTEGER NOT NULL,
    name                  TEXT    NOT NULL,
    description           TEXT    NOT NULL,
    price_amount          INTEGER NOT NULL,
    price_currency        TEXT    NOT NULL,
    sellable_at_kiosks    INTEGER NOT NULL,
    sell_past_allocation  INTEGER NOT NULL,
    kiosk_allocation_size INTEGER NOT NULL,
    quota                 INTEGER NOT NULL,
    reserved              INTEGER NOT NULL,
    sold                  INTEGER NOT NULL,
    allocated             INTEGER NOT NULL
) WITHOUT ROWID;

-- Seats each open reservation holds: SeatsReserved replaces a
-- reservation's seats, so the projector must know what it held before.
CREATE TABLE rm_reservations (
    reservation_id BLOB PRIMARY KEY,
    conference_id  BLOB NOT NULL,
    seats          TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE rm_orders (
    order_id        BLOB    PRIMARY KEY,
    conference_id   BLOB    NOT NULL,
    line            INTEGER NOT NULL, -- log position of the placement
    status          TEXT    NOT NULL,
    access_code     TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    email           TEXT    NOT NULL,
    kiosk_id        TEXT    NOT NULL,
    requested       TEXT    NOT NULL,
    reserved        TEXT    NOT NULL,
    quote           TEXT    NOT NULL,
    total_amount    INTEGER NOT NULL,
    discount_amount INTEGER NOT NULL,
    currency        TEXT    NOT NULL,
    promo_code      TEXT    NOT NULL,
    expires_at      INTEGER NOT NULL,
    placed_at       INTEGER NOT NULL,
    confirmed_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX rm_orders_by_conference ON rm_orders (conference_id, line);
CREATE INDEX rm_orders_by_access_code ON rm_orders (access_code);

CREATE TABLE rm_order_seats (
    order_id      BLOB    NOT NULL,
    position      INTEGER NOT NULL,
    conference_id BLOB    NOT NULL,
    seat_type     BLOB    NOT NULL,
    name          TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    company       TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    PRIMARY KEY (order_id, position)
) WITHOUT ROWID;
CREATE INDEX rm_order_seats_by_conference ON rm_order_seats (conference_id);

CREATE TABLE rm_waitlist (
    entry_id         BLOB    PRIMARY KEY,
    conference_id    BLOB    NOT NULL,
    seat_type        BLOB    NOT NULL,
    line             INTEGER NOT NULL, -- log position of the join
    quantity         INTEGER NOT NULL,
    name             TEXT    NOT NULL,
    email            TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    offered_seats    INTEGER NOT NULL,
    offer_expires_at INTEGER NOT NULL,
    joined_at        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX rm_waitlist_by_conference ON rm_waitlist (conference_id, seat_type, line);

CREATE TABLE rm_promo_uses (
    conference_id BLOB    NOT NULL,
    code          TEXT    NOT NULL,
    order_id      BLOB    NOT NULL,
    redeemed_at   INTEGER NOT NULL,
    released      INTEGER NOT NULL,
    PRIMARY KEY (conference_id, code, order_id)
) WITHOUT ROWID;
