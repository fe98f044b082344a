// Package backendtest opens the store backends for tests: the SQLite file
// the kiosk and a small hub use, and PostgreSQL for a hub of several
// replicas.
//
// The hub's suites (adapters, application, web, API) open their store with
// Open, which takes the backend named by CONFERENCE_TEST_DB ("sqlite", the
// default, or "postgres"); `make test` runs them once with each, so every
// port's suite checks both backends. A test that compares the two in one
// run uses Each.
package backendtest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"conference/migrations"
	"conference/shared/eventstore"
	"conference/shared/eventstore/pgstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/pgtest"
	"conference/shared/sqldb"
)

// Store is what both backends are: the event log, the adapters' tables
// beside it, notices between processes, Close.
type Store interface {
	sqldb.Store
	eventstore.Notifier
}

// Options of a store opened for a test.
type Options struct {
	Node       string // "hub" when empty
	Components []migrations.Component
	Now        func() time.Time
	Logger     *slog.Logger
}

// Backend opens fresh stores of one kind.
type Backend struct {
	Name    sqldb.Dialect
	dbURL   string // PostgreSQL: the test's database (shared by its Opens)
	tempDir string
}

// Open returns a fresh store, closed when the test ends. On PostgreSQL
// every Open of one Backend shares one database, as replicas of one hub
// would: open twice for two replicas.
func (b *Backend) Open(tb testing.TB, opts Options) Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if opts.Node == "" {
		opts.Node = "hub"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var s Store
	switch b.Name {
	case sqldb.Postgres:
		if b.dbURL == "" {
			b.dbURL = pgtest.NewDatabase(tb)
		}
		st, err := pgstore.Open(ctx, b.dbURL, pgstore.Options{Node: opts.Node, Components: opts.Components, Now: opts.Now, Logger: opts.Logger})
		if err != nil {
			tb.Fatalf("open PostgreSQL store: %v", err)
		}
		s = st
	default:
		if b.tempDir == "" {
			b.tempDir = tb.TempDir()
		}
		st, err := sqlitestore.Open(ctx, filepath.Join(b.tempDir, "store.db"), sqlitestore.Options{Node: opts.Node, Components: opts.Components, Now: opts.Now, Logger: opts.Logger})
		if err != nil {
			tb.Fatalf("open SQLite store: %v", err)
		}
		s = st
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// URL is the database of this Backend as `hub --db` takes it: the
// PostgreSQL database its Opens share, or a SQLite file in the test's
// temporary folder.
func (b *Backend) URL(tb testing.TB) string {
	tb.Helper()
	if b.Name == sqldb.Postgres {
		if b.dbURL == "" {
			b.dbURL = pgtest.NewDatabase(tb)
		}
		return b.dbURL
	}
	if b.tempDir == "" {
		b.tempDir = tb.TempDir()
	}
	return filepath.Join(b.tempDir, "hub.db")
}

// EnvVar names the backend the hub's suites run on.
const EnvVar = "CONFERENCE_TEST_DB"

// Current is the backend chosen by EnvVar (SQLite when unset).
func Current(tb testing.TB) sqldb.Dialect {
	switch v := os.Getenv(EnvVar); v {
	case "", "sqlite":
		return sqldb.SQLite
	case "postgres":
		return sqldb.Postgres
	default:
		tb.Fatalf("%s=%q: want sqlite or postgres", EnvVar, v)
		return ""
	}
}

// Open opens a fresh, migrated store of the current backend, closed when
// the test ends.
func Open(tb testing.TB, opts Options) Store {
	tb.Helper()
	return New(tb).Open(tb, opts)
}

// New returns the current backend, for a test that closes its store and
// opens the same database again (a restart): every Open of one Backend
// opens the same database.
func New(tb testing.TB) *Backend { return &Backend{Name: Current(tb)} }

// URL returns a fresh database for the current backend, for code that
// opens its store itself (hubapp): a PostgreSQL URL, or a SQLite file path
// in the test's temporary directory.
func URL(tb testing.TB) string {
	tb.Helper()
	if Current(tb) == sqldb.Postgres {
		return pgtest.NewDatabase(tb)
	}
	return filepath.Join(tb.TempDir(), "hub.db")
}

// Each runs fn as a subtest once per backend ("sqlite", "postgres"). In
// CI a backend that cannot run fails the test (pgtest).
func Each(t *testing.T, fn func(t *testing.T, b *Backend)) {
	for _, name := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		t.Run(string(name), func(t *testing.T) {
			fn(t, &Backend{Name: name})
		})
	}
}

// Stores is Each for the common case of one store per subtest.
func Stores(t *testing.T, opts Options, fn func(t *testing.T, s Store)) {
	Each(t, func(t *testing.T, b *Backend) { fn(t, b.Open(t, opts)) })
}

// Replicas opens n stores of the current backend on one fresh database, as
// n replicas of a hub would share it; on SQLite, which admits one process,
// they are the same store n times.
func Replicas(tb testing.TB, n int, opts Options) []Store {
	tb.Helper()
	b := &Backend{Name: Current(tb)}
	out := make([]Store, n)
	for i := range out {
		if i > 0 && b.Name == sqldb.SQLite {
			out[i] = out[0]
			continue
		}
		out[i] = b.Open(tb, opts)
	}
	return out
}
