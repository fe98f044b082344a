package registrationsapp

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"conference/shared/registrations"
)

// One step handles a whole page: many orders' processes start at once,
// each sending its commands exactly once, committed in one transaction.
func TestProcessManagerStartsEveryProcessOfAPageInOneStep(t *testing.T) {
	h := newHub(t)
	var orders []uuid.UUID
	for range 20 {
		orders = append(orders, h.place(1, h.free))
	}
	before := h.store.Stats().Groups
	n, err := h.app.Process.Step(context.Background())
	h.must(err)
	if n < len(orders) {
		t.Fatalf("step read %d events, want at least %d", n, len(orders))
	}
	// One transaction for the decisions, and one for the checkpoint the
	// first step saves (it goes through the same group writer).
	if groups := h.store.Stats().Groups - before; groups > 2 {
		t.Errorf("the page took %d transactions, want the decisions' and the checkpoint's", groups)
	}
	for _, id := range orders {
		if got := h.commands(id); got[makeReservation] != 1 || got[timeout] != 1 {
			t.Fatalf("order %s: outbox %v, want one reservation and one timeout", id, got)
		}
	}
	// The same page again (a restart before the checkpoint) is a no-op.
	h.app.Process.position = 0
	_, err = h.app.Process.Step(context.Background())
	h.must(err)
	for _, id := range orders {
		if got := h.commands(id); got[makeReservation] != 1 {
			t.Fatalf("order %s after replay: outbox %v, want the reservation once", id, got)
		}
	}
	h.settle()
	confirmed := 0
	for _, id := range orders {
		switch s := h.order(id).Status; s {
		case registrations.OrderStatusConfirmed:
			confirmed++
		case registrations.OrderStatusRejected:
		default:
			t.Fatalf("order %s ended %s, want confirmed or rejected", id, s)
		}
	}
	if confirmed != freeQuota {
		t.Fatalf("%d orders confirmed, want the %d free seats", confirmed, freeQuota)
	}
}

// Events of one process that land in the same page are decided one after
// the other on the same state, their batches chained by version.
func TestProcessManagerChainsSeveralEventsOfOneProcessInAPage(t *testing.T) {
	h := newHub(t)
	ctx := context.Background()
	order := h.place(2, h.paid)
	h.must(h.app.Registrations.CancelOrder(ctx, order, "changed my mind"))

	_, err := h.app.Process.Step(ctx) // OrderPlaced and OrderCancelled
	h.must(err)
	p, err := h.app.processes.Load(ctx, registrations.ProcessStreamID(order))
	h.must(err)
	if p.State() != registrations.ProcessCancelled || p.Version() < 2 {
		t.Fatalf("process after one page: %s at version %d, want %s after both events",
			p.State(), p.Version(), registrations.ProcessCancelled)
	}
	h.settle()
	h.wantStatus(order, registrations.OrderStatusCancelled)
	h.wantSeats(0, 0)
}
