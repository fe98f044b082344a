-- API tokens an organizer manages in the web UI (sqlite/hub 0003): an id,
-- a name, the last-used time (written at most once a minute) and the
-- revocation time. Tokens issued before are kept and named "API token".

ALTER TABLE api_tokens
    ADD COLUMN id           BYTEA,
    ADD COLUMN name         TEXT   NOT NULL DEFAULT 'API token' CHECK (name <> ''),
    ADD COLUMN last_used_at BIGINT,
    ADD COLUMN revoked_at   BIGINT;
-- 16 bytes derived from the (unique) hash: no extension needed.
UPDATE api_tokens SET id = decode(md5(encode(token_hash, 'hex')), 'hex');
ALTER TABLE api_tokens
    ALTER COLUMN id SET NOT NULL,
    ALTER COLUMN name DROP DEFAULT,
    ADD CONSTRAINT api_tokens_id_length CHECK (octet_length(id) = 16),
    ADD CONSTRAINT api_tokens_id_key UNIQUE (id);
DROP INDEX api_tokens_by_organizer;
CREATE INDEX api_tokens_by_organizer ON api_tokens (organizer_id, created_at);
