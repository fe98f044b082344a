-- Conference Management on PostgreSQL: today's SQLite schema (sqlite/hub
-- 0001-0002) in one step. Ids are 16-byte UUIDs in BYTEA, times Unix
-- milliseconds, booleans 0/1, exactly as on SQLite, so the adapters' SQL
-- and arguments are the same on both.

CREATE TABLE organizers (
    id           BYTEA   PRIMARY KEY CHECK (octet_length(id) = 16),
    email        TEXT    NOT NULL UNIQUE CHECK (email = lower(email) AND email <> ''),
    display_name TEXT    NOT NULL CHECK (display_name <> ''),
    created_at   BIGINT  NOT NULL
);

CREATE TABLE api_tokens (
    token_hash   BYTEA   PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    organizer_id BYTEA   NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX api_tokens_by_organizer ON api_tokens (organizer_id);

CREATE TABLE conferences (
    id                         BYTEA   PRIMARY KEY CHECK (octet_length(id) = 16),
    organizer_id               BYTEA   NOT NULL REFERENCES organizers (id),
    slug                       TEXT    NOT NULL UNIQUE CHECK (length(slug) BETWEEN 3 AND 60 AND slug = lower(slug)),
    name                       TEXT    NOT NULL CHECK (name <> ''),
    tagline                    TEXT    NOT NULL DEFAULT '',
    description                TEXT    NOT NULL DEFAULT '',
    venue                      TEXT    NOT NULL DEFAULT '',
    contact_email              TEXT    NOT NULL DEFAULT '',
    time_zone                  TEXT    NOT NULL CHECK (time_zone <> ''),
    starts_at                  BIGINT  NOT NULL,
    ends_at                    BIGINT  NOT NULL CHECK (ends_at > starts_at),
    reservation_window_minutes INTEGER NOT NULL DEFAULT 15 CHECK (reservation_window_minutes BETWEEN 1 AND 120),
    currency                   TEXT    NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    published                  INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    created_at                 BIGINT  NOT NULL,
    updated_at                 BIGINT  NOT NULL
);
CREATE INDEX conferences_by_organizer ON conferences (organizer_id, starts_at);
CREATE INDEX conferences_published ON conferences (starts_at) WHERE published = 1;

CREATE TABLE seat_types (
    id                    BYTEA   PRIMARY KEY CHECK (octet_length(id) = 16),
    conference_id         BYTEA   NOT NULL REFERENCES conferences (id),
    name                  TEXT    NOT NULL CHECK (name <> ''),
    description           TEXT    NOT NULL DEFAULT '',
    price_amount          BIGINT  NOT NULL CHECK (price_amount >= 0),
    price_currency        TEXT    NOT NULL CHECK (length(price_currency) = 3),
    quota                 INTEGER NOT NULL CHECK (quota >= 0),
    sellable_at_kiosks    INTEGER NOT NULL DEFAULT 0 CHECK (sellable_at_kiosks IN (0, 1)),
    sell_past_allocation  INTEGER NOT NULL DEFAULT 0 CHECK (sell_past_allocation IN (0, 1)),
    kiosk_allocation_size INTEGER NOT NULL DEFAULT 0 CHECK (kiosk_allocation_size >= 0),
    created_at            BIGINT  NOT NULL,
    updated_at            BIGINT  NOT NULL,
    UNIQUE (conference_id, name)
);

CREATE TABLE promo_codes (
    id            BYTEA   PRIMARY KEY CHECK (octet_length(id) = 16),
    conference_id BYTEA   NOT NULL REFERENCES conferences (id),
    code          TEXT    NOT NULL CHECK (length(code) BETWEEN 3 AND 32 AND code = upper(code)),
    description   TEXT    NOT NULL DEFAULT '',
    kind          TEXT    NOT NULL CHECK (kind IN ('percentage', 'amount')),
    percent       INTEGER NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
    amount        BIGINT  NOT NULL DEFAULT 0 CHECK (amount >= 0),
    currency      TEXT    NOT NULL DEFAULT '',
    seat_type_id  BYTEA   REFERENCES seat_types (id),
    max_uses      INTEGER NOT NULL DEFAULT 0 CHECK (max_uses >= 0),
    valid_from    BIGINT,
    valid_until   BIGINT,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    UNIQUE (conference_id, code)
);
