package readmodels

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"conference/migrations"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/sqldb"
)

// ErrNotFound is matched by queries for an order or conference the read
// models do not hold.
var ErrNotFound = errors.New("not found")

// Options configure Models. The zero value is fine.
type Options struct {
	Logger *slog.Logger
	// Now is the clock queries compare against (reservation expiry).
	Now func() time.Time
	// PageSize bounds the events applied per transaction while following.
	PageSize int
	// RetryAfter is the pause before Run retries a failed step.
	RetryAfter time.Duration
}

// Models keeps the hub's read models current from the store's log and
// answers queries on them. Apply work is serialized by mu; queries run
// concurrently on the read pool, and SeatTypes on an in-memory copy.
type Models struct {
	store    sqldb.Store
	registry *eventsourcing.Registry
	opts     Options
	log      *slog.Logger

	mu         sync.Mutex // held while applying
	st         *state
	ld         *loader
	eventPos   int64
	messageSeq int64
	// backfill: the check-ins the checkpoint covers are not in their
	// table yet (checkins.go); the next step replays them.
	backfill bool

	applied atomic.Int64 // eventPos, for readers outside mu
	seats   atomic.Pointer[seatIndex]
	// single: the database admits one process (SQLite), which always
	// leads; leading: Run is applying the log here (follow.go).
	single  bool
	leading atomic.Bool

	notifier eventstore.Notifier // nil: followers poll (follow.go)
	movedMu  sync.Mutex
	moved    chan struct{} // closed when applied moves on a follower
}

// New opens the read models in store's database (migrating their tables if
// needed) and loads their resident state and checkpoints. It does not apply
// anything: call CatchUp or Run.
func New(store sqldb.Store, opts Options) (*Models, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 1000
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = time.Second
	}
	ctx := context.Background()
	if err := migrations.Apply(ctx, store.DB(), migrations.ReadModels); err != nil {
		return nil, fmt.Errorf("read models: %w", err)
	}
	m := &Models{store: store, registry: newRegistry(), opts: opts, log: opts.Logger, single: store.DB().Dialect == sqldb.SQLite}
	m.notifier, _ = store.(eventstore.Notifier)
	m.ld = &loader{ctx: ctx, db: store.DB()}
	if err := m.reload(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// reload forgets everything in memory and reads the resident state and
// checkpoints from the database: at start, and after a failed flush left
// memory ahead of the tables.
func (m *Models) reload(ctx context.Context) error {
	m.ld.ctx = ctx
	st := newState(m.ld)
	if err := m.ld.loadResident(st); err != nil {
		return fmt.Errorf("read models: %w", err)
	}
	var err error
	if m.eventPos, err = sqldb.Checkpoint(ctx, m.store.DB(), checkpointEvents); err != nil {
		return fmt.Errorf("read models: %w", err)
	}
	if m.messageSeq, err = sqldb.Checkpoint(ctx, m.store.DB(), checkpointMessages); err != nil {
		return fmt.Errorf("read models: %w", err)
	}
	filled, err := sqldb.Checkpoint(ctx, m.store.DB(), checkpointCheckIns)
	if err != nil {
		return fmt.Errorf("read models: %w", err)
	}
	m.backfill = filled == 0 && m.eventPos > 0
	m.st = st
	m.seats.Store(buildSeatIndex(st.seatTypes))
	m.published()
	return nil
}

// Position is the event log position the read models reflect.
func (m *Models) Position() int64 { return m.applied.Load() }

// CatchUp applies everything in the log up to its current head and returns.
func (m *Models) CatchUp(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		n, err := m.step(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

// Run follows the log until ctx ends, waking on new events and new
// messages rather than polling. A failing step is logged and retried. Where
// replicas share the database, run it under the read models' lease: it is
// the one writer of their tables (follow.go).
func (m *Models) Run(ctx context.Context) error {
	if err := m.lead(ctx); err != nil {
		return err
	}
	defer m.leading.Store(false)
	for {
		wake := m.store.MessagesWritten()
		m.mu.Lock()
		n, err := m.step(ctx)
		pos := m.eventPos
		m.mu.Unlock()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			m.log.Error("read models", "err", err, "position", pos)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(m.opts.RetryAfter):
			}
			continue
		}
		if n > 0 {
			continue
		}
		if err := m.waitForWork(ctx, pos, wake); err != nil {
			return err
		}
	}
}

// waitForWork returns once an event past pos is appended, a message is
// written, or ctx ends (nil then).
func (m *Models) waitForWork(ctx context.Context, pos int64, wake <-chan struct{}) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	appended := make(chan error, 1)
	go func() { appended <- m.store.WaitForAppend(wctx, pos) }()
	select {
	case err := <-appended:
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("read models: wait for events after %d: %w", pos, err)
		}
		return nil
	case <-wake:
	case <-ctx.Done():
	}
	cancel()
	<-appended
	return nil
}

