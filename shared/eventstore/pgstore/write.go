package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"conference/shared/eventstore"
	"conference/shared/eventstore/internal/appendplan"
)

// request is one Commit (or CommitAll chain) waiting for the writer.
type request struct {
	ctx   context.Context
	batch eventstore.Batch
	chain []eventstore.Batch // CommitAll: all or nothing, in order
	done  chan outcome
}

type outcome struct {
	res     eventstore.Result
	results []eventstore.Result
	err     error
}

// Append stores events for one stream; see eventstore.Store.
func (s *Store) Append(ctx context.Context, stream eventstore.Stream, expected int64, events []eventstore.Event) (eventstore.Result, error) {
	return s.Commit(ctx, eventstore.Batch{Stream: stream, ExpectedVersion: expected, Events: events})
}

// Commit hands the batch to the writer and waits for its own result. If
// ctx ends while waiting, the batch may still be committed: callers retry
// with the same event ids, which makes the retry a no-op.
func (s *Store) Commit(ctx context.Context, b eventstore.Batch) (eventstore.Result, error) {
	if err := appendplan.Validate(&b); err != nil {
		return eventstore.Result{}, err
	}
	o, err := s.submit(ctx, &request{ctx: ctx, batch: b, done: make(chan outcome, 1)})
	if err != nil {
		return eventstore.Result{}, err
	}
	return o.res, o.err
}

// CommitAll commits batches of several streams in the given order in one
// transaction: all of them or none (see sqlitestore.Store.CommitAll).
func (s *Store) CommitAll(ctx context.Context, batches []eventstore.Batch) ([]eventstore.Result, error) {
	if len(batches) == 0 {
		return nil, nil
	}
	chain := make([]eventstore.Batch, len(batches))
	copy(chain, batches)
	for i := range chain {
		if err := appendplan.Validate(&chain[i]); err != nil {
			return nil, fmt.Errorf("batch %d of %d: %w", i+1, len(chain), err)
		}
	}
	o, err := s.submit(ctx, &request{ctx: ctx, chain: chain, done: make(chan outcome, 1)})
	if err != nil {
		return nil, err
	}
	return o.results, o.err
}

func (s *Store) submit(ctx context.Context, r *request) (outcome, error) {
	select {
	case s.reqs <- r:
	case <-s.quit:
		return outcome{}, eventstore.ErrClosed
	case <-ctx.Done():
		return outcome{}, ctx.Err()
	}
	select {
	case o := <-r.done:
		return o, nil
	case <-ctx.Done():
		return outcome{}, ctx.Err()
	}
}

// writeGroup commits group and returns what the flusher must make durable
// before the callers hear of it.
func (s *Store) writeGroup(group []*request) *pending {
	ctx := context.Background()
	p := &pending{}
	var singles []*request
	for _, r := range group {
		switch {
		case r.ctx.Err() != nil:
			p.answer(r, outcome{err: r.ctx.Err()})
		case r.chain != nil:
			// A chain must not share its all-or-nothing transaction with
			// requests that would fail with it.
			reqs := make([]*request, len(r.chain))
			for i, b := range r.chain {
				reqs[i] = &request{ctx: r.ctx, batch: b}
			}
			outs, err := s.tryGroup(ctx, p, reqs, true)
			if err != nil {
				p.answer(r, outcome{err: err})
				continue
			}
			results := make([]eventstore.Result, len(outs))
			for i, o := range outs {
				results[i] = o.res
			}
			p.answer(r, outcome{results: results})
		default:
			singles = append(singles, r)
		}
	}
	if len(singles) == 0 {
		return p
	}
	outs, err := s.tryGroup(ctx, p, singles, false)
	if err == nil {
		for i, r := range singles {
			p.answer(r, outs[i])
		}
		return p
	}
	if len(singles) == 1 || errors.Is(err, eventstore.ErrUnavailable) {
		for _, r := range singles {
			p.answer(r, outcome{err: fmt.Errorf("commit: %w", err)})
		}
		return p
	}
	// Something in the group broke the transaction (it cannot be a
	// conflict: those are found before writing). Each request alone, so
	// the bad one fails by itself.
	s.log.Warn("event store group failed; committing its requests one by one", "requests", len(singles), "err", err)
	for _, r := range singles {
		outs, err := s.tryGroup(ctx, p, []*request{r}, false)
		if err != nil {
			p.answer(r, outcome{err: fmt.Errorf("commit: %w", err)})
			continue
		}
		p.answer(r, outs[0])
	}
	return p
}

