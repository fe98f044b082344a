-- The hub's signing key is made once, by whichever process first needs it.
-- With replicas of the hub on PostgreSQL two of them can race to make it;
-- a unique generation lets the first insert win and the other read it back
-- (INSERT ... ON CONFLICT (generation) DO NOTHING), on both databases. Key
-- rotation will add generation 2.
ALTER TABLE hub_signing_keys ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;
UPDATE hub_signing_keys SET generation = (SELECT COUNT(*) FROM hub_signing_keys k
    WHERE k.created_at < hub_signing_keys.created_at
       OR (k.created_at = hub_signing_keys.created_at AND k.key_id <= hub_signing_keys.key_id));
CREATE UNIQUE INDEX hub_signing_keys_generation ON hub_signing_keys (generation);
