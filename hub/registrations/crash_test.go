package registrationsapp

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/messaging"
	"conference/shared/registrations"
)

var errCrash = errors.New("simulated crash")

var (
	makeReservation = registrations.MakeSeatReservation{}.CommandType()
	timeout         = registrations.ReservationTimeout{}.CommandType()
)

// Crash (a): the process received OrderPlaced and decided, but died before
// saving. Nothing was written, so after a restart the event is handled
// again and exactly one set of commands results.
func TestCrashAfterReceivingAnEventBeforeSendingCommandsSendsThemOnceAfterRestart(t *testing.T) {
	h := newHub(t)
	order := h.place(2, h.paid)
	decided := 0
	h.app.Process.beforeSave = func(uuid.UUID, []registrations.Command) error {
		decided++
		return errCrash
	}
	if _, err := h.app.Process.Step(context.Background()); !errors.Is(err, errCrash) {
		t.Fatalf("step: got %v, want the crash", err)
	}
	if decided != 1 || len(h.commands(order)) != 0 {
		t.Fatalf("before restart: decided %d times, outbox %v; want 1 decision and an empty outbox", decided, h.commands(order))
	}

	h.restart()
	h.settle()

	if got := h.commands(order); got[makeReservation] != 1 || got[timeout] != 1 {
		t.Fatalf("outbox after restart: got %v, want one reservation and one timeout", got)
	}
	h.wantStatus(order, registrations.OrderStatusReserved)
	h.wantSeats(2, 0)
}

// Crash (b): the process saved its state and commands, then died before
// the bus dispatched them. A new bus finds them in the outbox and
// dispatches each once.
func TestCrashAfterSavingStateBeforeDispatchDispatchesTheOutboxOnce(t *testing.T) {
	h := newHub(t)
	order := h.place(2, h.paid)
	if _, err := h.app.Process.Step(context.Background()); err != nil {
		t.Fatal(err)
	}

	h.restart()
	h.settle()
	h.restart()
	h.settle()

	if got := h.commands(order)[makeReservation]; got != 1 {
		t.Fatalf("reservation commands: got %d, want 1", got)
	}
	if got := h.countEvents("registrations.SeatsReserved"); got != 1 {
		t.Fatalf("SeatsReserved events: got %d, want 1", got)
	}
	h.wantStatus(order, registrations.OrderStatusReserved)
	h.wantSeats(2, 0)
}

// Crash (c): the processed marks were lost (and the checkpoint with them),
// so every event is delivered again. The process recognises each from its
// own state: no new events, no duplicate commands.
func TestLostProcessedMarksDoNotDuplicateCommands(t *testing.T) {
	h := newHub(t)
	order := h.place(2, h.paid)
	h.settle()
	before := h.commands(order)
	process, err := h.app.processes.Load(context.Background(), registrations.ProcessStreamID(order))
	h.must(err)

	_, err = h.store.DB().Exec(`DELETE FROM processed_messages WHERE handler = $1`, ProcessHandler)
	h.must(err)
	_, err = h.store.DB().Exec(`DELETE FROM checkpoints WHERE name = $1`, ProcessHandler)
	h.must(err)
	h.restart()
	h.settle()

	if got := h.commands(order); !maps.Equal(got, before) {
		t.Fatalf("outbox after redelivery: got %v, want unchanged %v", got, before)
	}
	again, err := h.app.processes.Load(context.Background(), registrations.ProcessStreamID(order))
	h.must(err)
	if again.Version() != process.Version() || again.State() != registrations.ProcessAwaitingPayment {
		t.Fatalf("process: got %s at version %d, want %s at %d", again.State(), again.Version(), registrations.ProcessAwaitingPayment, process.Version())
	}
	h.wantSeats(2, 0)
}

// Crash (d): the reply to MakeSeatReservation never reaches the process in
// time (here the process manager is stuck). The timeout fires anyway: the
// order expires and the seats are released, and the late reply changes
// nothing.
func TestUnansweredReservationTimesOutExpiringTheOrderAndReleasingSeats(t *testing.T) {
	h := newHub(t)
	ctx := context.Background()
	order := h.place(2, h.paid)
	_, err := h.app.Process.Step(ctx)
	h.must(err)
	_, err = h.bus.DispatchDue(ctx) // seats reserved; the reply is not read
	h.must(err)
	h.wantSeats(2, 0)

	h.clock.Advance(registrations.DefaultReservationWindow)
	for range 3 {
		_, err = h.bus.DispatchDue(ctx)
		h.must(err)
	}
	h.wantStatus(order, registrations.OrderStatusExpired)
	h.wantSeats(0, 0)

	h.settle() // the late SeatsReserved reaches an expired process
	h.wantStatus(order, registrations.OrderStatusExpired)
	h.wantSeats(0, 0)
}

// Crash (d), variant: the reservation command itself keeps failing and is
// dead-lettered; the timeout still closes the order.
func TestDeadLetteredReservationStillExpiresTheOrder(t *testing.T) {
	h := newHub(t)
	h.override = map[string]messaging.Handler{
		makeReservation: func(context.Context, eventstore.Message) error { return errors.New("availability unreachable") },
	}
	h.restart()
	order := h.place(2, h.paid)
	h.settle()
	if dead, err := h.store.DeadLetters(context.Background(), 10); err != nil || len(dead) != 1 {
		t.Fatalf("dead letters: got %d (%v), want the reservation", len(dead), err)
	}
	h.wantStatus(order, registrations.OrderStatusPending)

	h.clock.Advance(registrations.DefaultReservationWindow)
	h.settle()

	h.wantStatus(order, registrations.OrderStatusExpired)
	h.wantSeats(0, 0)
}

// Crash (e): an event delivered twice, and a payment reported twice, are
// handled once.
func TestDuplicateEventsAreNoOps(t *testing.T) {
	h := newHub(t)
	ctx := context.Background()
	order := h.place(2, h.paid)
	h.settle()
	log, err := h.store.ReadLog(ctx, 0, 1000)
	h.must(err)
	before := h.commands(order)
	for _, e := range log {
		h.must(h.app.Process.HandleEvent(ctx, e))
	}
	if got := h.commands(order); !maps.Equal(got, before) {
		t.Fatalf("outbox after duplicates: got %v, want unchanged %v", got, before)
	}

	paymentID := uuid.New()
	amount := h.payments.Initiated()[0].Amount
	h.must(h.app.Registrations.CompletePayment(ctx, order, paymentID, amount))
	h.must(h.app.Registrations.CompletePayment(ctx, order, paymentID, amount))
	h.settle()

	h.wantStatus(order, registrations.OrderStatusConfirmed)
	h.wantSeats(0, 2)
	if got := h.countEvents("registrations.PaymentCompleted"); got != 1 {
		t.Fatalf("PaymentCompleted events: got %d, want 1", got)
	}
	if r := h.payments.Refunded(); len(r) != 0 {
		t.Fatalf("got refunds %+v, want none", r)
	}
}

func (h *hub) countEvents(eventType string) int {
	h.t.Helper()
	var n int
	h.must(h.store.DB().QueryRow(`SELECT COUNT(*) FROM events WHERE type = $1`, eventType).Scan(&n))
	return n
}
