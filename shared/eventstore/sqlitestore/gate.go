package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// writeGate lets one write transaction at a time into the database, queued
// in Go. SQLite has one write lock per file, and a connection that finds it
// taken waits in its busy handler, which sleeps 1, 2, 5, 10, ... 100 ms
// between tries: under load the group writer commits again and again while
// the adapters' transactions (payments, read models, delivery marks) sleep,
// and a request that needed one of them waited tens of milliseconds for a
// lock held a fraction of one. Queued here, the next writer starts the
// moment the lock is free. The process lock (lockFile) makes this process
// the file's only writer, so the gate sees every write.
type writeGate struct {
	slot    chan struct{}
	timeout time.Duration // as long as SQLite's busy_timeout would wait
}

func newWriteGate(timeout time.Duration) *writeGate {
	return &writeGate{slot: make(chan struct{}, 1), timeout: timeout}
}

// acquire waits for the gate, at most until ctx ends or the timeout passes.
// A writer that waits longer than the timeout is as stuck as one SQLite
// would have failed with "database is locked", and fails the same way.
func (g *writeGate) acquire(ctx context.Context) error {
	select {
	case g.slot <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(g.timeout)
	defer t.Stop()
	select {
	case g.slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for the database write lock: %w", ctx.Err())
	case <-t.C:
		return fmt.Errorf("wait for the database write lock: %w: another write held it for %s", ErrBusy, g.timeout)
	}
}

func (g *writeGate) release() { <-g.slot }

// sqliteConn is what database/sql uses of a modernc.org/sqlite connection;
// gatedConn forwards all of it so none of the fast paths is lost.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// gatedConnector opens the pool's connections, each passing its write
// transactions, and its writes outside a transaction, through gate.
type gatedConnector struct {
	dsn  string
	drv  *sqlite.Driver
	gate *writeGate
}

// openGated opens a pool on dsn whose writes pass through gate.
func openGated(dsn string, gate *writeGate) *sql.DB {
	return sql.OpenDB(&gatedConnector{dsn: dsn, drv: &sqlite.Driver{}, gate: gate})
}

func (c *gatedConnector) Connect(context.Context) (driver.Conn, error) {
	raw, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	sc, ok := raw.(sqliteConn)
	if !ok {
		raw.Close()
		return nil, fmt.Errorf("sqlite driver connection %T lacks the context methods", raw)
	}
	return &gatedConn{sqliteConn: sc, gate: c.gate}, nil
}

func (c *gatedConnector) Driver() driver.Driver { return c.drv }

type gatedConn struct {
	sqliteConn
	gate *writeGate
	inTx bool // database/sql never uses a connection from two goroutines
}

// Begin is the pre-context entry point; it takes the gate like BeginTx.
func (c *gatedConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx takes the gate for a write transaction (every transaction but a
// read-only one begins IMMEDIATE, see DSN) until it commits or rolls back.
func (c *gatedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if opts.ReadOnly {
		return c.sqliteConn.BeginTx(ctx, opts)
	}
	if err := c.gate.acquire(ctx); err != nil {
		return nil, err
	}
	tx, err := c.sqliteConn.BeginTx(ctx, opts)
	if err != nil {
		c.gate.release()
		return nil, err
	}
	c.inTx = true
	return &gatedTx{Tx: tx, end: sync.OnceFunc(func() { c.inTx = false; c.gate.release() })}, nil
}

// ExecContext outside a transaction is a write in its own implicit
// transaction (reads go through QueryContext), so it takes the gate too.
func (c *gatedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.inTx {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	if err := c.gate.acquire(ctx); err != nil {
		return nil, err
	}
	defer c.gate.release()
	return c.sqliteConn.ExecContext(ctx, query, args)
}

type gatedTx struct {
	driver.Tx
	end func()
}

func (t *gatedTx) Commit() error {
	defer t.end()
	return t.Tx.Commit()
}

func (t *gatedTx) Rollback() error {
	defer t.end()
	return t.Tx.Rollback()
}
