-- Which conference each stream belongs to, learned from the first event of
-- the stream that names one. Rebuildable from the event log; kept so paging
-- after a restart need not reread the log. Progress is the "sync-scope" row
-- of the event store's checkpoints table.
CREATE TABLE sync_scope_streams (
    stream_id     TEXT PRIMARY KEY,
    conference_id TEXT NOT NULL
) WITHOUT ROWID;
