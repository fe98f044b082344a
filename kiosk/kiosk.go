// Package kiosk is the door desk's application layer: it records on-site
// facts (check-ins, badge prints, denied scans, walk-up sales) in the
// kiosk's own SQLite event log and answers the door-staff screens from the
// in-memory read models of package kiosk/readmodel.
//
// Every action works offline. An action reports success only once its
// facts are stored; when the store cannot write (full disk, read-only
// file) the action fails with an error matching ErrCannotRecord and
// Status().CanRecord turns false until a write succeeds again: a later
// action, or the write probe Status runs while recording is off (Recheck).
//
// The sync client (package sync) connects here through Store (append hub
// events as replicated events), OwnEventsAfter (events to upload), SetAcked,
// SetHubSeen and SetOnline; pairing through SaveIdentity.
package kiosk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"conference/badges"
	"conference/badges/token"
	"conference/kiosk/readmodel"
	"conference/migrations"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/sync/digest"
)

// Errors callers branch on.
var (
	// ErrCannotRecord: the local store refused a write (disk full,
	// read-only file, closed store). Nothing of the action was stored.
	ErrCannotRecord = errors.New("kiosk cannot record")
	// ErrNotPaired: the kiosk has no identity yet (run kiosk pair).
	ErrNotPaired = errors.New("kiosk is not paired with a hub")
	// ErrRestartRequired: pairing changed the kiosk id; restart the kiosk
	// so its events carry the new origin.
	ErrRestartRequired = errors.New("kiosk identity changed: restart the kiosk")
	// ErrAttendeeNotFound: no attendee with that id in the local list.
	ErrAttendeeNotFound = &registrations.Error{Code: registrations.CodeNotFound, Message: "attendee not found"}
	// ErrNotSellable: the seat type is unknown here or not sold at kiosks.
	ErrNotSellable = &registrations.Error{Code: registrations.CodeInvalid, Message: "seat type is not sold at kiosks"}
)

// unpairedNode is the store's origin before pairing; nothing is recorded
// under it, since every recording action needs an identity.
const unpairedNode = "unpaired"

// Config configures Open.
type Config struct {
	// Path is the kiosk's SQLite file.
	Path string
	// Printer receives badge PDFs; nil serves the PDF for the browser to
	// print (see badges.PrinterFor).
	Printer badges.Printer
	// BadgeStyle is the badge layout; the zero value is label-4x3.
	BadgeStyle badges.Style
	// Synchronous is the store's synchronous pragma (default FULL).
	Synchronous string
	Logger      *slog.Logger
	// Now is the clock of recorded facts; time.Now when nil.
	Now func() time.Time
	// Observe hears about the store's commits (metrics); nil for none.
	Observe eventstore.CommitObserver
}

// Kiosk is one kiosk's core. Its methods are safe for concurrent use.
type Kiosk struct {
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	store *sqlitestore.Store
	codec *eventsourcing.Registry
	model *readmodel.Model

	orders      *eventsourcing.Repository[*registrations.Order]
	assignments *eventsourcing.Repository[*registrations.SeatAssignments]
	attendance  *eventsourcing.Repository[*onsite.Attendance]

	idMu     sync.RWMutex
	identity Identity
	paired   bool
	verifier *token.Verifier
	signer   *token.Signer
	restart  bool

	hubSeen   atomic.Int64
	hubHead   atomic.Int64 // the hub's log head as last heard (sync lag)
	online    atomic.Bool
	lastError atomic.Pointer[string] // nil while writes succeed
	probeMu   sync.Mutex             // one write probe at a time (Recheck)

	// downMu is held while a page of hub events is applied (applyDown)
	// and while a comparison reads its cut; lastDown is the hub position
	// of the last event applied by this process.
	downMu   sync.Mutex
	lastDown int64
	conv     atomic.Pointer[Convergence]
	digests  *digest.Cache // the kiosk's own log, at its growing cuts

	catchMu sync.Mutex // one catch-up at a time
	saleMu  sync.Mutex // walk-up decisions see each other's sales
	// finished lists walk-up sales whose journal entry can go (saleMu).
	finished []uuid.UUID
	stop     context.CancelFunc
	done     chan struct{}
}

// NewCodec returns a registry of every event a kiosk records or reads.
func NewCodec() *eventsourcing.Registry {
	r := eventsourcing.NewRegistry()
	registrations.RegisterEvents(r)
	// The hub's warnings of duplicate check-ins reach kiosks too; a kiosk
	// knows them (and shows check-ins of both doors itself).
	registrations.RegisterMergeEvents(r)
	onsite.RegisterEvents(r)
	return r
}

