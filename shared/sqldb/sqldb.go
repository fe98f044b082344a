// Package sqldb is the port through which adapters that keep tables beside
// the event log (read models, payments, conference management, the kiosk
// registry, sync's scope index) reach the database, whichever it is:
// SQLite, the embedded default, or PostgreSQL for a hub of several
// replicas.
//
// Adapters write their SQL once. Both databases accept the same text when
// it keeps to the common subset: numbered placeholders ($1, $2 ...; SQLite
// binds $N to the Nth argument), INSERT ... ON CONFLICT ... DO NOTHING / DO
// UPDATE SET x = excluded.x, RETURNING, integers for times (Unix ms) and
// flags, blobs for ids. Where the two really differ, the Dialect says
// which one it is, in the adapter's one place that needs it.
package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"

	"conference/shared/eventstore"
)

// Dialect names the SQL database behind a DB.
type Dialect string

// The dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a pool of connections to one database, with its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
}

// Tx is what a write function may do inside a transaction the store runs:
// *sql.Tx and *sql.Conn have these methods, so an adapter's statements
// serve either.
type Tx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// Querier is what *sql.DB, *sql.Tx and Tx have in common for reads.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Placeholders returns n numbered placeholders starting at $from,
// "$from,$from+1,...", for an IN list or a multi-row VALUES.
func Placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// Checkpoint returns a follower's stored position (0 when new) from the
// checkpoints table every store has.
func Checkpoint(ctx context.Context, q Querier, name string) (int64, error) {
	var pos int64
	err := q.QueryRowContext(ctx, `SELECT position FROM checkpoints WHERE name = $1`, name).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read checkpoint %s: %w", name, err)
	}
	return pos, nil
}

// SaveCheckpoint stores a follower's position inside the caller's
// transaction, the one that wrote what the position describes.
func SaveCheckpoint(ctx context.Context, tx Tx, name string, position int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (name, position) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET position = excluded.position`, name, position)
	if err != nil {
		return fmt.Errorf("save checkpoint %s at %d: %w", name, position, err)
	}
	return nil
}

// Tables is what an adapter keeping tables beside the event log needs from
// the store: the pool for reads, writes in the store's transactions, and
// the outbox inside them.
type Tables interface {
	// DB is the pool, for reads (and transactions of the adapter's own
	// that need no outbox).
	DB() *DB
	// Write runs fn in a transaction the store commits: on SQLite inside
	// the group writer's next one (fn must not call the store, and may
	// run twice), on PostgreSQL a transaction of its own.
	Write(ctx context.Context, fn func(tx Tx) error) error
	// EnqueueTx writes outbox messages inside tx, atomically with the
	// adapter's change; call NotifyMessages after the commit.
	EnqueueTx(ctx context.Context, tx Tx, msgs ...eventstore.Message) error
	NotifyMessages()
}

// Store is an event store on a SQL database with room for adapters' tables
// beside the log: both stores of the project (sqlitestore, pgstore).
type Store interface {
	eventstore.Log
	Tables
}

// IsForeignKeyViolation reports whether err is a foreign key constraint
// failure, on either database (see IsUniqueViolation).
func IsForeignKeyViolation(err error) bool {
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return pg.SQLState() == "23503"
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		return lite.Code() == 787 // SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// IsUniqueViolation reports whether err is a unique or primary key
// constraint failure, on either database. It looks at the drivers' errors
// through the methods they have (PostgreSQL's SQLSTATE, SQLite's extended
// result code), so this package imports neither driver.
func IsUniqueViolation(err error) bool {
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return pg.SQLState() == "23505"
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		// SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY.
		return lite.Code() == 2067 || lite.Code() == 1555
	}
	return false
}

// Upsert returns a statement that inserts a whole row, or replaces the
// columns of the row with the same key: SQLite's INSERT OR REPLACE, written
// the way both databases take it.
func Upsert(table string, key []string, cols ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO ", table, strings.Join(cols, ", "),
		Placeholders(1, len(cols)), strings.Join(key, ", "))
	keyed := map[string]bool{}
	for _, k := range key {
		keyed[k] = true
	}
	var sets []string
	for _, c := range cols {
		if !keyed[c] {
			sets = append(sets, c+" = excluded."+c)
		}
	}
	if len(sets) == 0 {
		b.WriteString("NOTHING")
	} else {
		b.WriteString("UPDATE SET " + strings.Join(sets, ", "))
	}
	return b.String()
}

// Args collects the arguments of a statement built piece by piece and
// names each with its numbered placeholder.
type Args []any

// Add appends v and returns its placeholder ("$3").
func (a *Args) Add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// TableNames lists the tables of the database (of the current schema on
// PostgreSQL), sorted: tools and tests that look at everything stored.
func (db *DB) TableNames(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if db.Dialect == Postgres {
		q = `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// IsUnavailable reports whether err says the database could not be reached
// (down, restarting, the connection cut), as opposed to a statement that
// failed: the request may succeed if tried again. It covers the event
// stores' eventstore.ErrUnavailable and the drivers' own errors, looked at
// through what they have in common (SQLSTATE class 08 or a shutting-down
// server on PostgreSQL, a network error, a closed connection).
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, eventstore.ErrUnavailable) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		code := pg.SQLState()
		return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03"
	}
	var ne net.Error
	return errors.As(err, &ne)
}
