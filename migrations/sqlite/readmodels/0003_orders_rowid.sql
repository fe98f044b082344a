-- rm_orders as an ordinary rowid table. Its rows (~1 KB: three JSON
-- columns) are too big for WITHOUT ROWID, whose leaves keep less than a
-- quarter of a page per row inline: most rows spilled onto an overflow page
-- of their own, mostly empty, so the table took ~3 KB a row and a rebuild
-- wrote three times the pages it needed. A rowid table keeps such rows
-- whole in its leaves; the order_id PRIMARY KEY becomes a unique index, so
-- INSERT OR REPLACE still replaces by order id.
--
-- The rows are copied, not rebuilt: the checkpoints stay valid.

CREATE TABLE rm_orders_new (
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
);
INSERT INTO rm_orders_new SELECT * FROM rm_orders ORDER BY order_id;
DROP TABLE rm_orders;
ALTER TABLE rm_orders_new RENAME TO rm_orders;
CREATE INDEX rm_orders_by_conference ON rm_orders (conference_id, line);
CREATE INDEX rm_orders_by_access_code ON rm_orders (access_code);
