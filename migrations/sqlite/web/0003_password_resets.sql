-- Password resets organizers asked for by mail. A reset's link token is
-- made when its mail is written (again at each attempt: a mail sent again
-- carries a new link and the old one stops working), and only its SHA-256
-- is kept: a copy of the database opens no account. A reset works once
-- (used_at) and until expires_at; counting an organizer's recent resets
-- bounds the mails anyone can make the hub send them.
CREATE TABLE web_password_resets (
    id           BLOB    PRIMARY KEY CHECK (length(id) = 16),
    organizer_id BLOB    NOT NULL CHECK (length(organizer_id) = 16),
    token_hash   BLOB    UNIQUE CHECK (token_hash IS NULL OR length(token_hash) = 32),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX web_password_resets_by_organizer ON web_password_resets (organizer_id, created_at);
