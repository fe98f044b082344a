package hubapp_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"conference/hub/conferences"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/shared/registrations"
)

func addPromo(t *testing.T, h *hubapp.Hub, f hubtest.Fixture, in conferences.PromoCodeDetails) {
	t.Helper()
	if _, err := h.Conferences.AddPromoCode(context.Background(), f.OrganizerID, f.ConferenceID, in); err != nil {
		t.Fatalf("add promo code: %v", err)
	}
}

func TestPromoCodesPriceOrdersAndThePayment(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	addPromo(t, h, f, conferences.PromoCodeDetails{Code: "early", Kind: registrations.DiscountPercentage, Percent: 10})
	addPromo(t, h, f, conferences.PromoCodeDetails{Code: "HANDSON", Kind: registrations.DiscountAmount,
		Amount: registrations.NewMoney(500, "EUR"), SeatType: f.Workshop})

	order := place(t, h, f.ConferenceID, f.Paid, 2, " Early ")
	o, err := h.Registrations.GetOrder(ctx, order)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(2 * hubtest.PaidPrice * 9 / 10); o.Quote.Total.Amount != want || o.Quote.PromoCode != "EARLY" {
		t.Fatalf("got %s with %q, want %d cents with EARLY", o.Quote.Total, o.Quote.PromoCode, want)
	}
	if pay := pendingPayment(t, h, order); pay.Amount.Amount != o.Quote.Total.Amount {
		t.Fatalf("got payment of %s, want the discounted %s", pay.Amount, o.Quote.Total)
	}

	placed, err := h.Registrations.PlaceOrder(ctx, f.ConferenceID, registrations.Seats{
		{SeatType: f.Workshop, Quantity: 2}, {SeatType: f.Paid, Quantity: 1},
	}, "handson", h.Now())
	if err != nil {
		t.Fatal(err)
	}
	o, _ = h.Registrations.GetOrder(ctx, placed.OrderID)
	if want := int64(2*(hubtest.WorkshopPrice-500) + hubtest.PaidPrice); o.Quote.Total.Amount != want {
		t.Fatalf("got %s, want %d cents: 5.00 off each workshop seat only", o.Quote.Total, want)
	}

	_, err = h.Registrations.PlaceOrder(ctx, f.ConferenceID, registrations.Seats{{SeatType: f.Paid, Quantity: 1}}, "NOPE", h.Now())
	if !errors.Is(err, registrations.ErrPromoUnknown) {
		t.Fatalf("got %v, want ErrPromoUnknown", err)
	}
}

func TestPromoCodeValidityWindowAndUsesAreEnforced(t *testing.T) {
	ctx := context.Background()
	clock := hubtest.NewClock()
	h := hubtest.OpenConfig(t, hubapp.Config{Now: clock.Now})
	f := hubtest.PublishedConference(t, h)
	addPromo(t, h, f, conferences.PromoCodeDetails{Code: "LATER", Kind: registrations.DiscountPercentage, Percent: 50,
		ValidFrom: clock.Now().Add(time.Hour), ValidUntil: clock.Now().Add(2 * time.Hour)})
	addPromo(t, h, f, conferences.PromoCodeDetails{Code: "ONCE", Kind: registrations.DiscountPercentage, Percent: 50, MaxUses: 1})
	seats := registrations.Seats{{SeatType: f.Paid, Quantity: 1}}

	_, err := h.Registrations.PlaceOrder(ctx, f.ConferenceID, seats, "LATER", clock.Now())
	if !errors.Is(err, registrations.ErrPromoNotYetValid) {
		t.Fatalf("got %v, want ErrPromoNotYetValid", err)
	}
	if _, err := h.Registrations.PlaceOrder(ctx, f.ConferenceID, seats, "LATER", clock.Now().Add(90*time.Minute)); err != nil {
		t.Fatalf("inside the window: %v", err)
	}
	_, err = h.Registrations.PlaceOrder(ctx, f.ConferenceID, seats, "LATER", clock.Now().Add(2*time.Hour))
	if !errors.Is(err, registrations.ErrPromoExpired) {
		t.Fatalf("got %v, want ErrPromoExpired", err)
	}

	if _, err := h.Registrations.PlaceOrder(ctx, f.ConferenceID, seats, "ONCE", clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, err = h.Registrations.PlaceOrder(ctx, f.ConferenceID, seats, "ONCE", clock.Now())
	if !errors.Is(err, registrations.ErrPromoExhausted) {
		t.Fatalf("got %v, want ErrPromoExhausted", err)
	}
}

func TestReservationWindowIsTheConferences(t *testing.T) {
	ctx := context.Background()
	clock := hubtest.NewClock()
	h := hubtest.OpenConfig(t, hubapp.Config{Now: clock.Now})
	f := hubtest.PublishedConference(t, h)
	c, err := h.Conferences.GetConference(ctx, f.OrganizerID, f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	short := place(t, h, f.ConferenceID, f.Paid, 1, "")
	if o, _ := h.Registrations.GetOrder(ctx, short); !o.ExpiresAt.Equal(clock.Now().Add(15 * time.Minute)) {
		t.Fatalf("got expiry %v, want the default 15 minutes after %v", o.ExpiresAt, clock.Now())
	}
	in := c.ConferenceDetails
	in.ReservationWindow = 45 * time.Minute
	if _, err := h.Conferences.UpdateConference(ctx, f.OrganizerID, f.ConferenceID, in); err != nil {
		t.Fatal(err)
	}
	long := place(t, h, f.ConferenceID, f.Paid, 1, "")
	if o, _ := h.Registrations.GetOrder(ctx, long); !o.ExpiresAt.Equal(clock.Now().Add(45 * time.Minute)) {
		t.Fatalf("got expiry %v, want 45 minutes after %v", o.ExpiresAt, clock.Now())
	}
	clock.Advance(20 * time.Minute)
	hubtest.WaitForOrder(t, h, short, registrations.OrderStatusExpired)
	if o, _ := h.Registrations.GetOrder(ctx, long); o.Status == registrations.OrderStatusExpired {
		t.Fatal("got the 45-minute order expired after 20 minutes, want it still held")
	}
}
