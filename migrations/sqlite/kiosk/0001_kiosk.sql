-- The kiosk's identity, written by pairing: who it is, which conferences it
-- serves, its staff PIN hash, its badge signing key with the hub's
-- certificate for it, and the hub's public key. One row.
CREATE TABLE kiosk_identity (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    kiosk_id       TEXT    NOT NULL,
    hub_url        TEXT    NOT NULL DEFAULT '',
    conferences    TEXT    NOT NULL DEFAULT '[]', -- JSON array of conference ids
    credential     TEXT    NOT NULL DEFAULT '',   -- device credential for the sync handshake
    pin_hash       BLOB,
    signing_key    BLOB,                          -- Ed25519 private key (64 bytes)
    certificate    TEXT    NOT NULL DEFAULT '',   -- badges/token.Certificate text
    hub_public_key BLOB,
    updated_at     INTEGER NOT NULL
) WITHOUT ROWID;

-- Sync progress the kiosk needs even with the sync client stopped:
-- acked_seq is the last own origin_seq the hub acknowledged (everything above
-- waits for upload), hub_seen the hub log position applied here (the causal
-- context "seen" of events recorded locally).
CREATE TABLE kiosk_sync (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    acked_seq INTEGER NOT NULL DEFAULT 0,
    hub_seen  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO kiosk_sync (singleton) VALUES (1);

-- Walk-up sales in progress: written before the sale is recorded and
-- deleted once the sale, the attendee's seat and the check-in are. A row
-- left by a crash is finished (or dropped, if the sale itself never got
-- stored) when the kiosk starts.
CREATE TABLE kiosk_walkup_flows (
    order_id   BLOB    PRIMARY KEY,
    request    TEXT    NOT NULL, -- JSON of the sale request
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The upload reads the kiosk's own events by origin_seq.
CREATE INDEX kiosk_events_origin ON events (origin, origin_seq);
