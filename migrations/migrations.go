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
)

//go:embed sqlite
var files embed.FS

// ErrDatabaseNewer is matched when a database was migrated by a newer binary.
var ErrDatabaseNewer = errors.New("database is newer than this binary")

// Component is one independently versioned part of the schema: a folder of
// NNNN_description.sql files.
type Component struct {
	Name string
	FS   fs.FS
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

func embedded(name, dir string) Component {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		// Only reachable if the embed pattern above is broken, which the
		// tests catch at build time of the package.
		panic(err)
	}
	return Component{Name: name, FS: sub}
}

// Migration is one numbered SQL script.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// List returns the component's migrations in version order.
func (c Component) List() ([]Migration, error) {
	entries, err := fs.ReadDir(c.FS, ".")
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
		body, err := fs.ReadFile(c.FS, e.Name())
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

// Apply brings every component to its latest version in one transaction.
// A database that some component's migrations are newer than this binary's is
// refused with ErrDatabaseNewer and left untouched.
func Apply(ctx context.Context, db *sql.DB, components ...Component) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,
		PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, c := range components {
		if err := applyComponent(ctx, tx, c); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}

func applyComponent(ctx context.Context, tx *sql.Tx, c Component) error {
	list, err := c.List()
	if err != nil {
		return err
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?`, c.Name).Scan(&current); err != nil {
		return fmt.Errorf("read schema version of %s: %w", c.Name, err)
	}
	if current > len(list) {
		return fmt.Errorf("%w: schema %q is at version %d, this binary knows up to %d; run a newer release",
			ErrDatabaseNewer, c.Name, current, len(list))
	}
	for _, m := range list[current:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %s %04d_%s: %w", c.Name, m.Version, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)`,
			c.Name, m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return fmt.Errorf("record migration %s %d: %w", c.Name, m.Version, err)
		}
	}
	return nil
}
