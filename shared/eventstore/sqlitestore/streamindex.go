package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"conference/shared/eventstore"
	"conference/shared/eventstore/internal/appendplan"
)

// The stream index (stream_id, stream_version -> position) lives in its
// own table (migration 0002 says why), and a commit writes nothing to it
// (migration 0003): the events committed since the last batch stay
// unindexed until there are indexBatch of them, and the writer then moves
// them all into stream_index in one statement, sorted by stream, so each
// leaf page of the big index is written once per batch rather than once
// per commit. The checkpoint indexCheckpoint, written in the same
// transaction, says how far stream_index reaches.
//
// The unindexed events are always the newest, and the memory ring holds at
// least indexBatch of the newest (recent.go), so readers take a stream's
// unindexed events from memory and the rest from stream_index. The writer
// knows the unindexed streams' versions. At start the store loads the
// unindexed events into the ring from the events table.

// indexBatch is how many events may wait unindexed. Longer batches write
// each page of the big index for more events; the ring must hold them all.
const indexBatch = recentSize

// indexCheckpoint names the checkpoint of the stream index.
const indexCheckpoint = "eventstore/stream_index"

const (
	// moveSQL indexes the events after a position. An entry indexed
	// already stays as it is: moving twice changes nothing.
	moveSQL = `INSERT OR IGNORE INTO stream_index (stream_id, stream_version, position)
		SELECT stream_id, stream_version, position FROM events WHERE position > ? ORDER BY stream_id, stream_version`

	streamVersionSQL = `SELECT COALESCE(MAX(stream_version), 0) FROM stream_index WHERE stream_id = ?`

	// unindexedSQL reads the events after a position: the unindexed ones.
	unindexedSQL = `SELECT ` + eventColumns + ` FROM events WHERE position > ? ORDER BY position`
)

// streamEventsSQL selects the indexed events of the streams matched by
// where (a condition on stream_id and stream_version).
func streamEventsSQL(where, orderBy string) string {
	return `SELECT ` + eventColumns + ` FROM events WHERE position IN (
			SELECT position FROM stream_index WHERE ` + where + `)
		ORDER BY ` + orderBy
}

// loadUnindexed reads how far the stream index reaches and loads the
// events after it into the ring, their streams' versions into the
// writer's map, and every origin's last origin_seq: the origins table's,
// saved with the index checkpoint, raised by the unindexed events.
// The writer has not started yet.
func (s *Store) loadUnindexed(ctx context.Context) error {
	err := s.wconn.QueryRowContext(ctx, `SELECT position FROM checkpoints WHERE name = ?`, indexCheckpoint).Scan(&s.indexed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read the stream index checkpoint: %w", err)
	}
	if err := s.loadOrigins(ctx); err != nil {
		return err
	}
	var waiting int
	if err := s.wconn.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE position > ?`, s.indexed).Scan(&waiting); err != nil {
		return fmt.Errorf("count unindexed events: %w", err)
	}
	if waiting > indexBatch {
		// More than the writer ever leaves (the checkpoint row was lost,
		// say): index them now rather than hold them all in memory.
		if err := s.indexAll(ctx); err != nil {
			return err
		}
	}
	evs, err := queryEvents(ctx, s.wconn, unindexedSQL, waiting, s.indexed)
	if err != nil {
		return fmt.Errorf("read unindexed events: %w", err)
	}
	s.unindexed = map[string]int64{}
	rs := make([]row, len(evs))
	for i := range evs {
		rs[i] = row{E: &evs[i], Version: evs[i].StreamVersion}
		s.unindexed[evs[i].StreamID] = evs[i].StreamVersion
	}
	s.recent.add(rs, s.indexed)
	return nil
}

// loadOrigins fills the writer's origins map from the table, raised by
// the events after the index checkpoint, which the table may not count.
func (s *Store) loadOrigins(ctx context.Context) error {
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`SELECT origin, last_seq FROM origins`, nil},
		{`SELECT origin, MAX(origin_seq) FROM events WHERE position > ? GROUP BY origin`, []any{s.indexed}},
	} {
		rows, err := s.wconn.QueryContext(ctx, q.sql, q.args...)
		if err != nil {
			return fmt.Errorf("read origin sequences: %w", err)
		}
		for rows.Next() {
			var origin string
			var seq int64
			if err := rows.Scan(&origin, &seq); err != nil {
				rows.Close()
				return fmt.Errorf("read origin sequences: %w", err)
			}
			s.origins[origin] = max(s.origins[origin], seq)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("read origin sequences: %w", err)
		}
	}
	return nil
}

// indexAll indexes every event at start, in one transaction with the
// checkpoint and the origins it reaches, as a group that fills a batch
// would.
func (s *Store) indexAll(ctx context.Context) error {
	st := groupState{Group: appendplan.NewGroup(0)}
	if err := s.wconn.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) FROM events`).Scan(&st.Head); err != nil {
		return fmt.Errorf("read the log head: %w", err)
	}
	if _, err := s.stmts.begin.ExecContext(ctx); err != nil {
		return err
	}
	if err := s.indexStreams(ctx, &st); err != nil {
		return s.abort(ctx, err)
	}
	if _, err := s.stmts.commit.ExecContext(ctx); err != nil {
		return s.abort(ctx, fmt.Errorf("index every event: %w", err))
	}
	s.indexed = st.indexed
	return nil
}

