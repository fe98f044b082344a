package messaging_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
	"conference/shared/messaging"
)

// runBus runs bus until the test ends.
func runBus(t *testing.T, bus *messaging.Bus) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { bus.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func pendingCount(t *testing.T, s *sqlitestore.Store) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM messages WHERE dispatched_at IS NULL AND dead = 0`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// laneRecorder is a handler that records, per lane (correlation id), the
// order of the messages it got and whether two of one lane ever ran at
// once, and holds every delivery until deliveries of two lanes overlap
// (or a moment passes), so concurrency across lanes is visible.
type laneRecorder struct {
	mu       sync.Mutex
	order    map[uuid.UUID][]int
	running  map[uuid.UUID]int
	overlap  bool // two deliveries of one lane at once: a bug
	across   atomic.Int32
	acrossOK atomic.Bool // deliveries of two lanes overlapped
}

func newLaneRecorder() *laneRecorder {
	return &laneRecorder{order: map[uuid.UUID][]int{}, running: map[uuid.UUID]int{}}
}

func (r *laneRecorder) handle(_ context.Context, m eventstore.Message) error {
	var n int
	fmt.Sscanf(string(m.Data), `{"n":%d}`, &n)
	r.mu.Lock()
	r.running[m.CorrelationID]++
	if r.running[m.CorrelationID] > 1 {
		r.overlap = true
	}
	r.order[m.CorrelationID] = append(r.order[m.CorrelationID], n)
	r.mu.Unlock()

	if r.across.Add(1) > 1 {
		r.acrossOK.Store(true)
	}
	deadline := time.Now().Add(20 * time.Millisecond)
	for !r.acrossOK.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	r.across.Add(-1)

	r.mu.Lock()
	r.running[m.CorrelationID]--
	r.mu.Unlock()
	return nil
}

func laneMessages(lanes, perLane int) ([]eventstore.Message, []uuid.UUID) {
	var corr []uuid.UUID
	for range lanes {
		corr = append(corr, ids.New())
	}
	var msgs []eventstore.Message
	for i := range perLane {
		for _, c := range corr {
			msgs = append(msgs, eventstore.Message{ID: ids.New(), Kind: eventstore.KindCommand, Type: "test.Step",
				Data: fmt.Appendf(nil, `{"n":%d}`, i), CorrelationID: c})
		}
	}
	return msgs, corr
}

func checkLanes(t *testing.T, r *laneRecorder, corr []uuid.UUID, perLane int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.overlap {
		t.Error("two messages of one lane were delivered at the same time")
	}
	for _, c := range corr {
		got := r.order[c]
		if len(got) != perLane {
			t.Errorf("lane %s: got %d deliveries, want %d", c, len(got), perLane)
			continue
		}
		for i, n := range got {
			if n != i {
				t.Errorf("lane %s: delivery %d was message %d; want outbox order %v", c, i, n, got)
				break
			}
		}
	}
	if !r.acrossOK.Load() {
		t.Error("no two lanes were ever delivered concurrently")
	}
}

// Messages of one conversation are delivered one at a time and in outbox
// order; different conversations are delivered concurrently.
func TestLanesKeepOrderAndRunConcurrently(t *testing.T) {
	t.Run("DispatchDue", func(t *testing.T) {
		s := openStore(t)
		bus := newBus(s)
		r := newLaneRecorder()
		bus.HandleCommand("test.Step", r.handle)
		msgs, corr := laneMessages(4, 10)
		if err := bus.Send(context.Background(), msgs...); err != nil {
			t.Fatal(err)
		}
		n, err := bus.DispatchDue(context.Background())
		if err != nil || n != len(msgs) {
			t.Fatalf("dispatch: delivered %d (%v), want %d", n, err, len(msgs))
		}
		checkLanes(t, r, corr, 10)
		if p := pendingCount(t, s); p != 0 {
			t.Fatalf("%d messages still pending after DispatchDue", p)
		}
	})
	t.Run("Run", func(t *testing.T) {
		s := openStore(t)
		bus := newBus(s)
		r := newLaneRecorder()
		bus.HandleCommand("test.Step", r.handle)
		runBus(t, bus)
		msgs, corr := laneMessages(4, 10)
		// Written in several commits while the bus runs, so lanes span
		// several reads of the outbox.
		for i := 0; i < len(msgs); i += 7 {
			if err := bus.Send(context.Background(), msgs[i:min(i+7, len(msgs))]...); err != nil {
				t.Fatal(err)
			}
		}
		waitUntil(t, "every message dispatched", func() bool { return pendingCount(t, s) == 0 })
		checkLanes(t, r, corr, 10)
	})
}

// While many writers keep adding messages, a running bus delivers each
// exactly once (nothing is lost, nothing is taken twice while in flight)
// and marks them all dispatched.
func TestRunningBusDeliversEachMessageOnceUnderConcurrentWrites(t *testing.T) {
	s := openStore(t)
	bus := newBus(s)
	var mu sync.Mutex
	got := map[uuid.UUID]int{}
	bus.HandleCommand("test.Count", func(_ context.Context, m eventstore.Message) error {
		mu.Lock()
		got[m.ID]++
		mu.Unlock()
		return nil
	})
	runBus(t, bus)
	const writers, each = 8, 60
	var wg sync.WaitGroup
	sent := make(chan uuid.UUID, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				m := command("test.Count")
				if i%3 == 0 {
					m.CorrelationID = uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(w)})
				}
				if err := bus.Send(context.Background(), m); err != nil {
					t.Error(err)
				}
				sent <- m.ID
			}
		}()
	}
	wg.Wait()
	close(sent)
	waitUntil(t, "every message dispatched", func() bool { return pendingCount(t, s) == 0 })
	mu.Lock()
	defer mu.Unlock()
	n := 0
	for id := range sent {
		n++
		if got[id] != 1 {
			t.Errorf("message %s delivered %d times, want once", id, got[id])
		}
	}
	if len(got) != n {
		t.Errorf("delivered %d distinct messages, sent %d", len(got), n)
	}
}

// Marks are written in batches after the handlers ran; if they are lost
// (a crash before the dispatched marks), the redelivery runs no handler
// that stored its processed mark, with the running bus as with
// DispatchDue.
func TestRunningBusRedeliveryAfterLostDispatchedMarksRunsNoHandlerTwice(t *testing.T) {
	s := openStore(t)
	bus := newBus(s)
	var a, b atomic.Int32
	bus.Subscribe("projector-a", "test.Happened", func(context.Context, eventstore.Message) error { a.Add(1); return nil })
	bus.Subscribe("projector-b", "test.Happened", func(context.Context, eventstore.Message) error { b.Add(1); return nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { bus.Run(ctx); close(done) }()
	const n = 50
	for range n {
		ev := eventstore.Message{ID: ids.New(), Kind: eventstore.KindEvent, Type: "test.Happened", Data: []byte(`{}`), CorrelationID: ids.New()}
		if err := bus.Send(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "every message dispatched", func() bool { return pendingCount(t, s) == 0 })
	cancel()
	<-done

	if _, err := s.DB().Exec(`UPDATE messages SET dispatched_at = NULL`); err != nil {
		t.Fatal(err)
	}
	again := newBus(s)
	again.Subscribe("projector-a", "test.Happened", func(context.Context, eventstore.Message) error { a.Add(1); return nil })
	again.Subscribe("projector-b", "test.Happened", func(context.Context, eventstore.Message) error { b.Add(1); return nil })
	if _, err := again.DispatchDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.Load() != n || b.Load() != n {
		t.Fatalf("handler runs: a=%d b=%d, want %d each", a.Load(), b.Load(), n)
	}
	if p := pendingCount(t, s); p != 0 {
		t.Fatalf("%d messages pending after redelivery, want 0", p)
	}
}

// A running bus reads only new messages when woken by writes; a delayed
// message it passed and a failed one waiting for its retry fall due
// behind that cursor and must still be delivered.
func TestRunningBusDeliversDelayedMessagesAndRetriesBehindItsCursor(t *testing.T) {
	s := openStore(t)
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	bus := messaging.New(s, messaging.Options{MaxAttempts: 5, Backoff: func(int) time.Duration { return 30 * time.Millisecond },
		Poll: 50 * time.Millisecond, Now: now})
	var delayed, flaky, plain atomic.Int32
	bus.HandleCommand("test.Delayed", func(context.Context, eventstore.Message) error { delayed.Add(1); return nil })
	bus.HandleCommand("test.Flaky", func(context.Context, eventstore.Message) error {
		if flaky.Add(1) == 1 {
			return errors.New("transient")
		}
		return nil
	})
	bus.HandleCommand("test.Plain", func(context.Context, eventstore.Message) error { plain.Add(1); return nil })
	runBus(t, bus)
	ctx := context.Background()

	later := command("test.Delayed")
	later.NotBefore = now().Add(time.Hour)
	if err := bus.Send(ctx, later, command("test.Flaky")); err != nil {
		t.Fatal(err)
	}
	// Keep the bus busy with new messages, moving its cursor past both.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			bus.Send(ctx, command("test.Plain"))
			time.Sleep(2 * time.Millisecond)
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	waitUntil(t, "the flaky message retried", func() bool { return flaky.Load() == 2 })
	if delayed.Load() != 0 {
		t.Fatal("delayed message delivered before it was due")
	}
	offset.Store(int64(2 * time.Hour))
	waitUntil(t, "the delayed message delivered once due", func() bool { return delayed.Load() == 1 })
	if plain.Load() == 0 {
		t.Fatal("the plain messages were not delivered")
	}
}
