-- What each kiosk's last digest comparison with the hub said (sync,
-- issue 15): the organizer's kiosk list shows "in sync" or "differs since".
-- A kiosk compares after catching up and on a timer; the hub records the
-- outcome of each. differs_since is the first comparison of the current
-- run of differing ones (NULL while in sync).
ALTER TABLE kiosks ADD COLUMN digest_checked_at INTEGER; -- Unix ms; NULL: never compared
ALTER TABLE kiosks ADD COLUMN digest_position INTEGER NOT NULL DEFAULT 0; -- hub log position of the comparison
ALTER TABLE kiosks ADD COLUMN digest_differs TEXT NOT NULL DEFAULT ''; -- digest parts that differed, comma-separated
ALTER TABLE kiosks ADD COLUMN differs_since INTEGER;
