package messaging_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
	"conference/shared/messaging"
)

func openStore(t *testing.T) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func command(typ string) eventstore.Message {
	return eventstore.Message{ID: ids.New(), Kind: eventstore.KindCommand, Type: typ, Data: []byte(`{}`)}
}

func newBus(s *sqlitestore.Store) *messaging.Bus {
	return messaging.New(s, messaging.Options{MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 }})
}

func TestCommandWrittenWithEventsIsDispatchedAfterCommit(t *testing.T) {
	s := openStore(t)
	bus := newBus(s)
	got := make(chan eventstore.Message, 1)
	if err := bus.HandleCommand("test.Reserve", func(_ context.Context, m eventstore.Message) error { got <- m; return nil }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan struct{})
	go func() { bus.Run(ctx); close(stopped) }()

	cmd := command("test.Reserve")
	st := eventstore.Stream{ID: "order-1", Type: "order"}
	ev := eventstore.Event{EventID: ids.New(), Type: "test.OrderPlaced", Schema: 1, Data: []byte(`{}`)}
	if _, err := s.Commit(ctx, eventstore.Batch{Stream: st, Events: []eventstore.Event{ev}, Outbox: []eventstore.Message{cmd}}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.ID != cmd.ID {
			t.Fatalf("got message %s, want %s", m.ID, cmd.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("command not dispatched after commit")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		pending, _ := s.PendingMessages(context.Background(), time.Now(), 10)
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("handled command never marked dispatched: %+v", pending)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-stopped
}

func TestRedeliveryAfterCrashDoesNotRunAHandlerTwice(t *testing.T) {
	s := openStore(t)
	bus := newBus(s)
	var a, b atomic.Int32
	bus.Subscribe("projector-a", "test.Happened", func(context.Context, eventstore.Message) error { a.Add(1); return nil })
	failOnce := true
	bus.Subscribe("projector-b", "test.Happened", func(context.Context, eventstore.Message) error {
		b.Add(1)
		if failOnce {
			failOnce = false
			return errors.New("transient")
		}
		return nil
	})
	ctx := context.Background()
	ev := eventstore.Message{ID: ids.New(), Kind: eventstore.KindEvent, Type: "test.Happened", Data: []byte(`{}`)}
	if err := bus.Send(ctx, ev); err != nil {
		t.Fatal(err)
	}
	bus.DispatchDue(ctx) // a succeeds, b fails: the message stays pending
	bus.DispatchDue(ctx) // only b runs again
	// A crash after handling but before the dispatched mark: the row is
	// pending again and gets redelivered.
	if _, err := s.DB().Exec(`UPDATE messages SET dispatched_at = NULL`); err != nil {
		t.Fatal(err)
	}
	bus.DispatchDue(ctx)
	if a.Load() != 1 || b.Load() != 2 {
		t.Fatalf("handler runs: a=%d b=%d, want a=1 b=2", a.Load(), b.Load())
	}
}

func TestPoisonMessageIsDeadLetteredInsteadOfLooping(t *testing.T) {
	s := openStore(t)
	bus := newBus(s)
	var calls atomic.Int32
	bus.HandleCommand("test.Explode", func(context.Context, eventstore.Message) error {
		calls.Add(1)
		return errors.New("seat type not found")
	})
	ctx := context.Background()
	bus.Send(ctx, command("test.Explode"))
	for i := 0; i < 10; i++ {
		bus.DispatchDue(ctx)
	}
	if calls.Load() != 3 {
		t.Fatalf("handler called %d times, want exactly MaxAttempts=3", calls.Load())
	}
	dl, err := s.DeadLetters(ctx, 10)
	if err != nil || len(dl) != 1 || dl[0].Attempts != 3 {
		t.Fatalf("got %+v (err %v), want one dead letter after 3 attempts", dl, err)
	}
	if want := "command:test.Explode: seat type not found"; dl[0].Error != want {
		t.Fatalf("got error %q, want %q", dl[0].Error, want)
	}
}

func TestRetryPolicyOfAMessageTypeOverridesTheBusDefaults(t *testing.T) {
	s := openStore(t)
	bus := messaging.New(s, messaging.Options{MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 },
		Retry: map[string]messaging.Retry{"test.Mail": {MaxAttempts: 6}}})
	var mails, others atomic.Int32
	bus.HandleCommand("test.Mail", func(context.Context, eventstore.Message) error {
		mails.Add(1)
		return errors.New("smtp server away")
	})
	bus.HandleCommand("test.Other", func(context.Context, eventstore.Message) error {
		others.Add(1)
		return errors.New("broken")
	})
	ctx := context.Background()
	bus.Send(ctx, command("test.Mail"), command("test.Other"))
	for i := 0; i < 10; i++ {
		bus.DispatchDue(ctx)
	}
	if mails.Load() != 6 || others.Load() != 3 {
		t.Fatalf("attempts: mail %d, other %d; want 6 (its own policy) and 3 (the bus default)", mails.Load(), others.Load())
	}
	dl, err := s.DeadLetters(ctx, 10)
	if err != nil || len(dl) != 2 {
		t.Fatalf("dead letters %+v (err %v), want both", dl, err)
	}
}

func TestCommandWithoutHandlerIsDeadLettered(t *testing.T) {
	s := openStore(t)
	bus := newBus(s)
	ctx := context.Background()
	bus.Send(ctx, command("test.Nobody"))
	for i := 0; i < 3; i++ {
		bus.DispatchDue(ctx)
	}
	dl, _ := s.DeadLetters(ctx, 10)
	if len(dl) != 1 {
		t.Fatalf("got %d dead letters, want 1", len(dl))
	}
}

func TestDelayedMessageWaitsUntilDue(t *testing.T) {
	s := openStore(t)
	now := time.Now()
	clock := func() time.Time { return now }
	bus := messaging.New(s, messaging.Options{Now: func() time.Time { return clock() }})
	var calls atomic.Int32
	bus.HandleCommand("test.ExpireOrder", func(context.Context, eventstore.Message) error { calls.Add(1); return nil })
	ctx := context.Background()
	m := command("test.ExpireOrder")
	m.NotBefore = now.Add(15 * time.Minute)
	bus.Send(ctx, m)
	bus.DispatchDue(ctx)
	if calls.Load() != 0 {
		t.Fatal("expiry delivered before it was due")
	}
	now = now.Add(16 * time.Minute)
	bus.DispatchDue(ctx)
	if calls.Load() != 1 {
		t.Fatalf("got %d deliveries once due, want 1", calls.Load())
	}
}

func TestHandlerMarkingProcessedInItsOwnBatchIsNotRunAgain(t *testing.T) {
	s := openStore(t)
	bus := newBus(s)
	var calls atomic.Int32
	bus.HandleCommand("test.Confirm", func(ctx context.Context, m eventstore.Message) error {
		calls.Add(1)
		st := eventstore.Stream{ID: "order-9", Type: "order"}
		ev := eventstore.Event{EventID: ids.New(), Type: "test.Confirmed", Schema: 1, Data: []byte(`{}`)}
		_, err := s.Commit(ctx, eventstore.Batch{Stream: st, ExpectedVersion: eventstore.AnyVersion,
			Events: []eventstore.Event{ev}, Processed: messaging.Processed(ctx)})
		return err
	})
	ctx := context.Background()
	m := command("test.Confirm")
	bus.Send(ctx, m)
	bus.DispatchDue(ctx)
	s.DB().Exec(`UPDATE messages SET dispatched_at = NULL`)
	bus.DispatchDue(ctx)
	if done, _ := s.IsProcessed(ctx, "command:test.Confirm", m.ID); !done || calls.Load() != 1 {
		t.Fatalf("processed=%v calls=%d, want processed and one call", done, calls.Load())
	}
	evs, _ := s.ReadStream(ctx, "order-9", 0)
	if len(evs) != 1 {
		t.Fatalf("got %d confirmations, want 1", len(evs))
	}
}