// indexStreams moves the unindexed events into stream_index inside the
// group's transaction when indexBatch of them wait.
func (s *Store) indexStreams(ctx context.Context, st *groupState) error {
	st.indexed = s.indexed
	if st.Head-s.indexed < indexBatch {
		return nil
	}
	if _, err := s.stmts.move.ExecContext(ctx, s.indexed); err != nil {
		return fmt.Errorf("index the events after %d: %w", s.indexed, err)
	}
	if _, err := s.stmts.saveIndexed.ExecContext(ctx, indexCheckpoint, st.Head); err != nil {
		return fmt.Errorf("save the stream index checkpoint: %w", err)
	}
	if err := s.saveOrigins(ctx, st); err != nil {
		return err
	}
	st.indexed = st.Head
	return nil
}

// indexedAfter records a committed group's streams among the unindexed
// ones, or forgets them all when the group indexed everything.
func (s *Store) indexedAfter(st groupState) {
	if st.indexed != s.indexed {
		s.indexed = st.indexed
		clear(s.unindexed)
		return
	}
	for id, v := range st.Versions {
		s.unindexed[id] = v
	}
}

// withUnindexed completes the indexed events of a stream with tail, its
// unindexed events taken from memory before the indexed ones were read.
// An event indexed in between is in both and is kept once.
func withUnindexed(indexed, tail []eventstore.Event) []eventstore.Event {
	last := int64(-1)
	if n := len(indexed); n > 0 {
		last = indexed[n-1].StreamVersion
	}
	for _, e := range tail {
		if e.StreamVersion > last {
			indexed = append(indexed, e)
		}
	}
	return indexed
}

// unindexedOf returns the unindexed events of a stream with version >
// after, from memory, or from the events table when the ring does not
// cover them all (never while the writer keeps the ring, but cheap to
// read: at most indexBatch rows).
func (s *Store) unindexedOf(ctx context.Context, streamID string, after int64) ([]eventstore.Event, error) {
	if evs, ok := s.recent.unindexed(streamID, after); ok {
		return evs, nil
	}
	indexed := s.recent.indexedAt()
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventColumns+` FROM events
		WHERE position > ? AND stream_id = ? AND stream_version > ? ORDER BY position`, indexed, streamID, after)
	if err != nil {
		return nil, fmt.Errorf("read unindexed events of %s: %w", streamID, err)
	}
	return scanEvents(rows, 0)
}
