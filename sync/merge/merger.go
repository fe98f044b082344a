package merge

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"conference/migrations"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/shared/sqldb"
)

// Errors callers branch on. A *GapError matches ErrGap.
var (
	// ErrGap: the batch does not continue the kiosk's origin_seq; resend
	// from GapError.Expected.
	ErrGap = errors.New("gap in origin sequence")
	// ErrInvalid: the batch or page is malformed or not the sender's to
	// send; nothing was written.
	ErrInvalid = errors.New("invalid sync batch")
)

// GapError refuses a batch that starts past the next origin_seq the hub
// expects from the kiosk. Nothing was written.
type GapError struct {
	Expected int64
	Got      int64
}

func (e *GapError) Error() string {
	return fmt.Sprintf("gap in origin sequence: expected %d, got %d", e.Expected, e.Got)
}

// Is makes errors.Is(err, ErrGap) true.
func (e *GapError) Is(target error) bool { return target == ErrGap }

// MaxBatch bounds the events of one Accept.
const MaxBatch = 10_000

// Hub is the origin name of the hub's own events.
const Hub = "hub"

//go:embed schema/*.sql schema_pg/*.sql
var schemaFiles embed.FS

// Schema is the merge state's own migration component, applied by the
// Merger on first use; a binary may also pass it to sqlitestore.Options.
var Schema = migrations.FromFS("syncmerge", schemaFiles, "schema", "schema_pg")

// hubOnly are the event types only the hub decides; a kiosk sending one is
// a bug, refused rather than merged into a second, diverging truth.
var hubOnly = map[string]bool{
	registrations.SeatAllocationGranted{}.EventType():     true,
	registrations.SeatAllocationReturned{}.EventType():    true,
	registrations.SeatQuotaConflictRaised{}.EventType():   true,
	registrations.SeatQuotaConflictResolved{}.EventType(): true,
	registrations.DuplicateCheckInDetected{}.EventType():  true,
	onsite.KioskRevoked{}.EventType():                     true,
}

// Merger takes kiosks' events in at the hub. Safe for concurrent use:
// batches of one kiosk are serialised, different kiosks proceed together.
type Merger struct {
	store  sqldb.Store
	db     *sqldb.DB
	log    *slog.Logger
	now    func() time.Time
	events *eventsourcing.Registry

	availability *eventsourcing.Repository[*registrations.SeatsAvailability]
	warnings     *eventsourcing.Repository[*registrations.CheckInWarnings]

	initMu sync.Mutex
	ready  bool

	locksMu sync.Mutex
	locks   map[string]*sync.Mutex
	// effects serialises applying effects, so the duplicate check-in
	// rule sees every check-in merged before it.
	effects sync.Mutex
}

// Option configures a Merger.
type Option func(*Merger)

// WithLogger sets the logger (slog.Default otherwise).
func WithLogger(l *slog.Logger) Option { return func(m *Merger) { m.log = l } }

// WithClock sets the clock of the merge state's timestamps.
func WithClock(now func() time.Time) Option { return func(m *Merger) { m.now = now } }

// New returns the hub's merger over store. Its state (acknowledgements,
// check-ins per attendee) lives beside the log.
func New(store sqldb.Store, opts ...Option) *Merger {
	reg := Registry()
	m := &Merger{
		store: store, log: slog.Default(), now: time.Now, events: reg,
		availability: eventsourcing.NewRepository(store, reg, registrations.NewSeatsAvailability, eventsourcing.WithSnapshotEvery(100)),
		warnings:     eventsourcing.NewRepository(store, reg, registrations.NewCheckInWarnings),
		locks:        map[string]*sync.Mutex{},
	}
	m.db = store.DB()
	for _, o := range opts {
		o(m)
	}
	return m
}

// Registry decodes every event the merge rules read or write.
func Registry() *eventsourcing.Registry {
	r := eventsourcing.NewRegistry()
	registrations.RegisterEvents(r)
	registrations.RegisterMergeEvents(r)
	onsite.RegisterEvents(r)
	return r
}

func (m *Merger) init(ctx context.Context) error {
	m.initMu.Lock()
	defer m.initMu.Unlock()
	if m.ready {
		return nil
	}
	if err := migrations.Apply(ctx, m.db, Schema); err != nil {
		return fmt.Errorf("merge state schema: %w", err)
	}
	m.ready = true
	return nil
}

func (m *Merger) lock(kioskID string) func() {
	m.locksMu.Lock()
	l, ok := m.locks[kioskID]
	if !ok {
		l = &sync.Mutex{}
		m.locks[kioskID] = l
	}
	m.locksMu.Unlock()
	l.Lock()
	return l.Unlock
}

// Acked is the origin_seq up to which the hub holds the kiosk's events
// with their effects applied (0 for a kiosk never heard from). The kiosk
// resumes uploading after it.
func (m *Merger) Acked(ctx context.Context, kioskID string) (int64, error) {
	if err := m.init(ctx); err != nil {
		return 0, err
	}
	var seq int64
	err := m.db.QueryRowContext(ctx, `SELECT acked_seq FROM sync_merge_kiosks WHERE kiosk_id = $1`, kioskID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read acknowledgement of %s: %w", kioskID, err)
	}
	return seq, nil
}

