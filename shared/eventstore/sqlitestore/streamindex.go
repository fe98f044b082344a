package sqlitestore

import (
	"context"
	"fmt"
)

// The stream index (stream_id, stream_version -> position) is kept in its
// own table, filled by the writer in batches (migration 0002 says why).
// Events past stream_index_head.upto, the log's tail, are not in it yet;
// readers find them by scanning the tail, which the writer keeps short.
// Both parts are read in one statement, so one snapshot answers for both.

// indexBatch is how long the tail may grow under load before the writer
// indexes it. Longer batches write each index page for more events; a
// shorter tail is quicker for readers to scan. 1,024 measured best (about
// 20 commits of 55 appends per batch; the scan costs readers tens of µs).
const indexBatch = 1024

// quietGroup is the group size below which the writer indexes the tail at
// once: few appends touch few index pages, so batching gains little, and
// a quiet store keeps its tail empty for readers.
const quietGroup = 8

const (
	// tailFrom is the first position readers must look for in the tail.
	tailFrom = `(SELECT upto FROM stream_index_head WHERE id = 1)`

	indexTailSQL = `INSERT INTO stream_index (stream_id, stream_version, position)
		SELECT stream_id, stream_version, position FROM events
		WHERE position > ? ORDER BY stream_id, stream_version`
	indexHeadSQL = `UPDATE stream_index_head SET upto = ? WHERE id = 1`
	readIndexSQL = `SELECT upto FROM stream_index_head WHERE id = 1`

	streamVersionSQL = `SELECT COALESCE(MAX(v), 0) FROM (
		SELECT MAX(stream_version) AS v FROM stream_index WHERE stream_id = ?1
		UNION ALL
		SELECT MAX(stream_version) FROM events WHERE position > ` + tailFrom + ` AND stream_id = ?1)`
)

// streamEventsSQL selects the events of the streams matched by where (a
// condition on stream_id and stream_version, the same for both parts),
// from the index and from the tail.
func streamEventsSQL(where, orderBy string) string {
	return `SELECT ` + eventColumns + ` FROM events WHERE position IN (
			SELECT position FROM stream_index WHERE ` + where + `)
		UNION ALL
		SELECT ` + eventColumns + ` FROM events WHERE position > ` + tailFrom + ` AND ` + where + `
		ORDER BY ` + orderBy
}

// loadIndexHead reads how far the stream index reaches.
func (s *Store) loadIndexHead(ctx context.Context) error {
	if err := s.wconn.QueryRowContext(ctx, readIndexSQL).Scan(&s.indexed); err != nil {
		return fmt.Errorf("read stream index head: %w", err)
	}
	return nil
}

// indexStreams indexes the tail inside the group's transaction when it is
// due: the tail has grown to indexBatch, or the group is a quiet one.
func (s *Store) indexStreams(ctx context.Context, st *groupState, groupSize int) error {
	st.indexed = s.indexed
	tail := st.head - s.indexed
	if tail <= 0 || (tail < indexBatch && groupSize >= quietGroup) {
		return nil
	}
	if _, err := s.stmts.indexTail.ExecContext(ctx, s.indexed); err != nil {
		return fmt.Errorf("index streams of positions %d to %d: %w", s.indexed+1, st.head, err)
	}
	if _, err := s.stmts.indexHead.ExecContext(ctx, st.head); err != nil {
		return fmt.Errorf("save stream index head %d: %w", st.head, err)
	}
	st.indexed = st.head
	return nil
}
