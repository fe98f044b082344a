-- Promo codes per conference (Conference Management). The registrations
-- context prices orders with them and counts their uses in its own
-- PromoCodeUsage streams. Times are Unix milliseconds; a NULL bound is
-- unbounded.

CREATE TABLE promo_codes (
    id            BLOB    PRIMARY KEY CHECK (length(id) = 16),
    conference_id BLOB    NOT NULL REFERENCES conferences (id),
    code          TEXT    NOT NULL CHECK (length(code) BETWEEN 3 AND 32 AND code = upper(code)),
    description   TEXT    NOT NULL DEFAULT '',
    kind          TEXT    NOT NULL CHECK (kind IN ('percentage', 'amount')),
    percent       INTEGER NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
    amount        INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0),
    currency      TEXT    NOT NULL DEFAULT '',
    seat_type_id  BLOB    REFERENCES seat_types (id),
    max_uses      INTEGER NOT NULL DEFAULT 0 CHECK (max_uses >= 0),
    valid_from    INTEGER,
    valid_until   INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (conference_id, code)
) STRICT;
