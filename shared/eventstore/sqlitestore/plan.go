package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"conference/shared/eventstore"
)

// plan checks one batch against the stream and origin state and completes
// its envelopes, assigning positions, without writing events. Conflicts and
// duplicates are found here, before anything is written.
func (s *Store) plan(ctx context.Context, st *groupState, b eventstore.Batch) (eventstore.Result, []row, error) {
	var res eventstore.Result
	if len(b.Events) == 0 {
		return res, nil, nil
	}
	current, err := s.streamVersion(ctx, st, b.Stream.ID)
	if err != nil {
		return res, nil, err
	}
	if b.ExpectedVersion != eventstore.AnyVersion && b.ExpectedVersion != current {
		if dup, ok, err := s.duplicate(ctx, b); err != nil || ok {
			return dup, nil, err
		}
		return res, nil, &eventstore.ConflictError{StreamID: b.Stream.ID, Expected: b.ExpectedVersion, Actual: current}
	}
	// Replicated events must continue their origin's sequence; one at or
	// below it is a redelivery, which must be a duplicate by id as well.
	for i := range b.Events {
		e := &b.Events[i]
		if e.Origin == "" {
			continue
		}
		last := s.originSeq(st, e.Origin)
		if e.OriginSeq <= last+int64(i) {
			if dup, ok, err := s.duplicate(ctx, b); err != nil || ok {
				return dup, nil, err
			}
			return res, nil, fmt.Errorf("%w: event %s from %s reuses origin_seq %d (stored up to %d)", eventstore.ErrInvalid, e.EventID, e.Origin, e.OriginSeq, last)
		}
		break
	}
	now := s.opts.Now().UnixMilli()
	rows := make([]row, len(b.Events))
	envs := append([]eventstore.Event(nil), b.Events...) // the caller's slice stays untouched
	for i := range envs {
		e := &envs[i]
		if e.Origin == "" {
			last := s.originSeq(st, s.opts.Node)
			e.Origin, e.OriginSeq, e.Seen = s.opts.Node, last+1, s.opts.Seen(st.head)
		} else if last := st.origins[e.Origin]; i > 0 && e.OriginSeq <= last {
			return res, nil, fmt.Errorf("%w: events of %s out of origin order in one batch", eventstore.ErrInvalid, e.Origin)
		}
		if e.HLC == 0 {
			e.HLC = s.opts.Clock.Now()
		}
		e.StreamID, e.StreamType = b.Stream.ID, b.Stream.Type
		e.RecordedAt = time.UnixMilli(now)
		st.head++
		e.Position = st.head
		st.origins[e.Origin] = e.OriginSeq
		rows[i] = row{e: e, version: current + int64(i) + 1}
	}
	st.versions[b.Stream.ID] = current + int64(len(b.Events))
	st.events = true
	res.Version, res.LastPosition = current+int64(len(b.Events)), st.head
	return res, rows, nil
}

// streamVersion reads a stream's version through the group overlay and the
// writer's cache. The cache is sound because the file lock makes this
// writer the only one that appends events.
func (s *Store) streamVersion(ctx context.Context, st *groupState, id string) (int64, error) {
	if v, ok := st.versions[id]; ok {
		return v, nil
	}
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
	st.versions[id] = v
	return v, nil
}

// originSeq is an origin's last origin_seq through the group overlay and
// the writer's map, which knows every origin (loadUnindexed).
func (s *Store) originSeq(st *groupState, origin string) int64 {
	if v, ok := st.origins[origin]; ok {
		return v
	}
	return s.origins[origin]
}

// saveOrigins stores every origin's last origin_seq as of the end of the
// group; the writer does so when it indexes a batch, so the table is as
// current as the stream index checkpoint, and a restart finds the rest in
// the unindexed events. Writing the row at every commit cost each commit
// a page.
func (s *Store) saveOrigins(ctx context.Context, st *groupState) error {
	for origin, seq := range s.origins {
		if v, ok := st.origins[origin]; ok {
			seq = v
		}
		if _, err := s.stmts.saveOrigin.ExecContext(ctx, origin, seq); err != nil {
			return fmt.Errorf("save origin_seq of %s: %w", origin, err)
		}
	}
	for origin, seq := range st.origins {
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

// undo is what one request may change in a groupState, kept to restore
// if the request fails. Copying the state's maps for every request would
// cost a group of n requests n² map writes.
type undo struct {
	head            int64
	events, message bool
	stream          string
	version         int64
	hadVersion      bool
	origins         []originUndo
}

type originUndo struct {
	origin string
	seq    int64
	had    bool
}

// mark records the entries of st that batch b may change.
func (g *groupState) mark(b eventstore.Batch, node string) undo {
	u := undo{head: g.head, events: g.events, message: g.message, stream: b.Stream.ID}
	u.version, u.hadVersion = g.versions[b.Stream.ID]
	keep := func(o string) {
		for _, k := range u.origins {
			if k.origin == o {
				return
			}
		}
		seq, had := g.origins[o]
		u.origins = append(u.origins, originUndo{o, seq, had})
	}
	keep(node)
	for i := range b.Events {
		if o := b.Events[i].Origin; o != "" {
			keep(o)
		}
	}
	return u
}

// restore puts back what mark recorded.
func (g *groupState) restore(u undo) {
	g.head, g.events, g.message = u.head, u.events, u.message
	if u.hadVersion {
		g.versions[u.stream] = u.version
	} else {
		delete(g.versions, u.stream)
	}
	for _, k := range u.origins {
		if k.had {
			g.origins[k.origin] = k.seq
		} else {
			delete(g.origins, k.origin)
		}
	}
}