// groupRead is what the first round trip of a group learns under the lock.
type groupRead struct {
	head     int64
	versions map[string]int64
	stored   map[uuid.UUID]storedEvent
	origins  map[string]int64
}

func newGroupRead() *groupRead {
	return &groupRead{versions: map[string]int64{}, stored: map[uuid.UUID]storedEvent{}, origins: map[string]int64{}}
}

type storedEvent struct {
	stream         string
	position, vers int64
}

// lookup answers the planner from the group's first round trip, plus the
// events the group itself planned (a retry inside one group is a
// duplicate of its first try).
type lookup struct {
	read    *groupRead
	planned map[uuid.UUID]storedEvent
}

func (l lookup) StreamVersion(_ context.Context, id string) (int64, error) {
	return l.read.versions[id], nil
}

func (l lookup) OriginSeq(origin string) int64 { return l.read.origins[origin] }

func (l lookup) stored(id uuid.UUID) (storedEvent, bool) {
	if e, ok := l.read.stored[id]; ok {
		return e, true
	}
	e, ok := l.planned[id]
	return e, ok
}

func (l lookup) Duplicate(_ context.Context, b eventstore.Batch) (eventstore.Result, bool, error) {
	var res eventstore.Result
	for _, e := range b.Events {
		st, ok := l.stored(e.EventID)
		if !ok || st.stream != b.Stream.ID {
			return res, false, nil
		}
		res = eventstore.Result{Version: st.vers, LastPosition: st.position, Duplicate: true}
	}
	return res, len(b.Events) > 0, nil
}

// tryGroup commits the group's requests in one transaction and returns each
// one's outcome. With allOrNothing (CommitAll) the first request that fails
// fails the call and nothing is written. It tries without holding the
// counter lock across round trips first (optimistic.go), and under the
// lock when that cannot be done or another replica raced it. The observer
// hears of the transaction (its durable flush comes after, in the flusher).
func (s *Store) tryGroup(ctx context.Context, p *pending, reqs []*request, allOrNothing bool) (outs []outcome, err error) {
	start, events := time.Now(), 0
	defer func() {
		s.opts.Observe.Observe(eventstore.Commit{Events: events, Duration: time.Since(start), Err: err})
	}()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, Classify(err)
	}
	// A connection left inside a transaction by a failure is closed by
	// the pool on release, never reused.
	defer conn.Release()
	if way := s.optimisticWay(reqs); way != underLock {
		outs, c, err := s.commitGroup(ctx, conn, reqs, allOrNothing, way)
		if err == nil {
			p.groups = append(p.groups, *c)
			events = len(c.rows)
			return outs, nil
		}
		if !errors.Is(err, errRaced) {
			return nil, err
		}
		s.mu.Lock()
		s.raced++
		s.mu.Unlock()
	}
	outs, c, err := s.commitGroup(ctx, conn, reqs, allOrNothing, underLock)
	if err != nil {
		return nil, err
	}
	p.groups = append(p.groups, *c)
	events = len(c.rows)
	return outs, nil
}

