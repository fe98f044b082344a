-- API tokens an organizer manages in the web UI (issue 15): each has an id
-- (to list and revoke it by), a name, the time it was last used (written
-- at most once a minute) and the time it was revoked. Tokens issued before
-- are kept and named "API token".

CREATE TABLE api_tokens_named (
    token_hash   BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    id           BLOB    NOT NULL UNIQUE CHECK (length(id) = 16),
    organizer_id BLOB    NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL CHECK (name <> ''),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT, WITHOUT ROWID;

INSERT INTO api_tokens_named (token_hash, id, organizer_id, name, created_at)
    SELECT token_hash, randomblob(16), organizer_id, 'API token', created_at FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_named RENAME TO api_tokens;
CREATE INDEX api_tokens_by_organizer ON api_tokens (organizer_id, created_at);
