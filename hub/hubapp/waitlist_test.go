package hubapp_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/shared/registrations"
)

func TestWaitlistGetsTheWorkshopSeatsACancellationFrees(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	entry := annWaitsForFreedWorkshopSeats(t, h, f)
	hubtest.Eventually(t, 10*time.Second, "an offer held for ann", func() error {
		w, err := h.Registrations.Waitlist(ctx, f.ConferenceID)
		if err != nil {
			return err
		}
		e, _ := w.Entry(entry)
		a, err := h.Registrations.Availability(ctx, f.ConferenceID)
		if err != nil {
			return err
		}
		if held, _ := a.Reservation(entry); e.Status != registrations.WaitlistOffered || held.Get(f.Workshop) != 2 {
			return fmt.Errorf("entry %s holding %v", e.Status, held)
		}
		return nil
	})
	placed, err := h.Registrations.AcceptWaitlistOffer(ctx, f.ConferenceID, entry)
	if err != nil {
		t.Fatal(err)
	}
	pay := pendingPayment(t, h, placed.OrderID)
	if _, err := h.Payments.Accept(ctx, pay.ID); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitForOrder(t, h, placed.OrderID, registrations.OrderStatusConfirmed)
	hubtest.WaitForSeats(t, h, f.ConferenceID, f.Workshop, 2, 0)
	a, _ := h.Registrations.Availability(ctx, f.ConferenceID)
	if a.SoldCount(f.Workshop) != 2 || a.Remaining(f.Workshop) != hubtest.WorkshopQuota-2 {
		t.Fatalf("got %d sold, %d remaining, want ann's 2 sold and the rest free", a.SoldCount(f.Workshop), a.Remaining(f.Workshop))
	}
}

// annWaitsForFreedWorkshopSeats has one order hold every workshop seat,
// Ann Waiting join the waitlist for two, and the order cancelled: the
// seats come back for the waitlist to offer. It returns Ann's entry.
func annWaitsForFreedWorkshopSeats(t *testing.T, h *hubapp.Hub, f hubtest.Fixture) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	full := place(t, h, f.ConferenceID, f.Workshop, hubtest.WorkshopQuota, "")
	hubtest.WaitForOrder(t, h, full, registrations.OrderStatusReserved)
	entry, err := h.Registrations.JoinWaitlist(ctx, f.ConferenceID, f.Workshop, 2, "Ann Waiting", "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Registrations.CancelOrder(ctx, full, "plans changed"); err != nil {
		t.Fatal(err)
	}
	return entry
}

func TestExpiredOrdersPromoUseIsGivenBack(t *testing.T) {
	ctx := context.Background()
	clock := hubtest.NewClock()
	h := hubtest.OpenConfig(t, hubapp.Config{Now: clock.Now})
	f := hubtest.PublishedConference(t, h)
	addPromo(t, h, f, conferences.PromoCodeDetails{Code: "ONCE", Kind: registrations.DiscountPercentage, Percent: 50, MaxUses: 1})
	first := place(t, h, f.ConferenceID, f.Paid, 1, "ONCE")
	hubtest.WaitForOrder(t, h, first, registrations.OrderStatusReserved)
	clock.Advance(16 * time.Minute)
	hubtest.WaitForOrder(t, h, first, registrations.OrderStatusExpired)
	hubtest.Eventually(t, 10*time.Second, "the promo use back", func() error {
		_, err := h.Registrations.PlaceOrder(ctx, f.ConferenceID, registrations.Seats{{SeatType: f.Paid, Quantity: 1}}, "ONCE", clock.Now())
		return err
	})
}
