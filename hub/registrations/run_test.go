package registrationsapp

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/registrations"
)

// The process manager and the bus running on their own goroutines wake on
// appends and outbox writes: a free order is confirmed without polling.
func TestRunningHubConfirmsAFreeOrderOnItsOwn(t *testing.T) {
	h := newHub(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); h.app.Process.Run(ctx) }()
	go func() { defer wg.Done(); h.bus.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()

	order := h.place(1, h.free)
	deadline := time.Now().Add(5 * time.Second)
	for h.order(order).Status != registrations.OrderStatusConfirmed {
		if time.Now().After(deadline) {
			t.Fatalf("order still %s after 5s", h.order(order).Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPromoCodeDiscountsTheOrderAndLimitedCodesRunOut(t *testing.T) {
	h := newHub(t)
	ctx := context.Background()
	h.catalog.Set(h.conference, Offer{
		Prices: []registrations.SeatPrice{{SeatType: h.paid, Price: eur(paidPrice)}},
		PromoCodes: []registrations.PromoCode{{
			Code: "SPEAKER", Kind: registrations.DiscountPercentage, Percent: 50, MaxUses: 1,
		}},
	})
	placed, err := h.app.Registrations.PlaceOrder(ctx, h.conference, seats(h.paid, 2), "speaker ", h.clock.Now())
	h.must(err)
	h.name(placed.OrderID)
	h.settle()
	if p := h.payments.Initiated(); len(p) != 1 || p[0].Amount != eur(paidPrice) {
		t.Fatalf("payments: got %+v, want one of %s (half price)", p, eur(paidPrice))
	}
	if o := h.order(placed.OrderID); o.Quote.PromoCode != "SPEAKER" {
		t.Fatalf("promo on order: got %q, want SPEAKER", o.Quote.PromoCode)
	}
	_, err = h.app.Registrations.PlaceOrder(ctx, h.conference, seats(h.paid, 1), "SPEAKER", h.clock.Now())
	if registrations.ErrorCode(err) != registrations.CodeConflict {
		t.Fatalf("second use of a one-use code: got %v, want a conflict", err)
	}
}

func TestUnknownOrderIsNotFound(t *testing.T) {
	h := newHub(t)
	_, err := h.app.Registrations.GetOrder(context.Background(), uuid.New())
	if registrations.ErrorCode(err) != registrations.CodeNotFound {
		t.Fatalf("got %v, want not found", err)
	}
}
