package registrationsapp

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/ids"
	"conference/shared/registrations"
)

// walkUp records what sync's merge records for a kiosk's walk-up sale of n
// paid seats: the order, then the sale applied to availability (which
// raises a conflict when the quota cannot hold it).
func (h *hub) walkUp(kiosk string, n int, email string) uuid.UUID {
	h.t.Helper()
	ctx := context.Background()
	id := ids.New()
	h.must(h.app.orders.Update(ctx, registrations.OrderStreamID(id), eventsourcing.Metadata{}, func(o *registrations.Order) error {
		return o.PlaceWalkUp(registrations.PlaceWalkUp{
			OrderID: id, ConferenceID: h.conference, KioskID: kiosk, Seats: seats(h.paid, n),
			Pricing:    registrations.PricingInput{Prices: []registrations.SeatPrice{{SeatType: h.paid, Price: eur(paidPrice)}}},
			AccessCode: ids.NewAccessCode(), Name: "Walk Up", Email: email, Method: registrations.PaymentCash,
		}, h.clock.Now())
	}))
	h.must(h.app.availability.Update(ctx, registrations.AvailabilityStreamID(h.conference), eventsourcing.Metadata{},
		func(s *registrations.SeatsAvailability) error { return s.RecordOnSiteSale(kiosk, id, seats(h.paid, n)) }))
	return id
}

// overbooked sells every paid seat online, then two more at a kiosk:
// conflict 1, two seats over, naming the walk-up order.
func (h *hub) overbooked(email string) uuid.UUID {
	h.t.Helper()
	h.confirmed(paidQuota)
	order := h.walkUp("k1", 2, email)
	open := h.availability().OpenConflicts()
	if len(open) != 1 || open[0].Over != 2 || open[0].OrderIDs[0] != order {
		h.t.Fatalf("open conflicts: %+v", open)
	}
	return order
}

func TestRaisingTheQuotaResolvesAConflictWithoutRefunds(t *testing.T) {
	h := newHub(t)
	h.overbooked("")
	got, err := h.app.Registrations.ResolveConflict(context.Background(), h.conference, 1, registrations.Resolution{Kind: registrations.ResolveRaiseQuota})
	h.must(err)
	if got.Kind != registrations.ResolveRaiseQuota || got.QuotaRaisedBy != 2 || got.Conflict != 1 {
		t.Fatalf("resolution: %+v", got)
	}
	h.settle()
	a := h.availability()
	if a.Quota(h.paid) != paidQuota+2 || a.SoldCount(h.paid) != paidQuota+2 || len(a.OpenConflicts()) != 0 {
		t.Fatalf("after raising: quota %d sold %d open %d", a.Quota(h.paid), a.SoldCount(h.paid), len(a.OpenConflicts()))
	}
	if r := h.payments.RefundedSeats(); len(r) != 0 {
		t.Fatalf("refunds: %+v, want none", r)
	}
}

func TestRefundTakesTheSeatsBackAndRefundsThemOnce(t *testing.T) {
	h := newHub(t)
	order := h.overbooked("")
	ctx := context.Background()
	_, err := h.app.Registrations.ResolveConflict(ctx, h.conference, 1, registrations.Resolution{Kind: registrations.ResolveRefund, Note: "sorry"})
	h.must(err)
	h.settle()
	h.restart() // a redelivery after a restart refunds nothing twice
	h.settle()
	r := h.payments.RefundedSeats()
	if len(r) != 1 || r[0].OrderID != order || r[0].Quantity != 2 || r[0].Amount != eur(2*paidPrice) || r[0].Conflict != 1 {
		t.Fatalf("refunds: got %+v, want one of 2 seats, %s", r, eur(2*paidPrice))
	}
	if a := h.availability(); a.SoldCount(h.paid) != paidQuota || a.Remaining(h.paid) != 0 {
		t.Fatalf("after refund: sold %d remaining %d", a.SoldCount(h.paid), a.Remaining(h.paid))
	}
	// Then resolving again is refused and changes nothing.
	if _, err := h.app.Registrations.ResolveConflict(ctx, h.conference, 1, registrations.Resolution{Kind: registrations.ResolveRaiseQuota}); !errors.Is(err, registrations.ErrConflictResolved) {
		t.Fatalf("second resolution: got %v, want ErrConflictResolved", err)
	}
	if _, err := h.app.Registrations.ResolveConflict(ctx, h.conference, 9, registrations.Resolution{Kind: registrations.ResolveRefund}); !errors.Is(err, registrations.ErrConflictNotFound) {
		t.Fatalf("unknown conflict: got %v, want ErrConflictNotFound", err)
	}
	if _, err := h.app.Registrations.ResolveConflict(ctx, uuid.New(), 1, registrations.Resolution{Kind: registrations.ResolveRefund}); !errors.Is(err, registrations.ErrConflictNotFound) {
		t.Fatalf("unknown conference: got %v, want ErrConflictNotFound", err)
	}
}

func TestWaitlistResolutionRefundsAndPutsTheHolderInLine(t *testing.T) {
	h := newHub(t)
	order := h.overbooked("walker@example.org")
	_, err := h.app.Registrations.ResolveConflict(context.Background(), h.conference, 1, registrations.Resolution{Kind: registrations.ResolveWaitlist})
	h.must(err)
	h.settle()
	if r := h.payments.RefundedSeats(); len(r) != 1 || r[0].OrderID != order {
		t.Fatalf("refunds: %+v", r)
	}
	w, err := h.app.Registrations.Waitlist(context.Background(), h.conference)
	h.must(err)
	waiting := w.Waiting(h.paid)
	if len(waiting) != 1 || waiting[0].Email != "walker@example.org" || waiting[0].Quantity != 2 {
		t.Fatalf("waiting: %+v", waiting)
	}
}

func TestMovingSeatsNeedsRoomInTheOtherSeatType(t *testing.T) {
	h := newHub(t)
	h.overbooked("")
	ctx := context.Background()
	h.must(h.app.Registrations.SetSeatQuota(ctx, h.conference, h.free, 1))
	_, err := h.app.Registrations.ResolveConflict(ctx, h.conference, 1, registrations.Resolution{Kind: registrations.ResolveMoveSeats, ToSeatType: h.free})
	if !errors.Is(err, registrations.ErrNotEnoughSeats) {
		t.Fatalf("move to a full seat type: got %v, want ErrNotEnoughSeats", err)
	}
	if len(h.availability().OpenConflicts()) != 1 {
		t.Fatal("a refused move resolved the conflict")
	}
	h.must(h.app.Registrations.SetSeatQuota(ctx, h.conference, h.free, 5))
	_, err = h.app.Registrations.ResolveConflict(ctx, h.conference, 1, registrations.Resolution{Kind: registrations.ResolveMoveSeats, ToSeatType: h.free})
	h.must(err)
	if a := h.availability(); a.SoldCount(h.free) != 2 || a.SoldCount(h.paid) != paidQuota {
		t.Fatalf("after moving: free sold %d, paid sold %d", a.SoldCount(h.free), a.SoldCount(h.paid))
	}
}