// commitGroup plans the requests and writes them. Under the lock, the
// first round trip takes the counter lock and reads what the checks need,
// and the plan is final; otherwise positions, the node's origin_seq and
// causal context are planned from 0 and drawn by the write under the lock
// (optimistic.go), after a first round trip that reads a snapshot
// (fromSnapshot) or none at all (fromExpected).
func (s *Store) commitGroup(ctx context.Context, conn *pgxpool.Conn, reqs []*request, allOrNothing bool, way planWay) ([]outcome, *committed, error) {
	locked := way == underLock
	var read *groupRead
	var expect expectations
	if way == fromExpected {
		read, expect = expectedRead(reqs)
	} else {
		var err error
		if read, err = s.readGroup(ctx, conn, reqs, locked); err != nil {
			return nil, nil, s.rollback(conn, err)
		}
	}
	var head int64
	if locked {
		head = read.head
	} else {
		delete(read.origins, s.opts.Node) // drawn at write time
	}
	g := appendplan.NewGroup(head)
	lk := lookup{read: read, planned: map[uuid.UUID]storedEvent{}}
	env := appendplan.Envelope{Node: s.opts.Node, Seen: causalContext, Clock: s.opts.Clock, Now: s.opts.Now}
	outs := make([]outcome, len(reqs))
	ofGroup := make([]bool, len(reqs)) // the result names positions of this group
	var rows []appendplan.Row
	var msgs []eventstore.Message
	var marks []eventstore.Processed
	msgIDs := map[uuid.UUID]bool{}
	for i, r := range reqs {
		b := r.batch
		before := g.Mark(b, s.opts.Node)
		res, planned, err := g.Plan(ctx, lk, env, b)
		if err == nil && len(planned) > 0 {
			// Expected version right, yet some id stored already: an
			// AnyVersion redelivery (all of them) or a mixed batch.
			if dup, ok, _ := lk.Duplicate(ctx, b); ok {
				g.Restore(before)
				res, planned = dup, nil
			} else if mixed(lk, b) {
				g.Restore(before)
				err = fmt.Errorf("%w: batch for %s mixes stored and new event ids", eventstore.ErrInvalid, b.Stream.ID)
			}
		}
		if err != nil {
			if allOrNothing && way == fromExpected {
				// Nothing will be written to check the assumptions this
				// failure came from: a wrong expectation in an earlier
				// batch would be reported as this batch's conflict.
				return nil, nil, errRaced
			}
			if allOrNothing {
				return nil, nil, s.rollback(conn, fmt.Errorf("batch %d of %d (stream %s): %w", i+1, len(reqs), b.Stream.ID, err))
			}
			outs[i] = outcome{err: err}
			continue
		}
		for _, p := range planned {
			lk.planned[p.E.EventID] = storedEvent{stream: b.Stream.ID, position: p.E.Position, vers: p.Version}
		}
		rows = append(rows, planned...)
		for _, m := range b.Outbox {
			if !msgIDs[m.ID] {
				msgIDs[m.ID] = true
				msgs = append(msgs, m)
			}
		}
		if b.Processed != nil {
			marks = append(marks, *b.Processed)
		}
		outs[i] = outcome{res: res}
		ofGroup[i] = len(planned) > 0 || (len(b.Events) > 0 && !inTable(read, b))
	}
	if !locked && s.betweenPlanAndWrite != nil {
		s.betweenPlanAndWrite()
	}
	if locked {
		msgHead, err := s.writeGroupRows(ctx, conn, g, read, rows, msgs, marks)
		if err != nil {
			return nil, nil, s.rollback(conn, err)
		}
		return outs, &committed{g: g, rows: rows, msgHead: msgHead, requests: len(reqs)}, nil
	}
	drawn, err := s.writeDrawn(ctx, conn, rows, msgs, marks, expect)
	if err != nil {
		return nil, nil, s.rollback(conn, err)
	}
	drawn.shift(g, rows, outs, ofGroup)
	return outs, &committed{g: g, rows: rows, msgHead: drawn.messages, requests: len(reqs)}, nil
}

// causalContext is a hub event's causal context: the log head it was
// appended after.
func causalContext(head int64) int64 { return head }

// mixed reports whether some, not all, of b's event ids are stored.
func mixed(lk lookup, b eventstore.Batch) bool {
	for _, e := range b.Events {
		if _, ok := lk.stored(e.EventID); ok {
			return true
		}
	}
	return false
}

func (s *Store) rollback(conn *pgxpool.Conn, cause error) error {
	if conn.Conn().PgConn().TxStatus() != 'I' {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
			conn.Conn().Close(ctx) // the pool drops it
		}
	}
	return Classify(cause)
}

