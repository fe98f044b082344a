package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"conference/shared/lease"
	"conference/shared/pgtest"
	"conference/shared/sqldb"
)

func TestALeaseIsHeldByOneReplicaAndMovesWhenItsHolderGoes(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := openURL(t, url), openURL(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ha, err := a.Acquire(ctx, "process manager")
	if err != nil {
		t.Fatal(err)
	}
	short, scancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer scancel()
	if _, err := b.Acquire(short, "process manager"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second replica acquired a held lease (%v)", err)
	}
	if hb, err := b.Acquire(ctx, "read models"); err != nil {
		t.Fatalf("another lease is free: %v", err)
	} else {
		hb.Release()
	}
	start := time.Now()
	a.Close() // its session ends, and the lock with it
	select {
	case <-ha.Lost():
	case <-ctx.Done():
		t.Fatal("closing the holder did not report its lease lost")
	}
	hb, err := b.Acquire(ctx, "process manager")
	if err != nil {
		t.Fatal(err)
	}
	defer hb.Release()
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("takeover took %s, want < 5 s", took)
	}
}

// A replica whose lease session was cut cannot commit a write under that
// lease, even before it notices the loss: the fence is checked inside the
// write's transaction.
func TestAWriteUnderALostLeaseIsRefused(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := openURL(t, url), openURL(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := a.DB().ExecContext(ctx, `CREATE TABLE fenced (v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	h, err := a.Acquire(ctx, "projections")
	if err != nil {
		t.Fatal(err)
	}
	work := lease.WithHeld(ctx, h)
	insert := func(tx sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO fenced (v) VALUES (1)`)
		return err
	}
	if err := a.Write(work, insert); err != nil {
		t.Fatalf("write under a held lease: %v", err)
	}
	// Cut the lease's session from outside, as a network partition or an
	// administrator would, and let the other replica take the lease.
	if _, err := b.DB().ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'conference-hub leases'`); err != nil {
		t.Fatal(err)
	}
	hb, err := b.Acquire(ctx, "projections")
	if err != nil {
		t.Fatal(err)
	}
	defer hb.Release()
	if err := a.Write(work, insert); !errors.Is(err, lease.ErrLost) {
		t.Fatalf("write under a lost lease: %v, want lease.ErrLost", err)
	}
	var n int
	if err := b.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM fenced`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows (%v), want only the write made under the held lease", n, err)
	}
}
