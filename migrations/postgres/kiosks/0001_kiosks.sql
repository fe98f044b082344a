-- The kiosk registry on PostgreSQL (sqlite/kiosks 0001).
CREATE TABLE kiosks (
    id                 TEXT    PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    organizer_id       BYTEA   NOT NULL CHECK (octet_length(organizer_id) = 16),
    conference_id      BYTEA   NOT NULL CHECK (octet_length(conference_id) = 16),
    name               TEXT    NOT NULL CHECK (name <> ''),
    created_at         BIGINT  NOT NULL,
    pairing_code_hash  BYTEA   UNIQUE CHECK (pairing_code_hash IS NULL OR octet_length(pairing_code_hash) = 32),
    pairing_expires_at BIGINT,
    paired_at          BIGINT,
    credential_hash    BYTEA   UNIQUE CHECK (credential_hash IS NULL OR octet_length(credential_hash) = 32),
    public_key         BYTEA   CHECK (public_key IS NULL OR octet_length(public_key) = 32),
    certificate        TEXT,
    revoked_at         BIGINT,
    last_seen_at       BIGINT,
    down_checkpoint    BIGINT  NOT NULL DEFAULT 0,
    up_acked           BIGINT  NOT NULL DEFAULT 0,
    pending_uploads    BIGINT  NOT NULL DEFAULT 0,
    software           TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX kiosks_by_conference ON kiosks (organizer_id, conference_id, created_at);

-- One key per generation: replicas racing to make the first key agree on
-- whichever insert lands first (sqlite/kiosks 0002).
CREATE TABLE hub_signing_keys (
    key_id      TEXT    PRIMARY KEY,
    private_key BYTEA   NOT NULL CHECK (octet_length(private_key) = 64),
    created_at  BIGINT  NOT NULL,
    generation  INTEGER NOT NULL DEFAULT 1 UNIQUE
);
