// Package pgstore is the event store on PostgreSQL (github.com/jackc/pgx/v5),
// for a hub that runs as several replicas sharing one database.
//
// Each replica keeps one writer goroutine that commits the appends waiting
// at that moment in one transaction (write.go). Every append transaction
// takes the 'events' counter row FOR UPDATE and numbers its events from it,
// so log positions are dense and become visible in commit order: a reader
// of position > last never skips an event and never sees one twice,
// however many writers there are. The lock is held only for the server's
// work on the writing round trip: a group is planned before it, from the
// expected versions its batches name or from a snapshot, and planned again
// under the lock when the table refuses what the plan assumed
// (optimistic.go). Transactions commit without waiting for the disk, and a
// flusher makes them durable before their callers hear of them
// (durable.go). The rules of an append are the ones the SQLite store
// applies (package appendplan).
//
// Replicas learn of each other's commits through LISTEN/NOTIFY on a
// dedicated connection, with a poll of the head every second as the net
// under a lost notification (listen.go).
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"conference/migrations"
	"conference/shared/eventstore"
	"conference/shared/eventstore/internal/fanout"
	"conference/shared/hlc"
	"conference/shared/sqldb"
)

// Options configure a Store. The zero value is a hub store.
type Options struct {
	// Node is this node's origin name; "hub" for every replica of a hub,
	// which share one gap-free origin_seq.
	Node string
	// Clock stamps locally recorded events; a fresh wall clock when nil.
	Clock *hlc.Clock
	// Components are extra schema parts migrated into the same database.
	Components []migrations.Component
	// MaxGroup bounds how many appends share one transaction.
	MaxGroup int
	// MaxConns is the pool size (default 16: the group writer, up to
	// maxFlushes flushes, the workers holding leases and the requests
	// being served share it). The LISTEN connection is extra.
	MaxConns int32
	// Poll is how often the head is read when no notification came
	// (default 1 s): the bound on the delay a lost notification causes.
	Poll time.Duration
	// Observe hears about every append transaction this replica commits
	// or fails (metrics); nil for none.
	Observe eventstore.CommitObserver
	Logger  *slog.Logger
	Now     func() time.Time
}

// Store implements eventstore.Store on a PostgreSQL database.
type Store struct {
	cfg   *pgxpool.Config
	pool  *pgxpool.Pool
	db    *sqldb.DB // database/sql over the same pool, for adapters
	opts  Options
	log   *slog.Logger
	where string // host and database, for messages (never the password)

	reqs    chan *request
	quit    chan struct{}
	stopped chan struct{}
	wg      sync.WaitGroup
	once    sync.Once

	mu sync.Mutex
	// awaiting counts the callers whose groups are committed and not
	// yet answered; answered is closed (and replaced) each time the
	// flusher answers some (write.go, waitForAnswered).
	awaiting   atomic.Int64
	returned   atomic.Int64 // callers answered since the writer last formed a group
	answeredMu sync.Mutex
	answered   chan struct{}
	head       int64          // highest committed position this replica knows of
	msgHead    int64          // likewise for the message log
	appended   chan struct{}  // closed and replaced when head moves
	messaged   chan struct{}  // closed and replaced when a message is written
	streams    fanout.Streams // WatchStream's waiters
	groups     int64
	grouped    int64
	raced      int64

	leases *leases // Acquire's, made on first use
	tail   ring    // the newest events, for the replica's log followers
	// followMu lets one follow (listen.go) read into tail at a time.
	followMu sync.Mutex
	// flushDelay holds commits non-durable a while, for tests only.
	flushDelay time.Duration
	// betweenPlanAndWrite runs in optimistic groups between read and
	// write, for tests only.
	betweenPlanAndWrite func()
	topics              fanout.Topics // Subscribe's, fed by the listener
}

var (
	_ eventstore.Log      = (*Store)(nil)
	_ eventstore.Notifier = (*Store)(nil)
	_ sqldb.Tables        = (*Store)(nil)
)

