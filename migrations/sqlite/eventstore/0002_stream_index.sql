-- The stream index moves out of the events table into a table the writer
-- fills in batches. A unique (stream_id, stream_version) index on events
-- costs one B-tree leaf page per stream per commit: with many streams
-- appending at once (every order its own stream) a commit rewrote dozens
-- of index pages, the store's main cost. The writer now indexes the log's
-- tail every few hundred events, sorted by stream, so each leaf page is
-- written once per batch; readers find events past stream_index_head.upto
-- by a short scan of the log's tail. Versions stay unique because the
-- single writer checks them before appending (the file is locked to one
-- process), and the primary key below still refuses a duplicate.
CREATE TABLE stream_index (
    stream_id      TEXT    NOT NULL,
    stream_version INTEGER NOT NULL,
    position       INTEGER NOT NULL,
    PRIMARY KEY (stream_id, stream_version)
) WITHOUT ROWID;

INSERT INTO stream_index (stream_id, stream_version, position)
SELECT stream_id, stream_version, position FROM events ORDER BY stream_id, stream_version;

-- The last log position whose event is in stream_index (every one at or
-- below it is).
CREATE TABLE stream_index_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    upto INTEGER NOT NULL
);
INSERT INTO stream_index_head (id, upto) VALUES (1, (SELECT COALESCE(MAX(position), 0) FROM events));

DROP INDEX events_stream;
