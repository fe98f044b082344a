-- The web UI's passwords, sessions and secrets on PostgreSQL (sqlite/web
-- 0001). Every replica reads the same sessions and secrets, so a sign-in
-- or a signed grant made on one replica holds on the others.
CREATE TABLE web_passwords (
    organizer_id BYTEA   PRIMARY KEY CHECK (octet_length(organizer_id) = 16),
    hash         TEXT    NOT NULL CHECK (hash <> ''),
    updated_at   BIGINT  NOT NULL
);

CREATE TABLE web_sessions (
    id_hash      BYTEA   PRIMARY KEY CHECK (octet_length(id_hash) = 32),
    organizer_id BYTEA   NOT NULL CHECK (octet_length(organizer_id) = 16),
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL
);
CREATE INDEX web_sessions_by_organizer ON web_sessions (organizer_id);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);

CREATE TABLE web_secrets (
    name  TEXT  PRIMARY KEY,
    value BYTEA NOT NULL
);