// readGroup reads what the checks of every request need, in one round
// trip. locked: it opens the group's transaction and takes the counter
// lock first; otherwise it reads a snapshot and locks nothing.
func (s *Store) readGroup(ctx context.Context, conn *pgxpool.Conn, reqs []*request, locked bool) (*groupRead, error) {
	read := newGroupRead()
	var streams []string
	var ids [][]byte
	origins := []string{s.opts.Node}
	seenStream, seenOrigin := map[string]bool{}, map[string]bool{s.opts.Node: true}
	for _, r := range reqs {
		for _, e := range r.batch.Events {
			ids = append(ids, e.EventID[:])
			if o := e.Origin; o != "" && !seenOrigin[o] {
				seenOrigin[o] = true
				origins = append(origins, o)
			}
		}
		if id := r.batch.Stream.ID; len(r.batch.Events) > 0 && !seenStream[id] {
			seenStream[id] = true
			streams = append(streams, id)
		}
	}
	b := &pgx.Batch{}
	if locked {
		beginAppend(b)
	}
	if len(ids) > 0 {
		if locked {
			b.Queue(`SELECT value FROM counters WHERE name = 'events' FOR UPDATE`).QueryRow(func(row pgx.Row) error {
				return row.Scan(&read.head)
			})
		}
		// One backward index probe per stream: MAX() grouped over
		// stream_id = ANY(...) read every version of every stream, and
		// appends slowed as streams grew (50,000 events: 619/s).
		b.Queue(`SELECT s.id, v.stream_version FROM unnest($1::text[]) AS s(id)
			CROSS JOIN LATERAL (SELECT stream_version FROM events WHERE stream_id = s.id
				ORDER BY stream_version DESC LIMIT 1) v`, streams).Query(func(rows pgx.Rows) error {
			var id string
			var v int64
			_, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error { read.versions[id] = v; return nil })
			return err
		})
		b.Queue(`SELECT event_id, stream_id, position, stream_version FROM events WHERE event_id = ANY($1)`, ids).Query(func(rows pgx.Rows) error {
			var id []byte
			var e storedEvent
			_, err := pgx.ForEachRow(rows, []any{&id, &e.stream, &e.position, &e.vers}, func() error {
				read.stored[uuid.UUID(id)] = e
				return nil
			})
			return err
		})
		b.Queue(`SELECT origin, last_seq FROM origins WHERE origin = ANY($1)`, origins).Query(func(rows pgx.Rows) error {
			var o string
			var seq int64
			_, err := pgx.ForEachRow(rows, []any{&o, &seq}, func() error { read.origins[o] = seq; return nil })
			return err
		})
	}
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("read the group's state: %w", err)
	}
	return read, nil
}

const insertEvents = `INSERT INTO events (position, event_id, stream_id, stream_type, stream_version, type, schema, data,
	origin, origin_seq, seen, hlc, correlation_id, causation_id, recorded_at)
	SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::int[], $8::bytea[],
	$9::text[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bytea[], $14::bytea[], $15::bigint[])`

// insertMessages draws the messages' sequence numbers from their counter,
// under its row lock, so they commit in order like positions.
const insertMessages = `WITH c AS (UPDATE counters SET value = value + $1 WHERE name = 'messages' RETURNING value)
	INSERT INTO messages (seq, message_id, kind, type, data, correlation_id, causation_id, not_before, created_at)
	SELECT c.value - $1 + m.ord, m.id, m.kind, m.type, m.data, m.corr, m.cause, m.nb, m.ca
	FROM c, unnest($2::bytea[], $3::text[], $4::text[], $5::bytea[], $6::bytea[], $7::bytea[], $8::bigint[], $9::bigint[])
		WITH ORDINALITY AS m(id, kind, type, data, corr, cause, nb, ca, ord)
	ON CONFLICT (message_id) DO NOTHING`

// writeGroupRows inserts what the group planned and commits, in one round
// trip, without waiting for the disk (the flusher does); it returns the
// message log's head when messages were written.
func (s *Store) writeGroupRows(ctx context.Context, conn *pgxpool.Conn, g *appendplan.Group, read *groupRead,
	rows []appendplan.Row, msgs []eventstore.Message, marks []eventstore.Processed) (int64, error) {
	b := &pgx.Batch{}
	writeOnGenericPlans(b)
	if len(rows) > 0 {
		b.Queue(insertEvents, eventColumns(rows)...)
		b.Queue(`UPDATE counters SET value = $1 WHERE name = 'events'`, g.Head)
		var origins []string
		var seqs []int64
		for o, seq := range g.Origins {
			if seq != read.origins[o] {
				origins, seqs = append(origins, o), append(seqs, seq)
			}
		}
		b.Queue(`INSERT INTO origins (origin, last_seq) SELECT * FROM unnest($1::text[], $2::bigint[])
			ON CONFLICT (origin) DO UPDATE SET last_seq = excluded.last_seq`, origins, seqs)
	}
	var msgHead int64
	queueMessagesAndMarks(b, msgs, marks, s.opts.Now(), &msgHead)
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return 0, fmt.Errorf("write the group: %w", err)
	}
	return msgHead, nil
}

