// Package hubapp composes the hub: one event store, Conference Management,
// the registrations application layer with its process manager and command
// bus, payments and read models, and the workers that keep them moving.
// The HTTP adapters (hub/api, hub/web, sync) are given a *Hub and call its
// services; hub/cmd/hub and the tests open one the same way.
package hubapp

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"conference/hub/conferences"
	confsqlite "conference/hub/conferences/sqlite"
	"conference/hub/kiosks"
	"conference/hub/limits"
	"conference/hub/mail"
	"conference/hub/payments"
	"conference/hub/readmodels"
	registrationsapp "conference/hub/registrations"
	"conference/hub/tickets"
	"conference/hub/web/accounts"
	"conference/migrations"
	"conference/shared/eventstore"
	"conference/shared/eventstore/pgstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/lease"
	"conference/shared/messaging"
	"conference/shared/metrics"
	"conference/shared/sqldb"
	"conference/shared/webui"
	"conference/sync/digest"
	"conference/sync/hubserver"
	"conference/sync/merge"
	"conference/sync/scope"
)

// Config says where the hub keeps its data and how it tells time.
type Config struct {
	// DB is the database: a SQLite file (its folder must exist), or a
	// postgres:// URL for a hub of one or more replicas on PostgreSQL.
	DB     string
	Logger *slog.Logger
	// Now is the clock of the store, the services and the workers; nil is
	// the wall clock. Tests pass a clock they can advance.
	Now func() time.Time
	// BusPoll bounds how late a delayed message (a reservation timeout)
	// is dispatched; zero is the bus's default of one second.
	BusPoll time.Duration
	// WaitlistOfferWindow is how long seats offered from a waitlist are
	// held; zero is registrationsapp.DefaultWaitlistOfferWindow.
	WaitlistOfferWindow time.Duration

	// Mailer sends the hub's mails (an SMTP server); nil writes each as
	// an .eml file in MailDir.
	Mailer mail.Sender
	// MailDir is the folder of .eml files; "" is MailDir(DB).
	MailDir string
	// MailFrom is the hub's sending address; zero is DefaultMailFrom.
	MailFrom mail.Address
	// PublicURL is where people reach the hub: the base of links in
	// mails; "" is DefaultPublicURL.
	PublicURL string
	// MailRetry is how a failing mail is retried; zero is
	// mail.DefaultRetry (tests shorten it).
	MailRetry messaging.Retry
	// OnMail, if set, is told of every attempt at a mail (for metrics).
	OnMail func(mail.Outcome)
	// Metrics receives the hub's metrics (served at /metrics by
	// hub/server); nil makes a set of its own. MetricsToken, when set, is
	// the bearer token a scrape of /metrics must send.
	Metrics      *metrics.Set
	MetricsToken string
}

// Store is the hub's event store and the database its adapters keep their
// tables in: SQLite (sqlitestore) or PostgreSQL (pgstore), behind the same
// ports.
type Store interface {
	sqldb.Store
	eventstore.Notifier
	lease.Leaser
}

// Hub is an open hub. Its fields are the services the adapters call.
type Hub struct {
	Store         Store
	Conferences   *confsqlite.Service
	App           *registrationsapp.App
	Registrations *registrationsapp.Registrations
	Bus           *messaging.Bus
	// Payments is the fake payment processor the registrant pays through.
	Payments *payments.Processor
	// Reads are the read models, kept current by a worker; Reads.WaitFor
	// lets a caller read its own writes.
	Reads *readmodels.Models
	// Sold counts the seats of a seat type in use (reserved, sold, leased
	// to kiosks) from SeatsAvailability: pass it to
	// Conferences.UpdateSeatType so a quota never drops below them.
	Sold conferences.SoldCounter
	// Kiosks is the registry of paired kiosks; Sync serves them over
	// WebSocket (mount it at protocol.Path and protocol.PairPath).
	Kiosks *kiosks.Registry
	Sync   *hubserver.Server
	// Tickets makes confirmed orders' tickets (PDF); Mail sends the hub's
	// mails from the outbox and lists them for organizers.
	Tickets *tickets.Maker
	Mail    *mail.Postman
	Log     *slog.Logger
	// Limits keeps rate limits' buckets in the database when replicas
	// share it (PostgreSQL), so they count a client's attempts together;
	// nil on SQLite, where the one process counts in memory.
	Limits webui.Buckets
	// Metrics are this process's metrics (hub/server serves them).
	Metrics *metrics.Set

	now     func() time.Time
	cfg     Config
	workers []worker
	// held names the workers whose lease this process holds now.
	heldMu   sync.Mutex
	held     map[string]bool
	draining atomic.Bool
	// allocations are the kiosks' seat leases (CloseOnSiteSales).
	allocations *merge.Allocations
	notices     *mail.Notices
	accounts    *accounts.Accounts
	mails       mailMetrics
	digestTook  prometheus.Histogram
	scope       *scope.Pager
	digests     *digest.Cache
}

