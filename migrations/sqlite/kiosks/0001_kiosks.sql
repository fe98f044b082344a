-- The hub's kiosk registry (sync issue): kiosks an organizer created for a
-- conference, their pairing codes and device credentials, and the hub's
-- badge-signing key. Secrets are never stored: only SHA-256 hashes of the
-- pairing code and the credential. Ids of organizers and conferences are
-- 16-byte UUIDs, times Unix milliseconds.
CREATE TABLE kiosks (
    id                 TEXT    PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    organizer_id       BLOB    NOT NULL CHECK (length(organizer_id) = 16),
    conference_id      BLOB    NOT NULL CHECK (length(conference_id) = 16),
    name               TEXT    NOT NULL CHECK (name <> ''),
    created_at         INTEGER NOT NULL,
    -- Pending pairing: cleared when used, so a code works once.
    pairing_code_hash  BLOB    UNIQUE CHECK (pairing_code_hash IS NULL OR length(pairing_code_hash) = 32),
    pairing_expires_at INTEGER,
    paired_at          INTEGER,
    credential_hash    BLOB    UNIQUE CHECK (credential_hash IS NULL OR length(credential_hash) = 32),
    public_key         BLOB    CHECK (public_key IS NULL OR length(public_key) = 32),
    certificate        TEXT,
    revoked_at         INTEGER,
    last_seen_at       INTEGER,
    down_checkpoint    INTEGER NOT NULL DEFAULT 0,
    up_acked           INTEGER NOT NULL DEFAULT 0,
    pending_uploads    INTEGER NOT NULL DEFAULT 0,
    software           TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX kiosks_by_conference ON kiosks (organizer_id, conference_id, created_at);

-- The hub's Ed25519 key for badge tokens and kiosk certificates, made on
-- first use. One row; rotation would add rows with a newer created_at.
CREATE TABLE hub_signing_keys (
    key_id      TEXT    PRIMARY KEY,
    private_key BLOB    NOT NULL CHECK (length(private_key) = 64),
    created_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
