package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"conference/shared/eventstore"
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
	evs, err := queryEvents(ctx, s.wconn, unindexedSQL, 0, s.indexed)
	if err != nil {
		return fmt.Errorf("read unindexed events: %w", err)
	}
	if err := s.loadOrigins(ctx, evs); err != nil {
		return err
	}
	if len(evs) > indexBatch {
		// Only a store stopped in the middle of a batch larger than any
		// the writer makes could leave this; index them now.
		if _, err := s.wconn.ExecContext(ctx, moveSQL, s.indexed); err != nil {
			return fmt.Errorf("index %d events: %w", len(evs), err)
		}
		last := evs[len(evs)-1].Position
		if _, err := s.wconn.ExecContext(ctx, `INSERT OR REPLACE INTO checkpoints (name, position) VALUES (?, ?)`, indexCheckpoint, last); err != nil {
			return fmt.Errorf("save the stream index checkpoint: %w", err)
		}
		for origin, seq := range s.origins {
			if _, err := s.wconn.ExecContext(ctx, `INSERT OR REPLACE INTO origins (origin, last_seq) VALUES (?, ?)`, origin, seq); err != nil {
				return fmt.Errorf("save origin_seq of %s: %w", origin, err)
			}
		}
		s.indexed, evs = last, nil
	}
	s.unindexed = map[string]int64{}
	rs := make([]row, len(evs))
	for i := range evs {
		rs[i] = row{e: &evs[i], version: evs[i].StreamVersion}
		s.unindexed[evs[i].StreamID] = evs[i].StreamVersion
	}
	s.recent.add(rs, s.indexed)
	return nil
}

// indexStreams moves the unindexed events into stream_index inside the
// group's transaction when indexBatch of them wait.
func (s *Store) indexStreams(ctx context.Context, st *groupState) error {
	st.indexed = s.indexed
	if st.head-s.indexed < indexBatch {
		return nil
	}
	if _, err := s.stmts.move.ExecContext(ctx, s.indexed); err != nil {
		return fmt.Errorf("index the events after %d: %w", s.indexed, err)
	}
	if _, err := s.stmts.saveIndexed.ExecContext(ctx, indexCheckpoint, st.head); err != nil {
		return fmt.Errorf("save the stream index checkpoint: %w", err)
	}
	if err := s.saveOrigins(ctx, st); err != nil {
		return err
	}
	st.indexed = st.head
	return nil
}

// unindexedVersion is a stream's version among the unindexed events.
func (s *Store) unindexedVersion(id string) (int64, bool) {
	v, ok := s.unindexed[id]
	return v, ok
}

// indexedAfter records a committed group's streams among the unindexed
// ones, or forgets them all when the group indexed everything.
func (s *Store) indexedAfter(st groupState) {
	if st.indexed != s.indexed {
		s.indexed = st.indexed
		clear(s.unindexed)
		return
	}
	for id, v := range st.versions {
		s.unindexed[id] = v
	}
}

// withUnindexed completes the indexed events of a stream, read after tail
// was taken from memory, with the unindexed events in tail. An event moved
// into the index in between is in both; newer versions win nothing, since
// both hold the same events.
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

// loadOrigins fills the writer's origins map from the table and the
// unindexed events.
func (s *Store) loadOrigins(ctx context.Context, unindexed []eventstore.Event) error {
	rows, err := s.wconn.QueryContext(ctx, `SELECT origin, last_seq FROM origins`)
	if err != nil {
		return fmt.Errorf("read origin sequences: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var origin string
		var seq int64
		if err := rows.Scan(&origin, &seq); err != nil {
			return fmt.Errorf("read origin sequences: %w", err)
		}
		s.origins[origin] = seq
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read origin sequences: %w", err)
	}
	for _, e := range unindexed {
		s.origins[e.Origin] = max(s.origins[e.Origin], e.OriginSeq)
	}
	return nil
}