// ReadModelsLease names the read models' worker and its lease: `hub
// rebuild` takes it too, so it never races a running hub's projections.
const ReadModelsLease = "read models"

// worker is a long-running loop of the hub, named for the logs (and its
// lease). A local worker runs in every replica, without a lease.
type worker struct {
	name  string
	run   func(ctx context.Context) error
	local bool
}

// Components are the schema parts of the hub database beyond the event
// store's own.
func Components() []migrations.Component {
	return []migrations.Component{migrations.Hub, migrations.Payments, migrations.ReadModels, migrations.Web, migrations.Kiosks, mail.Schema}
}

// Open opens (creating or migrating) the hub database and wires the
// services. Nothing runs until Run.
func Open(ctx context.Context, cfg Config) (*Hub, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New(cfg.Logger)
	}
	store, err := openStore(ctx, cfg.DB, cfg.Logger, cfg.Now, cfg.Metrics.StoreObserver())
	if err != nil {
		return nil, err
	}
	h := &Hub{Store: store, Log: cfg.Logger, Metrics: cfg.Metrics, now: cfg.Now, cfg: cfg}
	if err := h.wire(); err != nil {
		store.Close()
		return nil, err
	}
	if err := h.notices.StartAtHead(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return h, nil
}

// OpenStore opens the hub's store at db: a postgres:// URL opens
// PostgreSQL, anything else is a SQLite file. Both migrate the hub's schema.
func OpenStore(ctx context.Context, db string, log *slog.Logger, now func() time.Time) (Store, error) {
	return openStore(ctx, db, log, now, nil)
}

