package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
)

func countRows(t *testing.T, s *sqlitestore.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Writes, failing writes and appends submitted together (held back behind
// an open transaction so they pile up into shared groups) each get their
// own outcome: a failing write leaves none of its rows, and takes nobody
// else's down.
func TestWriteOutcomesAreEachCallersOwn(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	if _, err := s.DB().Exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	errRefused := errors.New("refused")
	hold, err := s.DB().BeginTx(ctx, nil) // every writer queues behind it
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 3 {
			case 0:
				errs[i] = s.Write(ctx, func(tx sqlitestore.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO notes (id, body) VALUES (?, 'kept')`, i)
					return err
				})
			case 1:
				errs[i] = s.Write(ctx, func(tx sqlitestore.Tx) error {
					if _, err := tx.ExecContext(ctx, `INSERT INTO notes (id, body) VALUES (?, 'undone')`, i); err != nil {
						return err
					}
					return errRefused
				})
			default:
				stream := eventstore.Stream{ID: fmt.Sprintf("note-%d", i), Type: "note"}
				_, errs[i] = s.Append(ctx, stream, eventstore.NoStream, []eventstore.Event{{EventID: ids.New(), Type: "noted", Schema: 1}})
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := hold.Exec(`INSERT INTO notes (id, body) VALUES (1000, 'held')`); err != nil {
		t.Fatal(err)
	}
	if err := hold.Commit(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		switch {
		case i%3 == 1 && !errors.Is(err, errRefused):
			t.Errorf("failing write %d returned %v, want its own error", i, err)
		case i%3 != 1 && err != nil:
			t.Errorf("request %d failed: %v", i, err)
		}
	}
	if got := countRows(t, s, `SELECT COUNT(*) FROM notes WHERE body = 'kept'`); got != n/3 {
		t.Errorf("%d kept notes, want %d", got, n/3)
	}
	if got := countRows(t, s, `SELECT COUNT(*) FROM notes WHERE body = 'undone'`); got != 0 {
		t.Errorf("%d notes of failed writes were committed", got)
	}
	if got := countRows(t, s, `SELECT COUNT(*) FROM events`); got != n/3 {
		t.Errorf("%d events, want %d", got, n/3)
	}
}

// A panicking write function fails alone; the writer goes on.
func TestWritePanicIsAnError(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	err := s.Write(ctx, func(sqlitestore.Tx) error { panic("boom") })
	if err == nil {
		t.Fatal("a panicking write reported success")
	}
	if _, err := s.Append(ctx, eventstore.Stream{ID: "after", Type: "t"}, eventstore.NoStream,
		[]eventstore.Event{{EventID: ids.New(), Type: "x", Schema: 1}}); err != nil {
		t.Fatalf("append after the panic: %v", err)
	}
}

// A transaction of the pool holds the write lock; a Write waits for it in
// the gate and succeeds once it commits, instead of failing busy.
func TestWriteWaitsForThePoolsTransaction(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	if _, err := s.DB().Exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- s.Write(ctx, func(tx sqlitestore.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO notes (id) VALUES (2)`)
			return err
		})
	}()
	select {
	case err := <-done:
		t.Fatalf("write finished (%v) while another transaction held the lock", err)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := tx.Exec(`INSERT INTO notes (id) VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("write after the lock was released: %v", err)
	}
	if got := countRows(t, s, `SELECT COUNT(*) FROM notes`); got != 2 {
		t.Fatalf("%d rows, want 2", got)
	}
}

// WatchStream wakes the watchers of the streams a commit touched, only
// those, and all of them when the store closes.
func TestWatchStream(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	a, stopA := s.WatchStream("a")
	defer stopA()
	b, stopB := s.WatchStream("b")
	defer stopB()
	c, stopC := s.WatchStream("c")
	stopC()
	if _, err := s.Append(ctx, eventstore.Stream{ID: "a", Type: "t"}, eventstore.NoStream,
		[]eventstore.Event{{EventID: ids.New(), Type: "x", Schema: 1}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a:
	case <-time.After(5 * time.Second):
		t.Fatal("watcher of the appended stream not woken")
	}
	select {
	case <-b:
		t.Fatal("watcher of another stream woken")
	default:
	}
	if _, err := s.Append(ctx, eventstore.Stream{ID: "c", Type: "t"}, eventstore.NoStream,
		[]eventstore.Event{{EventID: ids.New(), Type: "x", Schema: 1}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c:
		t.Fatal("a stopped watcher was woken")
	default:
	}
	s.Close()
	select {
	case <-b:
	case <-time.After(5 * time.Second):
		t.Fatal("closing the store left a watcher waiting")
	}
}

// A Write whose caller's context ends mid-statement neither fails nor
// takes the appends sharing its transaction down: the driver would
// interrupt the statement, and SQLite roll back the whole group.
func TestWriteIgnoresItsContextEndingMidStatement(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	if _, err := s.DB().Exec(`CREATE TABLE t (a INTEGER)`); err != nil {
		t.Fatal(err)
	}
	hold := make(chan struct{})
	go s.Write(ctx, func(sqlitestore.Tx) error { <-hold; return nil }) // the next group forms behind it
	time.Sleep(50 * time.Millisecond)
	appended := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, eventstore.Stream{ID: "x", Type: "X"}, eventstore.NoStream,
			[]eventstore.Event{{EventID: ids.New(), Type: "E", Schema: 1}})
		appended <- err
	}()
	callerCtx, cancel := context.WithCancel(ctx)
	wrote := make(chan error, 1)
	go func() {
		wrote <- s.Write(ctx, func(tx sqlitestore.Tx) error {
			time.AfterFunc(time.Millisecond, cancel)
			_, err := tx.ExecContext(callerCtx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 300000)
				INSERT INTO t SELECT x FROM c`)
			return err
		})
	}()
	time.Sleep(50 * time.Millisecond)
	close(hold)
	if err := <-wrote; err != nil {
		t.Errorf("write whose context ended: %v", err)
	}
	if err := <-appended; err != nil {
		t.Errorf("append in the same group: %v", err)
	}
	if n := countRows(t, s, `SELECT COUNT(*) FROM t`); n != 300000 {
		t.Errorf("%d rows written, want 300000", n)
	}
	if n := countRows(t, s, `SELECT COUNT(*) FROM events WHERE stream_id = 'x'`); n != 1 {
		t.Errorf("stream x has %d events, want 1", n)
	}
}