// Open connects to the database at dsn (a postgres:// URL or key=value
// string), migrates the schema under the migration lock, and starts the
// writer and the listener. Errors wrap eventstore.ErrUnavailable when the
// server cannot be reached, and never carry the password.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Node == "" {
		opts.Node = "hub"
	}
	if opts.Clock == nil {
		opts.Clock = hlc.NewClock(nil)
	}
	if opts.MaxGroup <= 0 {
		opts.MaxGroup = 512
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg, err := Config(dsn)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = opts.MaxConns
	s := &Store{cfg: cfg, opts: opts, log: opts.Logger, where: Describe(cfg.ConnConfig.Host, cfg.ConnConfig.Database),
		reqs: make(chan *request), quit: make(chan struct{}), stopped: make(chan struct{}),
		appended: make(chan struct{}), messaged: make(chan struct{}), answered: make(chan struct{})}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("open PostgreSQL at %s: %w", s.where, err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("open PostgreSQL at %s: %w", s.where, Classify(err))
	}
	s.db = &sqldb.DB{DB: stdlib.OpenDBFromPool(s.pool), Dialect: sqldb.Postgres}
	components := append([]migrations.Component{migrations.EventStore}, opts.Components...)
	if err := migrations.Apply(ctx, s.db, components...); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open PostgreSQL at %s: %w", s.where, Classify(err))
	}
	if _, _, err := s.durableHeads(ctx); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open PostgreSQL at %s: read the log head: %w", s.where, err)
	}
	ready := make(chan struct{})
	s.wg.Add(2)
	go s.run()
	go s.listen(ready)
	select {
	case <-ready:
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	}
	return s, nil
}

// Config parses dsn into a pool configuration with the session settings
// every connection of the hub needs:
//   - lock_timeout bounds how long an append waits for the counter lock,
//     so a stuck holder cannot freeze every writer silently;
//   - TCP keepalives let the server notice a replica that vanished without
//     closing its connections (power loss, a cut cable) and free what its
//     sessions held;
//   - idle_in_transaction_session_timeout ends a transaction its client
//     abandoned mid-way;
//   - plan_cache_mode plans every execution of a prepared statement for
//     its arguments: a generic plan made while a table was small (a new
//     database, before autovacuum's first ANALYZE) scanned the whole
//     table for `event_id = ANY($1)` at every append, and appends slowed
//     as the log grew.
func Config(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrBadURL, redact(err.Error()))
	}
	rp := cfg.ConnConfig.RuntimeParams
	for k, v := range map[string]string{
		"application_name":                    "conference-hub",
		"lock_timeout":                        "10s",
		"idle_in_transaction_session_timeout": "60s",
		"tcp_keepalives_idle":                 "10",
		"tcp_keepalives_interval":             "5",
		"tcp_keepalives_count":                "3",
		"TimeZone":                            "UTC",
		"plan_cache_mode":                     "force_custom_plan",
	} {
		if _, set := rp[k]; !set {
			rp[k] = v
		}
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	cfg.HealthCheckPeriod = 5 * time.Second
	return cfg, nil
}

// ErrBadURL reports a database URL that cannot be parsed.
var ErrBadURL = errors.New("bad PostgreSQL URL")

// IsURL reports whether a --db value names a PostgreSQL database rather
// than a SQLite file.
func IsURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Describe names a database for messages: host (or socket directory) and
// database name, never credentials.
func Describe(host, database string) string {
	if strings.HasPrefix(host, "/") {
		host = "socket " + host
	}
	return fmt.Sprintf("%s, database %q", host, database)
}

// redact removes a password from any URL in a parse error.
func redact(msg string) string {
	for _, f := range strings.Fields(msg) {
		f = strings.Trim(f, `"'`)
		if u, err := url.Parse(f); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				msg = strings.ReplaceAll(msg, f, u.Redacted())
			}
		}
	}
	return msg
}

// DB is database/sql over the store's pool, for adapters that keep their
// tables in the same database.
func (s *Store) DB() *sqldb.DB { return s.db }

// Node is this store's origin name.
func (s *Store) Node() string { return s.opts.Node }

// Stats describes the group writer's batching so far.
type Stats struct {
	Groups   int64 // transactions committed by the group writer
	Requests int64 // appends they carried
	Raced    int64 // groups planned again under the lock (optimistic.go)
}

// Stats reports how appends were grouped.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Groups: s.groups, Requests: s.grouped, Raced: s.raced}
}

// Close stops the writer after the group in flight, the listener, and the
// pool. Appends waiting to be written fail with eventstore.ErrClosed.
func (s *Store) Close() error {
	s.once.Do(func() {
		close(s.quit)
		s.wg.Wait()
		s.streams.WakeAll()
		s.closeDBs()
	})
	return nil
}

func (s *Store) closeDBs() {
	if s.db != nil {
		s.db.Close()
	}
	s.pool.Close()
}
