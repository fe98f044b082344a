-- Password resets on PostgreSQL (sqlite/web 0002). Using one is a
-- conditional UPDATE ... RETURNING: of two replicas given the same link at
-- once, one sets the password.
CREATE TABLE web_password_resets (
    id           BYTEA   PRIMARY KEY CHECK (octet_length(id) = 16),
    organizer_id BYTEA   NOT NULL CHECK (octet_length(organizer_id) = 16),
    token_hash   BYTEA   UNIQUE CHECK (token_hash IS NULL OR octet_length(token_hash) = 32),
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    used_at      BIGINT
);
CREATE INDEX web_password_resets_by_organizer ON web_password_resets (organizer_id, created_at);
