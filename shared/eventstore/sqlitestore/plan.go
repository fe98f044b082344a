package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"conference/shared/eventstore"
	"conference/shared/eventstore/internal/appendplan"
)

// plan checks one batch against the group and the committed state and
// completes its envelopes (appendplan's rules, shared with every store).
func (s *Store) plan(ctx context.Context, st *groupState, b eventstore.Batch) (eventstore.Result, []row, error) {
	return st.Plan(ctx, lookup{s}, s.envelope(), b)
}

func (s *Store) envelope() appendplan.Envelope {
	return appendplan.Envelope{Node: s.opts.Node, Seen: s.opts.Seen, Clock: s.opts.Clock, Now: s.opts.Now}
}

// lookup answers the planner from the writer's caches, then the file. The
// caches are sound because the file lock makes this writer the only one
// that appends events.
type lookup struct{ s *Store }

func (l lookup) StreamVersion(ctx context.Context, id string) (int64, error) {
	s := l.s
	if v, ok := s.versions[id]; ok {
		return v, nil
	}
	if v, ok := s.unindexed[id]; ok { // not in stream_index yet
		return v, nil
	}
	var v int64
	if err := s.stmts.version.QueryRowContext(ctx, id).Scan(&v); err != nil {
		return 0, fmt.Errorf("read version of %s: %w", id, err)
	}
	return v, nil
}

// OriginSeq reads the writer's map, which knows every origin (loadUnindexed).
func (l lookup) OriginSeq(origin string) int64 { return l.s.origins[origin] }

func (l lookup) Duplicate(ctx context.Context, b eventstore.Batch) (eventstore.Result, bool, error) {
	return l.s.duplicate(ctx, b)
}

// saveOrigins stores every origin's last origin_seq as of the end of the
// group; the writer does so when it indexes a batch, so the table is as
// current as the stream index checkpoint, and a restart finds the rest in
// the unindexed events. Writing the row at every commit cost each commit
// a page.
func (s *Store) saveOrigins(ctx context.Context, st *groupState) error {
	for origin, seq := range s.origins {
		if v, ok := st.Origins[origin]; ok {
			seq = v
		}
		if _, err := s.stmts.saveOrigin.ExecContext(ctx, origin, seq); err != nil {
			return fmt.Errorf("save origin_seq of %s: %w", origin, err)
		}
	}
	for origin, seq := range st.Origins {
		if _, known := s.origins[origin]; known {
			continue
		}
		if _, err := s.stmts.saveOrigin.ExecContext(ctx, origin, seq); err != nil {
			return fmt.Errorf("save origin_seq of %s: %w", origin, err)
		}
	}
	return nil
}

func (s *Store) writeMessages(ctx context.Context, st *groupState, b eventstore.Batch) error {
	for _, m := range b.Outbox {
		if _, err := s.stmts.message.ExecContext(ctx, messageArgs(m, s.opts.Now())...); err != nil {
			return fmt.Errorf("insert outbox message %s (%s): %w", m.ID, m.Type, err)
		}
		st.message = true
	}
	if p := b.Processed; p != nil {
		if _, err := s.stmts.processed.ExecContext(ctx, p.Handler, p.MessageID[:], s.opts.Now().UnixMilli()); err != nil {
			return fmt.Errorf("mark %s processed by %s: %w", p.MessageID, p.Handler, err)
		}
	}
	return nil
}

// duplicate reports whether every event of b is already stored in b's stream,
// and if so the result the original append produced.
func (s *Store) duplicate(ctx context.Context, b eventstore.Batch) (eventstore.Result, bool, error) {
	var res eventstore.Result
	for _, e := range b.Events {
		var pos, version int64
		err := s.stmts.exists.QueryRowContext(ctx, e.EventID[:]).Scan(&pos, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return res, false, nil
		}
		if err != nil {
			return res, false, fmt.Errorf("look up event %s: %w", e.EventID, err)
		}
		res = eventstore.Result{Version: version, LastPosition: pos, Duplicate: true}
	}
	return res, true, nil
}
