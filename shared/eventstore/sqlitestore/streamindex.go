package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// The stream index (stream_id, stream_version -> position) lives in two
// tables (migration 0002 says why): stream_tail takes the entries of new
// events in the same statement-batch as the events themselves, and the
// writer moves the tail into stream_index in batches. Readers look in
// both within one statement, so one snapshot answers for both.

// indexBatch is how long the tail may grow under load before the writer
// moves it into stream_index. Longer batches write each page of the big
// index for more events; a shorter tail keeps stream_tail's pages few.
const indexBatch = 1024

// quietGroup is the group size below which the writer moves the tail at
// once: few appends touch few index pages, so batching gains little.
const quietGroup = 8

const (
	moveTailSQL  = `INSERT INTO stream_index (stream_id, stream_version, position) SELECT stream_id, stream_version, position FROM stream_tail`
	clearTailSQL = `DELETE FROM stream_tail`
	tailSizeSQL  = `SELECT count(*) FROM stream_tail`

	streamVersionSQL = `SELECT COALESCE(MAX(v), 0) FROM (
		SELECT MAX(stream_version) AS v FROM stream_index WHERE stream_id = ?1
		UNION ALL
		SELECT MAX(stream_version) FROM stream_tail WHERE stream_id = ?1)`

	tailPrefix = `INSERT INTO stream_tail (stream_id, stream_version, position) VALUES `
)

// streamEventsSQL selects the events of the streams matched by where (a
// condition on stream_id and stream_version, the same for both tables).
func streamEventsSQL(where, orderBy string) string {
	return `SELECT ` + eventColumns + ` FROM events WHERE position IN (
			SELECT position FROM stream_index WHERE ` + where + `
			UNION ALL
			SELECT position FROM stream_tail WHERE ` + where + `)
		ORDER BY ` + orderBy
}

// loadTailSize reads how many entries wait in stream_tail.
func (s *Store) loadTailSize(ctx context.Context) error {
	if err := s.wconn.QueryRowContext(ctx, tailSizeSQL).Scan(&s.tail); err != nil {
		return fmt.Errorf("read stream index tail: %w", err)
	}
	return nil
}

// indexStreams moves the tail into stream_index inside the group's
// transaction when it is due: the tail has grown to indexBatch, or the
// group is a quiet one.
func (s *Store) indexStreams(ctx context.Context, st *groupState, groupSize int) error {
	st.tail = s.tail + (st.head - st.start)
	if st.tail <= 0 || (st.tail < indexBatch && groupSize >= quietGroup) {
		return nil
	}
	if _, err := s.stmts.moveTail.ExecContext(ctx); err != nil {
		return fmt.Errorf("index %d stream entries: %w", st.tail, err)
	}
	if _, err := s.stmts.clearTail.ExecContext(ctx); err != nil {
		return fmt.Errorf("clear stream index tail: %w", err)
	}
	st.tail = 0
	return nil
}

// tailStmt is the prepared statement adding n entries to stream_tail.
func (s *Store) tailStmt(ctx context.Context, n int) (*sql.Stmt, error) {
	if st, ok := s.stmts.tailMulti[n]; ok {
		return st, nil
	}
	q := tailPrefix + strings.TrimSuffix(strings.Repeat("(?,?,?),", n), ",")
	st, err := s.wconn.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare %d-entry tail insert: %w", n, err)
	}
	s.stmts.tailMulti[n] = st
	return st, nil
}

// insertTail adds the stream index entries of rows to stream_tail.
func (s *Store) insertTail(ctx context.Context, rows []row) error {
	for len(rows) > 0 {
		n := chunkFor(len(rows))
		stmt, err := s.tailStmt(ctx, n)
		if err != nil {
			return err
		}
		a := make([]any, 0, 3*n)
		for _, r := range rows[:n] {
			a = append(a, r.e.StreamID, r.version, r.e.Position)
		}
		if _, err := stmt.ExecContext(ctx, a...); err != nil {
			return fmt.Errorf("index %d events: %w", n, err)
		}
		rows = rows[n:]
	}
	return nil
}
