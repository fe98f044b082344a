-- The stream index moves out of the events table. A unique (stream_id,
-- stream_version) index on events costs one B-tree leaf page per stream
-- per commit: with many streams appending at once (every order its own
-- stream) a commit rewrote dozens of index pages, the store's main cost.
--
-- Now the writer puts each new event's index entry in stream_tail, a
-- table of at most a few thousand rows whose handful of pages every
-- commit shares, and moves the tail into stream_index in batches, sorted
-- by stream, so each leaf page of the big index is written once per
-- batch rather than once per commit. Readers look in both, in one
-- statement. Versions stay unique because the single writer checks them
-- before appending (the file is locked to one process), and both primary
-- keys still refuse a duplicate.
CREATE TABLE stream_index (
    stream_id      TEXT    NOT NULL,
    stream_version INTEGER NOT NULL,
    position       INTEGER NOT NULL,
    PRIMARY KEY (stream_id, stream_version)
) WITHOUT ROWID;

CREATE TABLE stream_tail (
    stream_id      TEXT    NOT NULL,
    stream_version INTEGER NOT NULL,
    position       INTEGER NOT NULL,
    PRIMARY KEY (stream_id, stream_version)
) WITHOUT ROWID;

INSERT INTO stream_index (stream_id, stream_version, position)
SELECT stream_id, stream_version, position FROM events ORDER BY stream_id, stream_version;

DROP INDEX events_stream;
