package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/eventstore/pgstore"
	"conference/shared/eventstore/storetest"
	"conference/shared/pgtest"
)

// The server itself crashes (immediate shutdown: no checkpoint, WAL
// buffers not written) while two replicas append and a third follows the
// log. Afterwards every acknowledged append is stored, and every event the
// follower read is still there at the position it read it: a follower never
// sees an event a crash can take back.
func TestAcknowledgedAppendsSurviveAServerCrashAndFollowersSawOnlyThose(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := pgtest.Start(ctx, pgtest.Options{Fsync: true})
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	defer c.Stop()
	url := c.NewDatabase(t)
	a, b, f := openURL(t, url), openURL(t, url), openURL(t, url)
	// Every group stays committed but not durable for 20 ms, so the crash
	// surely takes some back, and a follower reading them would be caught.
	pgstore.SetFlushDelay(a, 20*time.Millisecond)
	pgstore.SetFlushDelay(b, 20*time.Millisecond)

	var mu sync.Mutex
	acked := map[uuid.UUID]bool{}
	seen := map[int64]uuid.UUID{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := eventstore.Stream{ID: fmt.Sprintf("crash-writer-%d", w), Type: "test"}
			for v := int64(0); ; {
				select {
				case <-stop:
					return
				default:
				}
				evs := storetest.NewEvents(st, 1, "x")
				res, err := s.Append(ctx, st, v, evs)
				var conflict *eventstore.ConflictError
				if errors.As(err, &conflict) {
					// An append answered with an error (its flush cut
					// by the crash) was stored after all: go on from
					// the stream's version, or this writer appends at
					// a stale version for ever.
					v = conflict.Actual
					continue
				}
				if err != nil {
					continue // the server is away; retry
				}
				v = res.Version
				mu.Lock()
				acked[evs[0].EventID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		var after int64
		for {
			select {
			case <-stop:
				return
			default:
			}
			page, err := f.ReadLog(ctx, after, 500)
			if err != nil || len(page) == 0 {
				wctx, wcancel := context.WithTimeout(ctx, 200*time.Millisecond)
				f.WaitForAppend(wctx, after)
				wcancel()
				continue
			}
			mu.Lock()
			for _, e := range page {
				seen[e.Position] = e.EventID
			}
			mu.Unlock()
			after = page[len(page)-1].Position
		}
	}()
	waitFor := func(what string, ok func() bool) {
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	count := func() (int, int) { mu.Lock(); defer mu.Unlock(); return len(acked), len(seen) }
	waitFor("appends and reads before the crash", func() bool { n, m := count(); return n > 200 && m > 100 })
	if err := c.Crash(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := count()
	if err := c.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor("appends after the restart", func() bool { n, _ := count(); return n > before+100 })
	close(stop)
	wg.Wait()

	check, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	stored := map[uuid.UUID]int64{}
	var after int64
	for {
		page, err := check.ReadLog(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.Position != after+1 {
				t.Fatalf("log skips from %d to %d", after, e.Position)
			}
			after = e.Position
			stored[e.EventID] = e.Position
		}
	}
	for id := range acked {
		if _, ok := stored[id]; !ok {
			t.Fatalf("acknowledged event %s lost in the crash", id)
		}
	}
	for pos, id := range seen {
		if stored[id] != pos {
			t.Fatalf("the follower read %s at position %d, which the crash took back (now at %d)", id, pos, stored[id])
		}
	}
	t.Logf("%d acknowledged appends, %d events followed, %d stored", len(acked), len(seen), len(stored))
}

// An append is invisible to log and message followers on every replica
// until it is durable, although other transactions could already read its
// rows: what a server crash can still take back must not reach a kiosk, a
// projection or the bus.
func TestFollowersDoNotSeeAnAppendBeforeItIsDurable(t *testing.T) {
	url := pgtest.NewDatabase(t)
	// No poll during the test: a replica's poll reads the counters and
	// flushes what they count itself, which makes the append durable early
	// and rightly readable.
	quiet := pgstore.Options{Poll: time.Hour}
	w, f := openWith(t, url, quiet), openWith(t, url, quiet)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pgstore.SetFlushDelay(w, 700*time.Millisecond)
	st := eventstore.Stream{ID: "slow", Type: "test"}
	m := eventstore.Message{ID: uuid.New(), Kind: eventstore.KindEvent, Type: "test.Sent", Data: []byte(`{}`)}
	done := make(chan error, 1)
	go func() {
		_, err := w.Commit(ctx, eventstore.Batch{Stream: st, Events: storetest.NewEvents(st, 1, "x"), Outbox: []eventstore.Message{m}})
		done <- err
	}()
	// Wait until the rows are committed (visible to a plain query) but the
	// append has not returned.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		if err := f.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE stream_id = 'slow'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the append never committed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("the append returned before its flush (%v): the test proves nothing", err)
	default:
	}
	for name, s := range map[string]*pgstore.Store{"writer": w, "other replica": f} {
		if evs, err := s.ReadLog(ctx, 0, 10); err != nil || len(evs) != 0 {
			t.Fatalf("%s: ReadLog returned %d events (%v) before the append was durable", name, len(evs), err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := f.WaitForAppend(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if evs, err := f.ReadLog(ctx, 0, 10); err != nil || len(evs) != 1 {
		t.Fatalf("after the flush the other replica reads %d events (%v)", len(evs), err)
	}
}

// The dispatcher reads the message table itself; a message it reads before
// its writer's flush is made durable by the read, so a server crash right
// after cannot take back a message that was already handed out.
func TestAMessageReadBeforeItsWritersFlushSurvivesACrash(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := pgtest.Start(ctx, pgtest.Options{Fsync: true})
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	defer c.Stop()
	url := c.NewDatabase(t)
	w, d := openURL(t, url), openURL(t, url)
	pgstore.SetFlushDelay(w, 2*time.Second)
	m := eventstore.Message{ID: uuid.New(), Kind: eventstore.KindCommand, Type: "test.Do", Data: []byte(`{}`)}
	go w.Commit(ctx, eventstore.Batch{Outbox: []eventstore.Message{m}}) // never returns before the crash
	var got []eventstore.Message
	deadline := time.Now().Add(10 * time.Second)
	for len(got) == 0 {
		if got, err = d.PendingMessages(ctx, time.Now().Add(time.Minute), 10); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the message never became readable")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := c.Crash(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	pending, err := after.PendingMessages(ctx, time.Now().Add(time.Minute), 10)
	if err != nil || len(pending) != 1 || pending[0].ID != m.ID {
		t.Fatalf("after the crash: %+v (%v); the message handed out before it is gone", pending, err)
	}
}
