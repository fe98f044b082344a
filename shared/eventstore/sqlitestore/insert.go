package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// args binds r to the events insert, column for column.
func args(r row) []any {
	e := r.E
	return []any{e.Position, e.EventID[:], e.StreamID, e.StreamType, r.Version, e.Type, e.Schema, e.Data,
		e.Origin, e.OriginSeq, e.Seen, int64(e.HLC), nullID(e.CorrelationID), nullID(e.CausationID), e.RecordedAt.UnixMilli()}
}

// insertEach inserts rows one statement each, telling a duplicate id apart.
func (s *Store) insertEach(ctx context.Context, rows []row) error {
	for _, r := range rows {
		res, err := s.stmts.insert.ExecContext(ctx, args(r)...)
		if err != nil {
			return fmt.Errorf("insert event %s into %s: %w", r.E.EventID, r.E.StreamID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: event %s already stored", errSlowPath, r.E.EventID)
		}
	}
	return nil
}

// insertAll inserts rows with multi-row statements of fixed sizes, so a few
// prepared statements cover any group. Every row must land at its planned
// position.
func (s *Store) insertAll(ctx context.Context, all []row) error {
	for rows := all; len(rows) > 0; {
		n := chunkFor(len(rows))
		stmt, err := s.insertStmt(ctx, n)
		if err != nil {
			return err
		}
		a := make([]any, 0, n*insertColumns)
		for _, r := range rows[:n] {
			a = append(a, args(r)...)
		}
		res, err := stmt.ExecContext(ctx, a...)
		if err != nil {
			return err
		}
		if got, _ := res.RowsAffected(); got != int64(n) {
			return fmt.Errorf("inserted %d of %d rows", got, n)
		}
		rows = rows[n:]
	}
	return nil
}

// chunkSizes are the multi-row statement sizes, largest first.
var chunkSizes = []int{128, 64, 32, 16, 8, 4, 2, 1}

// chunkFor is the largest statement size that n rows fill.
func chunkFor(n int) int {
	for _, size := range chunkSizes {
		if n >= size {
			return size
		}
	}
	return 1
}

const insertColumns = 15

const insertPrefix = `INSERT INTO events (position, event_id, stream_id, stream_type, stream_version, type, schema, data,
	origin, origin_seq, seen, hlc, correlation_id, causation_id, recorded_at) VALUES `

func (s *Store) insertStmt(ctx context.Context, n int) (*sql.Stmt, error) {
	if st, ok := s.stmts.multi[n]; ok {
		return st, nil
	}
	var b strings.Builder
	b.WriteString(insertPrefix)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	b.WriteString(" ON CONFLICT (event_id) DO NOTHING")
	st, err := s.wconn.PrepareContext(ctx, b.String())
	if err != nil {
		return nil, fmt.Errorf("prepare %d-row insert: %w", n, err)
	}
	s.stmts.multi[n] = st
	return st, nil
}
