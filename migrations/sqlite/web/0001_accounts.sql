-- The hub web UI's organizer accounts: password hashes and sign-in sessions.
-- Organizers themselves live in the hub component (organizers table); this
-- component only adds what signing in to the web pages needs. Ids are
-- 16-byte UUIDs, times Unix milliseconds.

-- One bcrypt hash per organizer who may sign in with a password.
CREATE TABLE web_passwords (
    organizer_id BLOB    PRIMARY KEY CHECK (length(organizer_id) = 16),
    hash         TEXT    NOT NULL CHECK (hash <> ''),
    updated_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Only the SHA-256 of a session id is stored: a stolen database copy does
-- not hand out live sessions.
CREATE TABLE web_sessions (
    id_hash      BLOB    PRIMARY KEY CHECK (length(id_hash) = 32),
    organizer_id BLOB    NOT NULL CHECK (length(organizer_id) = 16),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX web_sessions_by_organizer ON web_sessions (organizer_id);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);

-- Secrets of the web layer, e.g. the key that signs registrants' order
-- grants, kept so a restart does not lock registrants out of their order.
CREATE TABLE web_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT, WITHOUT ROWID;
