package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
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
	if err := validate(&b); err != nil {
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

func validate(b *eventstore.Batch) error {
	if len(b.Events) > 0 && (b.Stream.ID == "" || b.Stream.Type == "") {
		return fmt.Errorf("%w: events need a stream id and type", eventstore.ErrInvalid)
	}
	if b.ExpectedVersion < eventstore.AnyVersion {
		return fmt.Errorf("%w: expected version %d", eventstore.ErrInvalid, b.ExpectedVersion)
	}
	for i := range b.Events {
		e := &b.Events[i]
		switch {
		case e.EventID == uuid.Nil:
			return fmt.Errorf("%w: event %d of %s has no event id", eventstore.ErrInvalid, i, b.Stream.ID)
		case e.Type == "":
			return fmt.Errorf("%w: event %d of %s has no type", eventstore.ErrInvalid, i, b.Stream.ID)
		case e.Schema < 1:
			return fmt.Errorf("%w: event %s of type %s has schema %d", eventstore.ErrInvalid, e.EventID, e.Type, e.Schema)
		case e.StreamID != "" && e.StreamID != b.Stream.ID:
			return fmt.Errorf("%w: event %s belongs to stream %s, not %s", eventstore.ErrInvalid, e.EventID, e.StreamID, b.Stream.ID)
		case e.Origin != "" && e.OriginSeq < 1:
			return fmt.Errorf("%w: replicated event %s from %s has origin_seq %d", eventstore.ErrInvalid, e.EventID, e.Origin, e.OriginSeq)
		case e.Data == nil:
			e.Data = []byte("{}")
		}
	}
	for i := range b.Outbox {
		if b.Outbox[i].ID == uuid.Nil || b.Outbox[i].Type == "" {
			return fmt.Errorf("%w: outbox message %d needs an id and a type", eventstore.ErrInvalid, i)
		}
	}
	return nil
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
	head     int64
	start    int64 // head before the group
	indexed  int64 // how far the stream index reaches once the group commits
	events   bool
	message  bool
	requests int
	versions map[string]int64 // stream -> version within this group
	rows     []row            // the events committed, in position order
	origins  map[string]int64 // origin -> last seq within this group
}

// row is one event ready to insert, its envelope complete.
type row struct {
	e       *eventstore.Event
	version int64
}

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
	st, err := s.tryGroup(ctx, live, outs, false, false)
	if errors.Is(err, errSlowPath) {
		st, err = s.tryGroup(ctx, live, outs, true, false)
	}
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
	st := groupState{head: s.head, start: s.head, versions: map[string]int64{}, origins: map[string]int64{}}
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
		before := st.mark(r.batch, s.opts.Node)
		res, planned, err := s.plan(ctx, &st, r.batch)
		if err == nil && savepoints {
			if err = s.insertEach(ctx, planned); errors.Is(err, errSlowPath) {
				// Undo this request's rows before asking whether all its
				// ids were stored already (an AnyVersion retry).
				if _, rerr := s.stmts.rollbackTo.ExecContext(ctx); rerr != nil {
					return st, s.abort(ctx, rerr)
				}
				if dup, ok, derr := s.duplicate(ctx, r.batch); derr == nil && ok {
					st.restore(before)
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
			st.restore(before) // plan records nothing before its checks pass
		case !savepoints:
			return st, s.abort(ctx, errSlowPath)
		default:
			if _, rerr := s.stmts.rollbackTo.ExecContext(ctx); rerr != nil {
				return st, s.abort(ctx, rerr)
			}
			st.restore(before)
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
	if v, ok := s.unindexedVersion(id); ok {
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
	for id, v := range st.versions {
		s.versions[id] = v
	}
	for o, v := range st.origins {
		s.origins[o] = v
	}
	s.indexedAfter(st)
	s.groups++
	s.grouped += int64(st.requests)
	if st.events {
		s.recent.add(st.rows, st.indexed)
		s.head = st.head
		close(s.appended)
		s.appended = make(chan struct{})
	}
	if st.message {
		close(s.messaged)
		s.messaged = make(chan struct{})
	}
	if len(s.watchers) > 0 {
		for id := range st.versions {
			for ch := range s.watchers[id] {
				close(ch)
			}
			delete(s.watchers, id)
		}
	}
}

func nullID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id[:]
}