// WaitFor returns once the read models reflect the event at position (an
// append's Result.LastPosition), so a caller reads its own write. It
// catches up itself rather than relying on Run, and waits for appends when
// position is not in the log yet.
func (m *Models) WaitFor(ctx context.Context, position int64) error {
	if !m.leads() {
		return m.waitFollowing(ctx, position)
	}
	for m.applied.Load() < position {
		if err := m.CatchUp(ctx); err != nil {
			return err
		}
		if m.applied.Load() >= position {
			return nil
		}
		if err := m.store.WaitForAppend(ctx, m.applied.Load()); err != nil {
			return fmt.Errorf("wait for position %d: %w", position, err)
		}
	}
	return nil
}

// step applies one page of each log in one transaction and reports how
// many entries it consumed (0 when both logs are drained).
func (m *Models) step(ctx context.Context) (int, error) {
	m.ld.ctx = ctx
	evs, err := m.store.ReadLog(ctx, m.eventPos, m.opts.PageSize)
	if err != nil {
		return 0, fmt.Errorf("read models: %w", err)
	}
	msgs, seq, err := m.store.ReadMessages(ctx, m.messageSeq, m.opts.PageSize, messagePrefix)
	if err != nil {
		return 0, fmt.Errorf("read models: %w", err)
	}
	if len(evs) == 0 && len(msgs) == 0 && !m.backfill {
		// Only other messages (commands) were written: skip past them
		// without a write; the checkpoint catches up with the next one.
		m.messageSeq = seq
		return 0, nil
	}
	if m.backfill {
		if err := m.backfillCheckIns(ctx); err != nil {
			return 0, m.abandon(ctx, err)
		}
	}
	pos := m.eventPos
	for _, msg := range msgs {
		m.applyMessage(msg)
	}
	for _, e := range evs {
		if err := m.applyEvent(eventstore.LogEntry{Position: e.Position, Type: e.Type, Schema: e.Schema, Data: e.Data}); err != nil {
			return 0, m.abandon(ctx, err)
		}
		pos = e.Position
	}
	// The rows and checkpoints go into the store's group commit, beside
	// the appends of the moment: a transaction of their own took the
	// write lock as often as all of the writer's groups together. The
	// statements run uncancellable (the writer owns the transaction).
	wctx := context.WithoutCancel(ctx)
	if err := m.store.Write(ctx, func(tx sqldb.Tx) error { return m.st.flush(wctx, tx, pos, seq) }); err != nil {
		return 0, m.abandon(ctx, fmt.Errorf("read models: write: %w", err))
	}
	touched := len(m.st.touched) > 0
	m.backfill = false
	m.st.committed()
	m.st.dropCache()
	m.eventPos, m.messageSeq = pos, seq
	if touched {
		m.seats.Store(buildSeatIndex(m.st.seatTypes))
	}
	m.published()
	m.announce(ctx, pos)
	return len(evs) + len(msgs) + 1, nil
}

// abandon throws away what a failed step applied in memory, so the next
// step starts again from the tables and checkpoints.
func (m *Models) abandon(ctx context.Context, cause error) error {
	// Reload even when ctx ended (a request's catch-up whose client left):
	// state that was applied but not written must not survive.
	if err := m.reload(context.WithoutCancel(ctx)); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// published tells readers outside mu how far the models are.
func (m *Models) published() { m.applied.Store(m.eventPos) }

// applyEvent decodes and applies one stored event. Events of types the
// models do not consume are skipped undecoded; a payload that cannot be
// decoded is logged and skipped, the same way on every replay, so one bad
// event cannot stop the models.
func (m *Models) applyEvent(e eventstore.LogEntry) error {
	if !consumed[e.Type] {
		return nil
	}
	ev, err := m.registry.Decode(e.Type, e.Schema, e.Data)
	if err != nil {
		m.log.Warn("read models skip an undecodable event", "position", e.Position, "type", e.Type, "err", err)
		return nil
	}
	return m.st.apply(ev, e.Position)
}

func (m *Models) applyMessage(msg eventstore.LoggedMessage) {
	ev, err := m.registry.Decode(msg.Type, 1, msg.Data)
	if err != nil {
		if !errors.Is(err, eventsourcing.ErrUnknownEvent) {
			m.log.Warn("read models skip an undecodable message", "seq", msg.Seq, "type", msg.Type, "err", err)
		}
		return
	}
	m.st.applyMessage(ev, msg.Seq)
}