// queueMessagesAndMarks adds a group's outbox messages (their head read
// into msgHead) and processed marks to its write.
func queueMessagesAndMarks(b *pgx.Batch, msgs []eventstore.Message, marks []eventstore.Processed, now time.Time, msgHead *int64) {
	if len(msgs) > 0 {
		b.Queue(insertMessages, messageColumns(msgs, now)...)
		b.Queue(`SELECT value FROM counters WHERE name = 'messages'`).QueryRow(func(row pgx.Row) error {
			return row.Scan(msgHead)
		})
	}
	if len(marks) > 0 {
		handlers := make([]string, len(marks))
		ids := make([][]byte, len(marks))
		for i, m := range marks {
			handlers[i], ids[i] = m.Handler, idBytes(m.MessageID)
		}
		b.Queue(`INSERT INTO processed_messages (handler, message_id, processed_at)
			SELECT h, id, $3 FROM unnest($1::text[], $2::bytea[]) AS m(h, id) ON CONFLICT DO NOTHING`,
			handlers, ids, now.UnixMilli())
	}
}

// idBytes is an id as the tables hold it: 16 bytes, or NULL for none.
func idBytes(id uuid.UUID) []byte {
	if id == uuid.Nil {
		return nil
	}
	return id[:]
}

func eventColumns(rows []appendplan.Row) []any {
	n := len(rows)
	var (
		pos, vers, oseq, seen, hlcs, rec = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		ids                              = make([][]byte, n)
		streams, stypes, types, origins  = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		schemas                          = make([]int32, n)
		data                             = make([][]byte, n)
		corr, cause                      = make([][]byte, n), make([][]byte, n)
	)
	for i, r := range rows {
		e := r.E
		pos[i], ids[i], streams[i], stypes[i], vers[i] = e.Position, e.EventID[:], e.StreamID, e.StreamType, r.Version
		types[i], schemas[i], data[i] = e.Type, int32(e.Schema), e.Data
		origins[i], oseq[i], seen[i], hlcs[i] = e.Origin, e.OriginSeq, e.Seen, int64(e.HLC)
		corr[i], cause[i], rec[i] = idBytes(e.CorrelationID), idBytes(e.CausationID), e.RecordedAt.UnixMilli()
	}
	return []any{pos, ids, streams, stypes, vers, types, schemas, data, origins, oseq, seen, hlcs, corr, cause, rec}
}

// messageColumns binds msgs to insertMessages: created defaults to now,
// and a message with no NotBefore is due when created.
func messageColumns(msgs []eventstore.Message, now time.Time) []any {
	n := len(msgs)
	ids := make([][]byte, n)
	kinds, types := make([]string, n), make([]string, n)
	data := make([][]byte, n)
	corr, cause := make([][]byte, n), make([][]byte, n)
	nb, ca := make([]int64, n), make([]int64, n)
	for i, m := range msgs {
		created, notBefore := m.CreatedAt, m.NotBefore
		if created.IsZero() {
			created = now
		}
		if notBefore.IsZero() {
			notBefore = created
		}
		ids[i], kinds[i], types[i], data[i] = idBytes(m.ID), string(m.Kind), m.Type, m.Data
		if data[i] == nil {
			data[i] = []byte{}
		}
		corr[i], cause[i], nb[i], ca[i] = idBytes(m.CorrelationID), idBytes(m.CausationID), notBefore.UnixMilli(), created.UnixMilli()
	}
	return []any{int64(n), ids, kinds, types, data, corr, cause, nb, ca}
}

// published makes a committed group visible to this replica's waiters.
func (s *Store) published(g *appendplan.Group, rows []appendplan.Row, msgHead int64, requests int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups++
	s.grouped += int64(requests)
	if g.Events {
		evs := make([]eventstore.Event, len(rows))
		for i, r := range rows {
			evs[i] = *r.E
			evs[i].StreamVersion = r.Version
			evs[i].RecordedAt = evs[i].RecordedAt.UTC()
		}
		// Own commits go straight into the ring when nothing of another
		// replica came between; otherwise the follower reads them.
		s.tail.extend(evs)
		s.advance(g.Head)
		s.wakeStreams(evs)
	}
	if msgHead > 0 {
		s.advanceMessages(msgHead)
	}
}
