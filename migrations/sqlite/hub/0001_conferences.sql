-- Conference Management (DESIGN section 4): organizers (tenants), their API
-- tokens, conferences and seat types. Ids are 16-byte UUIDs, times are Unix
-- milliseconds, booleans 0/1. Changes publish integration events through the
-- event store's messages table in the same transaction.

CREATE TABLE organizers (
    id           BLOB    PRIMARY KEY CHECK (length(id) = 16),
    email        TEXT    NOT NULL UNIQUE CHECK (email = lower(email) AND email <> ''),
    display_name TEXT    NOT NULL CHECK (display_name <> ''),
    created_at   INTEGER NOT NULL
) STRICT;

-- Only the SHA-256 of a token is stored; the token itself is shown once.
CREATE TABLE api_tokens (
    token_hash   BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    organizer_id BLOB    NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX api_tokens_by_organizer ON api_tokens (organizer_id);

CREATE TABLE conferences (
    id                         BLOB    PRIMARY KEY CHECK (length(id) = 16),
    organizer_id               BLOB    NOT NULL REFERENCES organizers (id),
    slug                       TEXT    NOT NULL UNIQUE CHECK (length(slug) BETWEEN 3 AND 60 AND slug = lower(slug)),
    name                       TEXT    NOT NULL CHECK (name <> ''),
    tagline                    TEXT    NOT NULL DEFAULT '',
    description                TEXT    NOT NULL DEFAULT '',
    venue                      TEXT    NOT NULL DEFAULT '',
    contact_email              TEXT    NOT NULL DEFAULT '',
    time_zone                  TEXT    NOT NULL CHECK (time_zone <> ''),
    starts_at                  INTEGER NOT NULL,
    ends_at                    INTEGER NOT NULL CHECK (ends_at > starts_at),
    reservation_window_minutes INTEGER NOT NULL DEFAULT 15 CHECK (reservation_window_minutes BETWEEN 1 AND 120),
    currency                   TEXT    NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    published                  INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
) STRICT;
CREATE INDEX conferences_by_organizer ON conferences (organizer_id, starts_at);
CREATE INDEX conferences_published ON conferences (starts_at) WHERE published = 1;

CREATE TABLE seat_types (
    id                    BLOB    PRIMARY KEY CHECK (length(id) = 16),
    conference_id         BLOB    NOT NULL REFERENCES conferences (id),
    name                  TEXT    NOT NULL CHECK (name <> ''),
    description           TEXT    NOT NULL DEFAULT '',
    price_amount          INTEGER NOT NULL CHECK (price_amount >= 0),
    price_currency        TEXT    NOT NULL CHECK (length(price_currency) = 3),
    quota                 INTEGER NOT NULL CHECK (quota >= 0),
    sellable_at_kiosks    INTEGER NOT NULL DEFAULT 0 CHECK (sellable_at_kiosks IN (0, 1)),
    sell_past_allocation  INTEGER NOT NULL DEFAULT 0 CHECK (sell_past_allocation IN (0, 1)),
    kiosk_allocation_size INTEGER NOT NULL DEFAULT 0 CHECK (kiosk_allocation_size >= 0),
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    UNIQUE (conference_id, name)
) STRICT;
