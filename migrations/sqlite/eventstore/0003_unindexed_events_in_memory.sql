-- stream_tail goes. Each commit wrote the index entries of its events to
-- it, and the writer moved them into stream_index in batches: a second
-- insert per event, and with many streams appending at once the tail's
-- pages were spread over by every commit. Now a commit writes no index
-- entry at all. The writer moves the events committed since the last
-- batch (at most a few thousand, all still in the store's memory) into
-- stream_index straight from the events table, and the checkpoint below
-- records how far stream_index reaches. Readers take a stream's newer
-- events from memory (sqlitestore/streamindex.go).
INSERT INTO stream_index (stream_id, stream_version, position)
SELECT stream_id, stream_version, position FROM stream_tail ORDER BY stream_id, stream_version;
DROP TABLE stream_tail;
INSERT OR REPLACE INTO checkpoints (name, position)
SELECT 'eventstore/stream_index', COALESCE(MAX(position), 0) FROM events;