func openStore(ctx context.Context, db string, log *slog.Logger, now func() time.Time, observe eventstore.CommitObserver) (Store, error) {
	if now == nil {
		now = time.Now
	}
	if pgstore.IsURL(db) {
		s, err := pgstore.Open(ctx, db, pgstore.Options{Node: "hub", Logger: log, Now: now, Components: Components(), Observe: observe})
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := sqlitestore.Open(ctx, db, sqlitestore.Options{Node: "hub", Logger: log, Now: now, Components: Components(), Observe: observe})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (h *Hub) wire() error {
	if h.Store.DB().Dialect == sqldb.Postgres {
		h.Limits = limits.New(h.Store.DB())
	}
	h.Conferences = confsqlite.New(h.Store)
	h.Conferences.Now = h.now
	h.Conferences.Logger = h.Log
	h.Conferences.Inventory = h
	h.Payments = payments.New(h.Store, h.now)
	app, err := registrationsapp.New(registrationsapp.Config{
		Store:               h.Store,
		Catalog:             &Catalog{Conferences: h.Conferences},
		Payments:            h.Payments,
		Notifier:            mail.Notifier{Outbox: h.Store},
		Checkpoints:         registrationsapp.SQLiteCheckpoints{Store: h.Store},
		Now:                 h.now,
		Logger:              h.Log,
		WaitlistOfferWindow: h.cfg.WaitlistOfferWindow,
	})
	if err != nil {
		return fmt.Errorf("wire registrations: %w", err)
	}
	h.App, h.Registrations = app, app.Registrations
	h.Bus = messaging.New(h.Store, h.busOptions())
	if err := app.RegisterHandlers(h.Bus); err != nil {
		return fmt.Errorf("wire registrations: %w", err)
	}
	h.Sold = conferences.SoldCounterFunc(h.Registrations.SeatsInUse)
	if err := h.subscribeConferenceEvents(); err != nil {
		return fmt.Errorf("wire conference integration: %w", err)
	}
	if err := h.Bus.Subscribe(subPaymentAccepted, payments.TypePaymentAccepted, h.onPaymentAccepted); err != nil {
		return fmt.Errorf("wire payments: %w", err)
	}
	reads, err := readmodels.New(h.Store, readmodels.Options{Logger: h.Log, Now: h.now})
	if err != nil {
		return fmt.Errorf("wire read models: %w", err)
	}
	h.Reads = reads
	if err := h.wireSync(); err != nil {
		return err
	}
	// The metrics first: the postman counts mails into them.
	if err := h.registerMetrics(); err != nil {
		return err
	}
	if err := h.wireMail(); err != nil {
		return err
	}
	h.workers = append(h.workers,
		worker{name: "command bus", run: h.Bus.Run},
		worker{name: "registration process manager", run: app.Process.Run},
		worker{name: "registration policies", run: app.Policies.Run},
		worker{name: ReadModelsLease, run: reads.Run},
		worker{name: "read models follower", run: reads.Follow, local: true},
	)
	return nil
}

// Run runs the hub's workers until ctx ends, each where it holds its lease
// (on SQLite this process holds every lease; replicas on PostgreSQL share
// them out). A worker that fails is logged and started again, here or on
// another replica, rather than taking the hub down: a database that went
// away for a moment must not stop the hub. Run returns after every worker
// has stopped.
func (h *Hub) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, w := range h.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if w.local {
				if err := w.run(ctx); err != nil && ctx.Err() == nil {
					h.Log.Error("worker stopped", "worker", w.name, "err", err)
				}
				return
			}
			lease.Run(ctx, h.Store, w.name, h.Log, func(ctx context.Context) error {
				h.setHeld(w.name, true)
				defer h.setHeld(w.name, false)
				return w.run(ctx)
			})
		}()
	}
	wg.Wait()
	return nil
}

func (h *Hub) setHeld(name string, on bool) {
	h.heldMu.Lock()
	defer h.heldMu.Unlock()
	if h.held == nil {
		h.held = map[string]bool{}
	}
	if on {
		h.held[name] = true
	} else {
		delete(h.held, name)
	}
}

// Leases lists the background work this process runs now (the leases it
// holds), sorted; on PostgreSQL the other replicas run the rest.
func (h *Hub) Leases() []string {
	h.heldMu.Lock()
	defer h.heldMu.Unlock()
	out := make([]string, 0, len(h.held))
	for name := range h.held {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Drain marks the hub as going away: its health check answers 503 from now
// on, so a load balancer stops sending it work before its sockets close.
func (h *Hub) Drain() { h.draining.Store(true) }

// Draining reports whether Drain was called.
func (h *Hub) Draining() bool { return h.draining.Load() }

// MetricsToken is the bearer token /metrics asks for ("" for none).
func (h *Hub) MetricsToken() string { return h.cfg.MetricsToken }

// Now is the hub's clock.
func (h *Hub) Now() time.Time { return h.now() }

// Close ends the kiosks' connections and closes the store. Call it after
// Run has returned.
func (h *Hub) Close() error {
	h.Sync.Close()
	return h.Store.Close()
}

// Limiter returns l, sharing its buckets through the database under name
// when replicas share one (Limits).
func (h *Hub) Limiter(l *webui.Limiter, name string) *webui.Limiter {
	if h.Limits == nil {
		return l
	}
	return l.Shared(h.Limits, name)
}

// Guesses is Limiter for a guess limiter.
func (h *Hub) Guesses(g *webui.Guesses, name string) *webui.Guesses {
	if h.Limits == nil {
		return g
	}
	return g.Shared(h.Limits, name)
}
