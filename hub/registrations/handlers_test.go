package registrationsapp

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/messaging"
	"conference/shared/registrations"
)

// reservationMessage encodes a MakeSeatReservation for a new order.
func (h *hub) reservationMessage(seatType uuid.UUID, n int) eventstore.Message {
	h.t.Helper()
	order := uuid.New()
	m, err := h.app.commands.Encode(registrations.MakeSeatReservation{
		ConferenceID: h.conference, ReservationID: order, Seats: seats(seatType, n),
	}, order, uuid.New())
	h.must(err)
	// The bus hands handlers messages read back from the outbox.
	h.must(h.bus.Send(context.Background(), m))
	return m
}

// deliverConcurrently runs the command handler of every message, each
// copies times, all at once, as concurrent (and duplicate) deliveries.
func (h *hub) deliverConcurrently(handlers map[string]messaging.Handler, msgs []eventstore.Message, copies int) []error {
	var wg sync.WaitGroup
	errs := make([]error, len(msgs)*copies)
	start := make(chan struct{})
	for i, m := range msgs {
		for c := range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ctx := messaging.WithDelivery(context.Background(), "command:"+m.Type, m)
				errs[i*copies+c] = handlers[m.Type](ctx, m)
			}()
		}
	}
	close(start)
	wg.Wait()
	return errs
}

// Reservations of one conference handled concurrently, some of them
// delivered twice at once, never hold more than the quota, each order
// holds at most what it asked for, and every handled command is marked
// processed in the batch that recorded its effect.
func TestConcurrentReservationsNeverExceedTheQuota(t *testing.T) {
	h := newHub(t)
	handlers := h.app.CommandHandlers()
	var msgs []eventstore.Message
	for range 3 * paidQuota {
		msgs = append(msgs, h.reservationMessage(h.paid, 1))
	}
	for i, err := range h.deliverConcurrently(handlers, msgs, 2) {
		if err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	a := h.availability()
	if got := a.ReservedCount(h.paid); got != paidQuota {
		t.Fatalf("reserved %d paid seats, want exactly the quota %d", got, paidQuota)
	}
	holders := 0
	for _, m := range msgs {
		cmd, err := h.app.commands.Decode(m)
		h.must(err)
		held, ok := a.Reservation(cmd.(registrations.MakeSeatReservation).ReservationID)
		if ok && held.Total() > 0 {
			holders++
			if held.Total() != 1 {
				t.Errorf("reservation holds %d seats, asked for 1", held.Total())
			}
		}
		done, err := h.store.IsProcessed(context.Background(), "command:"+m.Type, m.ID)
		h.must(err)
		if !done {
			t.Errorf("message %s handled but not marked processed", m.ID)
		}
	}
	if holders != paidQuota {
		t.Fatalf("%d reservations hold seats, want %d", holders, paidQuota)
	}
}

// The desk keeps the inventory in memory between commands; a change made
// through another path (the organizer lowering the quota) must be seen by
// the next command, not overwritten or ignored.
func TestReservationsSeeQuotaChangesMadeElsewhere(t *testing.T) {
	h := newHub(t)
	ctx := context.Background()
	handlers := h.app.CommandHandlers()
	first := h.reservationMessage(h.paid, 3)
	h.must(handlers[first.Type](messaging.WithDelivery(ctx, "command:"+first.Type, first), first))
	h.wantSeats(3, 0)

	h.must(h.app.Registrations.SetSeatQuota(ctx, h.conference, h.paid, 4))
	second := h.reservationMessage(h.paid, 3)
	h.must(handlers[second.Type](messaging.WithDelivery(ctx, "command:"+second.Type, second), second))

	a := h.availability()
	cmd, err := h.app.commands.Decode(second)
	h.must(err)
	held, _ := a.Reservation(cmd.(registrations.MakeSeatReservation).ReservationID)
	if held.Total() != 1 || a.ReservedCount(h.paid) != 4 || a.Quota(h.paid) != 4 {
		t.Fatalf("after lowering the quota to 4: second order holds %d, %d reserved of %d; want 1, 4 of 4",
			held.Total(), a.ReservedCount(h.paid), a.Quota(h.paid))
	}
}

// A conference without an inventory reserves nothing, through the desk as
// before it: the command fails (and is retried, then dead-lettered).
func TestReservationForAnUnknownConferenceFails(t *testing.T) {
	h := newHub(t)
	order := uuid.New()
	m, err := h.app.commands.Encode(registrations.MakeSeatReservation{
		ConferenceID: uuid.New(), ReservationID: order, Seats: seats(h.paid, 1),
	}, order, uuid.New())
	h.must(err)
	handler := h.app.CommandHandlers()[m.Type]
	if err := handler(messaging.WithDelivery(context.Background(), "command:"+m.Type, m), m); err == nil {
		t.Fatal("reservation for a conference without seat types succeeded")
	}
}