// Open opens (creating if needed) the kiosk database, rebuilds the read
// models from the log, finishes walk-up sales a crash interrupted and starts
// following the log. Close releases it.
func Open(ctx context.Context, cfg Config) (*Kiosk, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BadgeStyle.Layout == "" {
		cfg.BadgeStyle.Layout = "label-4x3"
	}
	kioskID, err := peekKioskID(ctx, cfg.Path)
	if err != nil {
		return nil, err
	}
	node := kioskID
	if node == "" {
		node = unpairedNode
	}
	k := &Kiosk{cfg: cfg, log: cfg.Logger, now: cfg.Now, codec: NewCodec(), done: make(chan struct{})}
	k.store, err = sqlitestore.Open(ctx, cfg.Path, sqlitestore.Options{
		Node: node, Seen: func(int64) int64 { return k.hubSeen.Load() },
		Synchronous: cfg.Synchronous, Components: []migrations.Component{migrations.Kiosk},
		Logger: cfg.Logger, Now: cfg.Now, Observe: cfg.Observe,
	})
	if err != nil {
		return nil, fmt.Errorf("open kiosk: %w", err)
	}
	k.digests = digest.NewCache(k.store)
	if err := k.start(ctx, kioskID); err != nil {
		k.store.Close()
		return nil, fmt.Errorf("open kiosk %s: %w", cfg.Path, err)
	}
	return k, nil
}

func (k *Kiosk) start(ctx context.Context, kioskID string) error {
	// The model first: the badge verifier asks it which kiosks are revoked.
	k.model = readmodel.New(kioskID, k.codec)
	if err := k.loadIdentity(ctx); err != nil {
		return err
	}
	if err := k.loadSync(ctx); err != nil {
		return err
	}
	k.orders = eventsourcing.NewRepository(k.store, k.codec, registrations.NewOrder)
	k.assignments = eventsourcing.NewRepository(k.store, k.codec, registrations.NewSeatAssignments)
	k.attendance = eventsourcing.NewRepository(k.store, k.codec, onsite.NewAttendance)
	k.model.BeginBulk()
	err := k.catchUp(ctx)
	k.model.EndBulk()
	if err != nil {
		return err
	}
	if err := k.recoverWalkUps(ctx); err != nil {
		return err
	}
	fctx, cancel := context.WithCancel(context.Background())
	k.stop = cancel
	go k.follow(fctx)
	return nil
}

// Close stops following the log and closes the database.
func (k *Kiosk) Close() error {
	if k.stop != nil {
		k.stop()
		<-k.done
	}
	return k.store.Close()
}

// Store is the kiosk's event store, for the sync client to append hub
// events (replicated: Origin "hub", their origin_seq) and read the log.
func (k *Kiosk) Store() *sqlitestore.Store { return k.store }

// Model is the kiosk's read model (the web UI reads lists from it).
func (k *Kiosk) Model() *readmodel.Model { return k.model }

// Codec is the event registry the kiosk decodes with.
func (k *Kiosk) Codec() *eventsourcing.Registry { return k.codec }

// follow applies events appended by others (the sync client) as they
// commit, so the screens show them without polling.
func (k *Kiosk) follow(ctx context.Context) {
	defer close(k.done)
	for {
		if err := k.store.WaitForAppend(ctx, k.model.Position()); err != nil {
			return
		}
		if err := k.catchUp(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			k.log.Error("kiosk read model cannot apply the log", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}

// catchUp applies every committed event the model has not seen.
func (k *Kiosk) catchUp(ctx context.Context) error {
	k.catchMu.Lock()
	defer k.catchMu.Unlock()
	for {
		page, err := k.store.ReadLog(ctx, k.model.Position(), 2000)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		if err := k.model.Apply(page...); err != nil {
			return err
		}
	}
}

// recorded classifies a storage failure: domain refusals and concurrency
// conflicts pass through; anything else means the kiosk could not record.
func (k *Kiosk) recorded(op string, err error) error {
	if err == nil {
		k.lastError.Store(nil)
		return nil
	}
	if registrations.ErrorCode(err) != "" || errors.Is(err, eventstore.ErrConcurrency) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := err.Error()
	k.lastError.Store(&msg)
	k.log.Error("kiosk cannot record", "op", op, "err", err)
	return fmt.Errorf("%s: %w: %w", op, ErrCannotRecord, err)
}

// canRecord checks the preconditions of every recording action.
func (k *Kiosk) canRecord() (Identity, error) {
	k.idMu.RLock()
	defer k.idMu.RUnlock()
	switch {
	case !k.paired:
		return Identity{}, ErrNotPaired
	case k.restart:
		return Identity{}, ErrRestartRequired
	}
	return k.identity, nil
}

// Refresh applies every committed event to the read models now, rather
// than when the follower gets to it: the sync client calls it after a page
// of hub events so the next screen shows them.
func (k *Kiosk) Refresh(ctx context.Context) error { return k.catchUp(ctx) }
