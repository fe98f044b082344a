package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/eventstore/internal/appendplan"
)

// request is one Commit waiting for the group writer.
type request struct {
	ctx   context.Context
	batch eventstore.Batch
	// chain, when set, replaces batch: batches that commit together, in
	// order, or not at all (CommitAll).
	chain []eventstore.Batch
	// write, when set, replaces batch: an adapter's own statements, run
	// inside the group's transaction (Write).
	write func(Tx) error
	done  chan outcome
}

type outcome struct {
	res     eventstore.Result
	results []eventstore.Result // of a chain
	err     error
}

// errSlowPath aborts the fast path of a group: some request needs its own
// savepoint (a half-duplicate batch or an unexpected constraint failure).
var errSlowPath = errors.New("group needs per-request savepoints")

type writeStmts struct {
	begin, commit, rollback          *sql.Stmt
	savepoint, release, rollbackTo   *sql.Stmt
	version, exists, insert, message *sql.Stmt
	processed, saveOrigin            *sql.Stmt
	move, saveIndexed                *sql.Stmt
	multi                            map[int]*sql.Stmt
}

func (w *writeStmts) all() []*sql.Stmt {
	var out []*sql.Stmt
	for _, s := range []*sql.Stmt{w.begin, w.commit, w.rollback, w.savepoint, w.release, w.rollbackTo,
		w.version, w.exists, w.insert, w.message, w.processed, w.saveOrigin, w.move, w.saveIndexed} {
		if s != nil {
			out = append(out, s)
		}
	}
	for _, s := range w.multi {
		out = append(out, s)
	}
	return out
}

// preparer returns a function that prepares q on db into *dst.
func preparer(ctx context.Context, db interface {
	PrepareContext(context.Context, string) (*sql.Stmt, error)
}) func(dst **sql.Stmt, q string) error {
	return func(dst **sql.Stmt, q string) error {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		*dst = st
		return nil
	}
}

// prepare readies the writer's statements once. Transactions are driven by
// plain BEGIN/COMMIT on the dedicated connection because database/sql would
// re-prepare connection-bound statements for every *sql.Tx.
func (s *Store) prepare(ctx context.Context) error {
	p := preparer(ctx, s.wconn)
	w := &s.stmts
	w.multi = map[int]*sql.Stmt{}
	return errors.Join(
		p(&w.begin, `BEGIN IMMEDIATE`),
		p(&w.commit, `COMMIT`),
		p(&w.rollback, `ROLLBACK`),
		p(&w.savepoint, `SAVEPOINT request`),
		p(&w.release, `RELEASE request`),
		p(&w.rollbackTo, `ROLLBACK TO request`),
		p(&w.version, streamVersionSQL),
		p(&w.move, moveSQL),
		p(&w.saveIndexed, `INSERT INTO checkpoints (name, position) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET position = excluded.position`),
		p(&w.exists, `SELECT position, stream_version FROM events WHERE event_id = ?`),
		p(&w.insert, insertPrefix+`(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (event_id) DO NOTHING`),
		p(&w.saveOrigin, `INSERT INTO origins (origin, last_seq) VALUES (?, ?)
			ON CONFLICT (origin) DO UPDATE SET last_seq = excluded.last_seq`),
		p(&w.message, insertMessage),
		p(&w.processed, `INSERT OR IGNORE INTO processed_messages (handler, message_id, processed_at) VALUES (?, ?, ?)`),
	)
}

// Append stores events for one stream; see eventstore.Store.
func (s *Store) Append(ctx context.Context, stream eventstore.Stream, expected int64, events []eventstore.Event) (eventstore.Result, error) {
	return s.Commit(ctx, eventstore.Batch{Stream: stream, ExpectedVersion: expected, Events: events})
}

// Commit hands the batch to the group writer and waits for its own result.
// If ctx ends while waiting, the batch may still be committed: callers retry
// with the same event ids, which makes the retry a no-op.
func (s *Store) Commit(ctx context.Context, b eventstore.Batch) (eventstore.Result, error) {
	if err := appendplan.Validate(&b); err != nil {
		return eventstore.Result{}, err
	}
	r := &request{ctx: ctx, batch: b, done: make(chan outcome, 1)}
	select {
	case s.reqs <- r:
	case <-s.quit:
		return eventstore.Result{}, eventstore.ErrClosed
	case <-ctx.Done():
		return eventstore.Result{}, ctx.Err()
	}
	select {
	case o := <-r.done:
		return o.res, o.err
	case <-ctx.Done():
		return eventstore.Result{}, ctx.Err()
	}
}