// Accept appends a kiosk's batch (events in origin_seq order) exactly once
// and applies the effects of the facts in it, then returns the origin_seq
// acknowledged. See the package documentation for the rules. It returns a
// *GapError when the batch starts past the next expected origin_seq, and
// an error matching ErrInvalid for a malformed batch; nothing is written
// in either case.
func (m *Merger) Accept(ctx context.Context, kioskID string, batch []eventstore.Event) (int64, error) {
	if err := m.init(ctx); err != nil {
		return 0, err
	}
	decoded, err := m.validateUp(kioskID, batch)
	if err != nil {
		return 0, err
	}
	defer m.lock(kioskID)()
	acked, err := m.Acked(ctx, kioskID)
	if err != nil || len(batch) == 0 {
		return acked, err
	}
	stored, err := m.store.OriginSeq(ctx, kioskID)
	if err != nil {
		return acked, fmt.Errorf("merge events of %s: %w", kioskID, err)
	}
	first, last := batch[0].OriginSeq, batch[len(batch)-1].OriginSeq
	if first > stored+1 {
		return acked, &GapError{Expected: stored + 1, Got: first}
	}
	var fresh []eventstore.Event
	for i := range batch {
		if batch[i].OriginSeq > stored {
			fresh = batch[i:]
			break
		}
		if err := m.checkStored(ctx, &batch[i]); err != nil {
			return acked, err
		}
	}
	if err := appendInOrder(ctx, m.store, fresh); err != nil {
		return acked, fmt.Errorf("merge %d events of %s: %w", len(fresh), kioskID, err)
	}
	// Effects of events acknowledged before were applied before; the rest
	// (new, or stored by a hub that crashed before applying them) now.
	var pending []fact
	for i, f := range decoded {
		if batch[f.index].OriginSeq > acked {
			pending = decoded[i:]
			break
		}
	}
	if err := m.applyEffects(ctx, kioskID, batch, pending); err != nil {
		return acked, fmt.Errorf("merge effects of %s %d..%d: %w", kioskID, first, last, err)
	}
	if last > acked {
		if _, err := m.db.ExecContext(ctx, `INSERT INTO sync_merge_kiosks (kiosk_id, acked_seq, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (kiosk_id) DO UPDATE SET updated_at = excluded.updated_at,
			acked_seq = CASE WHEN excluded.acked_seq > sync_merge_kiosks.acked_seq THEN excluded.acked_seq ELSE sync_merge_kiosks.acked_seq END`,
			kioskID, last, m.now().UnixMilli()); err != nil {
			return acked, fmt.Errorf("acknowledge %s up to %d: %w", kioskID, last, err)
		}
		acked = last
	}
	return acked, nil
}

// checkStored verifies that a re-sent event is the one the hub stored
// under its origin_seq, not another event reusing the number.
func (m *Merger) checkStored(ctx context.Context, e *eventstore.Event) error {
	stored, err := m.store.ReadStream(ctx, e.StreamID, 0)
	if err != nil {
		return fmt.Errorf("look up re-sent event %s: %w", e.EventID, err)
	}
	for _, s := range stored {
		if s.EventID == e.EventID && s.Origin == e.Origin && s.OriginSeq == e.OriginSeq {
			return nil
		}
	}
	return fmt.Errorf("%w: %s origin_seq %d is already taken by another event than %s", ErrInvalid, e.Origin, e.OriginSeq, e.EventID)
}

// validateUp checks a kiosk's batch before anything is written and decodes
// the facts whose effects the hub applies.
func (m *Merger) validateUp(kioskID string, batch []eventstore.Event) ([]fact, error) {
	if kioskID == "" || kioskID == Hub {
		return nil, fmt.Errorf("%w: kiosk id %q", ErrInvalid, kioskID)
	}
	if len(batch) > MaxBatch {
		return nil, fmt.Errorf("%w: %d events in one batch, at most %d", ErrInvalid, len(batch), MaxBatch)
	}
	ids := make(map[uuid.UUID]bool, len(batch))
	var facts []fact
	for i := range batch {
		e := &batch[i]
		if err := ValidEnvelope(e); err != nil {
			return nil, fmt.Errorf("%w: event %d of the batch: %v", ErrInvalid, i, err)
		}
		switch {
		case e.Origin != kioskID:
			return nil, fmt.Errorf("%w: event %s was recorded by %q, not by kiosk %q", ErrInvalid, e.EventID, e.Origin, kioskID)
		case i > 0 && e.OriginSeq != batch[i-1].OriginSeq+1:
			return nil, fmt.Errorf("%w: origin_seq %d follows %d", ErrInvalid, e.OriginSeq, batch[i-1].OriginSeq)
		case ids[e.EventID]:
			return nil, fmt.Errorf("%w: event %s twice in one batch", ErrInvalid, e.EventID)
		case hubOnly[e.Type]:
			return nil, fmt.Errorf("%w: %s is recorded by the hub only", ErrInvalid, e.Type)
		}
		ids[e.EventID] = true
		f, ok, err := m.decodeFact(e)
		if err != nil {
			return nil, fmt.Errorf("%w: event %s (%s): %v", ErrInvalid, e.EventID, e.Type, err)
		}
		if ok {
			f.index = i
			facts = append(facts, f)
		}
	}
	return facts, nil
}

// ValidEnvelope checks the fields every replicated event needs: ids,
// stream, type and schema, origin and origin_seq, JSON data.
func ValidEnvelope(e *eventstore.Event) error {
	switch {
	case e.EventID == uuid.Nil:
		return errors.New("no event id")
	case e.StreamID == "" || e.StreamType == "":
		return errors.New("no stream")
	case e.Type == "" || e.Schema < 1:
		return fmt.Errorf("type %q schema %d", e.Type, e.Schema)
	case e.Origin == "" || e.OriginSeq < 1:
		return fmt.Errorf("origin %q origin_seq %d", e.Origin, e.OriginSeq)
	case e.Seen < 0:
		return fmt.Errorf("seen %d", e.Seen)
	case len(e.Data) == 0 || !json.Valid(e.Data):
		return errors.New("data is not JSON")
	}
	return nil
}
