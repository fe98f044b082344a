package registrationsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/registrations"
)

// Config wires the application layer. Store and Catalog are required;
// Payments and Notifier default to recording fakes.
type Config struct {
	Store    eventstore.Store
	Catalog  Catalog
	Payments Payments
	Notifier Notifier
	// Refunds gives back what seats taken away by a conflict resolution
	// cost; nil uses Payments when it implements SeatRefunds, else a
	// recording fake.
	Refunds SeatRefunds
	// Checkpoints keeps the process manager's log position; without it
	// the position lives in memory and a restart replays the log from the
	// start, which the processed marks make safe (only slower).
	Checkpoints Checkpoints
	// WaitlistOfferWindow is how long seats offered from the waitlist are
	// held; zero is DefaultWaitlistOfferWindow.
	WaitlistOfferWindow time.Duration
	Now                 func() time.Time
	Logger              *slog.Logger
}

// App is the hub's registrations application layer: the use cases, the
// process manager and the command handlers, sharing one set of repositories.
type App struct {
	Registrations *Registrations
	Process       *ProcessManager
	// Policies release promo-code uses and run the waitlist; run it next
	// to Process.
	Policies *Policies

	store        eventstore.Store
	events       *eventsourcing.Registry
	commands     *CommandCodec
	orders       *eventsourcing.Repository[*registrations.Order]
	availability *eventsourcing.Repository[*registrations.SeatsAvailability]
	processes    *eventsourcing.Repository[*registrations.RegistrationProcess]
	promos       *eventsourcing.Repository[*registrations.PromoCodeUsage]
	waitlists    *eventsourcing.Repository[*registrations.Waitlist]
	assignments  *eventsourcing.Repository[*registrations.SeatAssignments]
	seatsLeft    *seatsLeftView
	offerWindow  time.Duration
	refunds      SeatRefunds
	catalog      Catalog
	payments     Payments
	notifier     Notifier
	now          func() time.Time
	log          *slog.Logger
}

// New returns the application layer over cfg.Store.
func New(cfg Config) (*App, error) {
	if cfg.Store == nil || cfg.Catalog == nil {
		return nil, errors.New("registrations app: store and catalog are required")
	}
	if cfg.Payments == nil {
		cfg.Payments = &RecordingPayments{}
	}
	if cfg.Notifier == nil {
		cfg.Notifier = &RecordingNotifier{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.WaitlistOfferWindow <= 0 {
		cfg.WaitlistOfferWindow = DefaultWaitlistOfferWindow
	}
	if cfg.Checkpoints == nil {
		cfg.Checkpoints = &MemoryCheckpoints{}
	}
	events := eventsourcing.NewRegistry()
	registrations.RegisterEvents(events)
	a := &App{
		store:    cfg.Store,
		events:   events,
		commands: NewCommandCodec(),
		orders:   eventsourcing.NewRepository(cfg.Store, events, registrations.NewOrder),
		availability: eventsourcing.NewRepository(cfg.Store, events, registrations.NewSeatsAvailability,
			eventsourcing.WithSnapshotEvery(100)),
		processes:   eventsourcing.NewRepository(cfg.Store, events, registrations.NewRegistrationProcess),
		promos:      eventsourcing.NewRepository(cfg.Store, events, registrations.NewPromoCodeUsage),
		waitlists:   eventsourcing.NewRepository(cfg.Store, events, registrations.NewWaitlist),
		assignments: eventsourcing.NewRepository(cfg.Store, events, registrations.NewSeatAssignments),
		offerWindow: cfg.WaitlistOfferWindow,
		refunds:     refundsOf(cfg),
		catalog:     cfg.Catalog,
		payments:    cfg.Payments,
		notifier:    cfg.Notifier,
		now:         cfg.Now,
		log:         cfg.Logger,
	}
	a.Registrations = &Registrations{app: a}
	a.seatsLeft = &seatsLeftView{app: a}
	a.Process = &ProcessManager{app: a, checkpoints: cfg.Checkpoints, pageSize: 256}
	a.Policies = newPolicies(a, cfg.Checkpoints)
	a.commands.Register(WaitlistOfferDue{})
	a.commands.Register(RefundSeats{})
	a.commands.Register(WaitlistSeats{})
	return a, nil
}

// Events is the registry the app decodes events with.
func (a *App) Events() *eventsourcing.Registry { return a.events }

// Commands is the codec the app encodes commands with.
func (a *App) Commands() *CommandCodec { return a.commands }

// Checkpoints stores a log follower's position.
type Checkpoints interface {
	Load(ctx context.Context, name string) (int64, error)
	Save(ctx context.Context, name string, position int64) error
}

// MemoryCheckpoints keeps positions in memory: a restart starts from 0.
type MemoryCheckpoints struct {
	mu        sync.Mutex
	positions map[string]int64
}

// Load implements Checkpoints.
func (m *MemoryCheckpoints) Load(_ context.Context, name string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.positions[name], nil
}

// Save implements Checkpoints.
func (m *MemoryCheckpoints) Save(_ context.Context, name string, position int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.positions == nil {
		m.positions = map[string]int64{}
	}
	m.positions[name] = position
	return nil
}

// wrap prefixes err with what the app was doing, keeping it matchable.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