// run is the single writer. It takes one request, then every request already
// waiting, and commits them in one transaction.
func (s *Store) run() {
	defer close(s.stopped)
	group := make([]*request, 0, s.opts.MaxGroup)
	busy := false
	for {
		select {
		case r := <-s.reqs:
			group = s.collect(append(group[:0], r), busy)
			busy = len(group) > 1
			s.writeGroup(group)
		case <-s.quit:
			return
		}
	}
}

// collect adds every request already waiting. Under load (the previous group
// had company) it also yields a few times first, so the callers it just
// answered can submit again and share this transaction instead of forming
// a half-empty group after it: fewer commits, fewer WAL page writes.
func (s *Store) collect(group []*request, busy bool) []*request {
	idle := 0
	for len(group) < s.opts.MaxGroup {
		select {
		case r := <-s.reqs:
			group = append(group, r)
			idle = 0
		default:
			if !busy || idle >= yieldsPerGroup {
				return group
			}
			idle++
			runtime.Gosched()
		}
	}
	return group
}

// yieldsPerGroup bounds the wait for stragglers; a solitary caller never
// pays it, since busy is false then.
const yieldsPerGroup = 3

// groupState is what a group may change before it knows it committed. The
// maps overlay the writer's caches until then.
type groupState struct {
	*appendplan.Group
	start    int64 // head before the group
	indexed  int64 // how far the stream index reaches once the group commits
	message  bool
	requests int
	rows     []row // the events committed, in position order
}

// row is one event ready to insert, its envelope complete.
type row = appendplan.Row

func (s *Store) writeGroup(group []*request) {
	ctx := context.Background()
	live := group[:0:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- outcome{err: err}
			continue
		}
		live = append(live, r)
	}
	// A chain must not share its all-or-nothing transaction with requests
	// that would fail with it; it gets a transaction of its own.
	single := live[:0:0]
	for _, r := range live {
		if r.chain != nil {
			s.writeChain(ctx, r)
		} else {
			single = append(single, r)
		}
	}
	live = single
	if len(live) == 0 {
		return
	}
	outs := make([]outcome, len(live))
	start := time.Now()
	st, err := s.tryGroup(ctx, live, outs, false, false)
	if errors.Is(err, errSlowPath) {
		st, err = s.tryGroup(ctx, live, outs, true, false)
	}
	s.opts.Observe.Observe(eventstore.Commit{Events: len(st.rows), Duration: time.Since(start), Err: err})
	if err != nil {
		s.log.Error("event store group commit failed", "requests", len(live), "err", err)
		for _, r := range live {
			r.done <- outcome{err: fmt.Errorf("commit: %w", err)}
		}
		return
	}
	st.requests = len(live)
	s.publish(st)
	for i, r := range live {
		r.done <- outs[i]
	}
}

