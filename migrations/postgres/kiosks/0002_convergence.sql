-- What each kiosk's last digest comparison with the hub said (sqlite/kiosks 0003).
ALTER TABLE kiosks ADD COLUMN digest_checked_at BIGINT;
ALTER TABLE kiosks ADD COLUMN digest_position BIGINT NOT NULL DEFAULT 0;
ALTER TABLE kiosks ADD COLUMN digest_differs TEXT NOT NULL DEFAULT '';
ALTER TABLE kiosks ADD COLUMN differs_since BIGINT;
