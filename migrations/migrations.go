// Package migrations holds the versioned SQL schema of the hub and kiosk
// databases, embedded in the binaries, and applies it at start.
//
// The schema is split into components (the event store, the hub's tables,
// the kiosk's tables), each numbered on its own, so a kiosk database carries
// only what a kiosk needs. All pending migrations of a call run in one
// transaction: a failure leaves the database exactly as it was.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"conference/shared/sqldb"
)

//go:embed sqlite postgres
var files embed.FS

// ErrDatabaseNewer is matched when a database was migrated by a newer binary.
var ErrDatabaseNewer = errors.New("database is newer than this binary")

// Component is one independently versioned part of the schema: a folder of
// NNNN_description.sql files per database. Each dialect numbers its own
// versions: a PostgreSQL schema starts from today's SQLite shape in one
// migration rather than replaying SQLite's history.
type Component struct {
	Name string
	FS   fs.FS // SQLite
	// PG is the component on PostgreSQL; nil for a component only kiosks
	// have.
	PG fs.FS
}

// Components of the SQLite databases.
var (
	// EventStore: events, snapshots, outbox/message log, processed
	// messages, dead letters, checkpoints. Both hub and kiosk have it.
	EventStore = embedded("eventstore", "sqlite/eventstore")
	// Hub: conference management (organizers, API tokens, conferences,
	// seat types). Only the hub has it.
	Hub = embedded("hub", "sqlite/hub")
	// Kiosk: the kiosk's identity, sync progress and walk-up sales in
	// progress. Only kiosks have it.
	Kiosk = embedded("kiosk", "sqlite/kiosk")
	// Payments: the hub's fake payment processor (hub/payments). Only
	// the hub has it.
	Payments = embedded("payments", "sqlite/payments")
	// ReadModels: the hub's read models (hub/readmodels), rebuildable
	// from the event and message logs. Only the hub has it.
	ReadModels = embedded("readmodels", "sqlite/readmodels")
	// Web: the hub web UI's password hashes and sessions.
	Web = embedded("web", "sqlite/web")
	// Kiosks: the hub's kiosk registry (hub/kiosks): kiosks, pairing
	// codes and credential hashes, the hub's signing key. Only the hub.
	Kiosks = embedded("kiosks", "sqlite/kiosks")
)

// FromFS makes a component of a package's own embedded migrations: the
// SQLite ones in folder sqliteDir of fsys, the PostgreSQL ones in pgDir.
func FromFS(name string, fsys fs.FS, sqliteDir, pgDir string) Component {
	lite, err := fs.Sub(fsys, sqliteDir)
	if err != nil {
		panic(err) // only if the caller's embed pattern is broken
	}
	pg, err := fs.Sub(fsys, pgDir)
	if err != nil {
		panic(err)
	}
	return Component{Name: name, FS: lite, PG: pg}
}

func embedded(name, dir string) Component {
	c := Component{Name: name, FS: sub(dir)}
	pg := "postgres/" + strings.TrimPrefix(dir, "sqlite/")
	if _, err := fs.Stat(files, pg); err == nil {
		c.PG = sub(pg)
	}
	return c
}

func sub(dir string) fs.FS {
	s, err := fs.Sub(files, dir)
	if err != nil {
		// Only reachable if the embed pattern above is broken, which the
		// tests catch at build time of the package.
		panic(err)
	}
	return s
}

// Migration is one numbered SQL script.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// List returns the component's SQLite migrations in version order.
func (c Component) List() ([]Migration, error) { return c.list(c.FS) }

// ListPG returns the component's PostgreSQL migrations in version order.
func (c Component) ListPG() ([]Migration, error) {
	if c.PG == nil {
		return nil, fmt.Errorf("component %s has no PostgreSQL schema", c.Name)
	}
	return c.list(c.PG)
}

func (c Component) list(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("list migrations of %s: %w", c.Name, err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s/%s: name must be NNNN_description.sql", c.Name, e.Name())
		}
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations of %s: version %d missing", c.Name, i+1)
		}
	}
	return out, nil
}

// migrationLock is the advisory lock key PostgreSQL migrations run under
// ("migrate" in ASCII), so replicas starting together apply them once: the
// second waits, then finds nothing left to do.
const migrationLock = 0x6d696772617465

// Apply brings every component to its latest version in one transaction.
// A database that some component's migrations are newer than this binary's
// is refused with ErrDatabaseNewer and left untouched.
func Apply(ctx context.Context, db *sqldb.DB, components ...Component) error {
	d := db.Dialect
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	if d == sqldb.Postgres {
		// Held to the end of the transaction. DDL is transactional on
		// PostgreSQL, so a failed migration leaves nothing behind either.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,
		PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, c := range components {
		list, err := c.List()
		if d == sqldb.Postgres {
			list, err = c.ListPG()
		}
		if err != nil {
			return err
		}
		if err := applyComponent(ctx, tx, c.Name, list); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}

func applyComponent(ctx context.Context, tx *sql.Tx, name string, list []Migration) error {
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = $1`, name).Scan(&current); err != nil {
		return fmt.Errorf("read schema version of %s: %w", name, err)
	}
	if current > len(list) {
		return fmt.Errorf("%w: schema %q is at version %d, this binary knows up to %d; run a newer release",
			ErrDatabaseNewer, name, current, len(list))
	}
	for _, m := range list[current:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %s %04d_%s: %w", name, m.Version, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (component, version, name, applied_at) VALUES ($1, $2, $3, $4)`,
			name, m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return fmt.Errorf("record migration %s %d: %w", name, m.Version, err)
		}
	}
	return nil
}