// tryGroup runs the whole group in one transaction. The fast path plans every
// request, then inserts all their events with a few multi-row statements; any
// surprise (a duplicate id an insert skipped, a constraint failure) aborts it
// with errSlowPath. The slow path gives each request its own savepoint and
// inserts row by row, so a bad request fails alone.
//
// With allOrNothing, the first request that fails aborts the transaction
// and its error is returned, so nothing of the group is written.
func (s *Store) tryGroup(ctx context.Context, group []*request, outs []outcome, savepoints, allOrNothing bool) (groupState, error) {
	s.notifyMu.Lock()
	st := groupState{Group: appendplan.NewGroup(s.head), start: s.head}
	s.notifyMu.Unlock()
	// The writer's statements bypass the pool's gate (they are prepared on
	// its own connection), so it takes the gate itself.
	if err := s.gate.acquire(ctx); err != nil {
		return st, err
	}
	defer s.gate.release()
	if _, err := s.stmts.begin.ExecContext(ctx); err != nil {
		return st, err
	}
	var rows []row
	for i, r := range group {
		if r.write != nil { // it has a savepoint of its own
			if err := s.runWrite(ctx, r, &outs[i]); err != nil {
				return st, s.abort(ctx, err)
			}
			continue
		}
		if savepoints {
			if _, err := s.stmts.savepoint.ExecContext(ctx); err != nil {
				return st, s.abort(ctx, err)
			}
		}
		before, hadMessage := st.Mark(r.batch, s.opts.Node), st.message
		res, planned, err := s.plan(ctx, &st, r.batch)
		if err == nil && savepoints {
			if err = s.insertEach(ctx, planned); errors.Is(err, errSlowPath) {
				// Undo this request's rows before asking whether all its
				// ids were stored already (an AnyVersion retry).
				if _, rerr := s.stmts.rollbackTo.ExecContext(ctx); rerr != nil {
					return st, s.abort(ctx, rerr)
				}
				if dup, ok, derr := s.duplicate(ctx, r.batch); derr == nil && ok {
					st.Restore(before)
					res, planned, err = dup, nil, nil
				}
			}
		}
		if err == nil {
			err = s.writeMessages(ctx, &st, r.batch)
		}
		switch {
		case err == nil:
			rows = append(rows, planned...)
		case isConflict(err):
			st.Restore(before) // plan records nothing before its checks pass
			st.message = hadMessage
		case !savepoints:
			return st, s.abort(ctx, errSlowPath)
		default:
			if _, rerr := s.stmts.rollbackTo.ExecContext(ctx); rerr != nil {
				return st, s.abort(ctx, rerr)
			}
			st.Restore(before)
			st.message = hadMessage
			if errors.Is(err, errSlowPath) {
				err = fmt.Errorf("%w: batch for %s mixes stored and new event ids", eventstore.ErrInvalid, r.batch.Stream.ID)
			}
		}
		if savepoints {
			if _, err := s.stmts.release.ExecContext(ctx); err != nil {
				return st, s.abort(ctx, err)
			}
		}
		outs[i] = outcome{res: res, err: err}
	}
	if allOrNothing {
		for i, o := range outs {
			if o.err != nil {
				return st, s.abort(ctx, fmt.Errorf("batch %d of %d (stream %s): %w", i+1, len(outs), group[i].batch.Stream.ID, o.err))
			}
		}
	}
	if !savepoints {
		if err := s.insertAll(ctx, rows); err != nil {
			return st, s.abort(ctx, errSlowPath)
		}
	}
	if err := s.indexStreams(ctx, &st); err != nil {
		return st, s.abort(ctx, err)
	}
	if _, err := s.stmts.commit.ExecContext(ctx); err != nil {
		return st, s.abort(ctx, err)
	}
	st.rows = rows
	return st, nil
}

func (s *Store) abort(ctx context.Context, cause error) error {
	if _, err := s.stmts.rollback.ExecContext(ctx); err != nil {
		return errors.Join(cause, fmt.Errorf("rollback: %w", err))
	}
	return cause
}

func isConflict(err error) bool {
	var ce *eventstore.ConflictError
	return errors.As(err, &ce) || errors.Is(err, eventstore.ErrInvalid)
}

// maxCachedStreams bounds the version cache; past it the cache starts over,
// which costs one SELECT per stream to refill.
const maxCachedStreams = 100_000

// publish makes a committed group visible to waiters and its versions to the
// writer's caches.
func (s *Store) publish(st groupState) {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	if len(s.versions) > maxCachedStreams {
		s.versions = map[string]int64{}
	}
	for id, v := range st.Versions {
		s.versions[id] = v
	}
	for o, v := range st.Origins {
		s.origins[o] = v
	}
	moved := st.indexed != s.indexed
	s.indexedAfter(st)
	s.groups++
	s.grouped += int64(st.requests)
	if st.Events || moved {
		s.recent.add(st.rows, st.indexed)
	}
	if st.Events {
		s.head = st.Head
		close(s.appended)
		s.appended = make(chan struct{})
	}
	if st.message {
		close(s.messaged)
		s.messaged = make(chan struct{})
	}
	s.streams.Wake(maps.Keys(st.Versions))
}

func nullID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id[:]
}
