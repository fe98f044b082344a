package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"conference/shared/eventstore"
	"conference/shared/sqldb"
)

// Tx is what a Write function may do inside the writer's transaction
// (sqldb.Tx). *sql.Tx has the same methods, so an adapter's statements
// serve both.
type Tx = sqldb.Tx

// Write runs fn inside the group writer's next transaction, beside the
// appends committed with it, and returns fn's error once that transaction
// has committed (or fn's own error, its statements undone). Adapters that
// keep their own tables in the store's file (payments, read models,
// checkpoints) write this way instead of in transactions of their own:
// SQLite has one write lock, and many small writes sharing one commit
// cost one WAL sync instead of one each.
//
// fn must only run statements on tx: it runs on the writer's goroutine, so
// calling the store (or anything waiting for it) deadlocks, and it must
// close the rows and statements it opens. It may run more than once (a
// group that fails as a whole is retried request by request), so it must
// not change anything outside the database. Once the writer has taken
// the request, Write waits for its outcome even if ctx ends: the caller
// must know whether fn committed, and fn may still be reading the
// caller's state. If ctx ended before fn ran, fn does not run. fn's
// statements run uncancellable whatever context it passes them.
func (s *Store) Write(ctx context.Context, fn func(tx Tx) error) error {
	r := &request{ctx: ctx, write: fn, done: make(chan outcome, 1)}
	select {
	case s.reqs <- r:
	case <-s.quit:
		return eventstore.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return (<-r.done).err
}

// runWrite runs a Write request under a savepoint of its own, so its
// failure undoes only its own statements. The error returned is the
// savepoint's: the transaction itself is in trouble.
func (s *Store) runWrite(ctx context.Context, r *request, out *outcome) error {
	if err := r.ctx.Err(); err != nil {
		*out = outcome{err: err} // its caller gave up before it ran
		return nil
	}
	if _, err := s.stmts.savepoint.ExecContext(ctx); err != nil {
		return err
	}
	err := callWrite(r.write, uncancellable{s.wconn})
	if err != nil {
		if _, rerr := s.stmts.rollbackTo.ExecContext(ctx); rerr != nil {
			return rerr
		}
	}
	if _, rerr := s.stmts.release.ExecContext(ctx); rerr != nil {
		return rerr
	}
	*out = outcome{err: err}
	return nil
}

// uncancellable runs a Write function's statements with contexts that
// cannot end: the driver interrupts a statement whose context ends, and
// SQLite answers an interrupted write by rolling back the whole
// transaction, every other request of the group with it.
type uncancellable struct{ tx Tx }

func (u uncancellable) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return u.tx.ExecContext(context.WithoutCancel(ctx), q, args...)
}

func (u uncancellable) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return u.tx.QueryContext(context.WithoutCancel(ctx), q, args...)
}

func (u uncancellable) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return u.tx.QueryRowContext(context.WithoutCancel(ctx), q, args...)
}

func (u uncancellable) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return u.tx.PrepareContext(context.WithoutCancel(ctx), q)
}

// callWrite keeps a panicking Write function from taking the writer down.
func callWrite(fn func(Tx) error, tx Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write function panicked: %v", p)
		}
	}()
	return fn(tx)
}
