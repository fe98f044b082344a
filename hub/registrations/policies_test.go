package registrationsapp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/registrations"
)

// withPromo publishes a promo code for the test conference.
func (h *hub) withPromo(p registrations.PromoCode) {
	o, err := h.catalog.Offer(context.Background(), h.conference)
	h.must(err)
	o.PromoCodes = append(o.PromoCodes, p)
	h.catalog.Set(h.conference, o)
}

// placeWith places a named order with a promo code.
func (h *hub) placeWith(n int, seatType uuid.UUID, promo string) (uuid.UUID, error) {
	placed, err := h.app.Registrations.PlaceOrder(context.Background(), h.conference, seats(seatType, n), promo, h.clock.Now())
	if err == nil {
		h.name(placed.OrderID)
	}
	return placed.OrderID, err
}

func (h *hub) promoUses(code string) int {
	h.t.Helper()
	u, err := h.app.promos.Load(context.Background(), registrations.PromoUsageStreamID(h.conference, code))
	h.must(err)
	return u.Uses()
}

var once = registrations.PromoCode{Code: "ONCE", Kind: registrations.DiscountPercentage, Percent: 20, MaxUses: 1}

func TestExpiredOrderGivesItsPromoUseBack(t *testing.T) {
	h := newHub(t)
	h.withPromo(once)
	first, err := h.placeWith(1, h.paid, "once")
	h.must(err)
	h.settle()
	if _, err := h.placeWith(1, h.paid, "ONCE"); !errors.Is(err, registrations.ErrPromoExhausted) {
		t.Fatalf("got %v, want the only use taken", err)
	}

	h.clock.Advance(16 * time.Minute)
	h.settle()

	h.wantStatus(first, registrations.OrderStatusExpired)
	if got := h.promoUses("ONCE"); got != 0 {
		t.Fatalf("got %d uses, want 0 after expiry", got)
	}
	second, err := h.placeWith(1, h.paid, "ONCE")
	if err != nil {
		t.Fatalf("got %v, want the use available again", err)
	}
	if o := h.order(second); o.Quote.Discount.Amount != paidPrice/5 {
		t.Fatalf("got discount %s, want 20%%", o.Quote.Discount)
	}
}

func TestCancelledAndRejectedOrdersGiveTheirPromoUseBack(t *testing.T) {
	h := newHub(t)
	h.withPromo(registrations.PromoCode{Code: "TWICE", Kind: registrations.DiscountPercentage, Percent: 10, MaxUses: 2})
	cancelled, err := h.placeWith(1, h.paid, "TWICE")
	h.must(err)
	h.settle()
	h.must(h.app.Registrations.CancelOrder(context.Background(), cancelled, "changed my mind"))
	h.settle()
	h.wantStatus(cancelled, registrations.OrderStatusCancelled)

	// Two orders for every seat, both placed before either is reserved:
	// one is rejected and gives its use back, the other keeps its own.
	a, err := h.placeWith(paidQuota, h.paid, "TWICE")
	h.must(err)
	b, err := h.placeWith(paidQuota, h.paid, "TWICE")
	h.must(err)
	h.settle()
	if sa, sb := h.order(a).Status, h.order(b).Status; sa == sb || (sa != registrations.OrderStatusRejected && sb != registrations.OrderStatusRejected) {
		t.Fatalf("got %s and %s, want one of them rejected", sa, sb)
	}

	if got := h.promoUses("TWICE"); got != 1 {
		t.Fatalf("got %d uses, want 1: the reserved order's", got)
	}
}

func TestConfirmedOrderKeepsItsPromoUse(t *testing.T) {
	h := newHub(t)
	h.withPromo(once)
	order, err := h.placeWith(1, h.paid, "ONCE")
	h.must(err)
	h.settle()
	h.pay(order)
	h.settle()
	h.wantStatus(order, registrations.OrderStatusConfirmed)
	if got := h.promoUses("ONCE"); got != 1 {
		t.Fatalf("got %d uses, want 1", got)
	}
}

func TestAPromoCodeThatAppliesToNothingIsRefusedWithoutTakingAUse(t *testing.T) {
	h := newHub(t)
	h.withPromo(registrations.PromoCode{Code: "FREEBIE", Kind: registrations.DiscountPercentage, Percent: 50, SeatType: h.free, MaxUses: 1})
	if _, err := h.placeWith(1, h.paid, "FREEBIE"); !errors.Is(err, registrations.ErrPromoNotApplicable) {
		t.Fatalf("got %v, want ErrPromoNotApplicable", err)
	}
	if _, err := h.app.promos.Load(context.Background(), registrations.PromoUsageStreamID(h.conference, "FREEBIE")); err == nil {
		t.Fatal("a refused order took a use of the code")
	}
	if _, err := h.placeWith(1, h.free, "FREEBIE"); err != nil {
		t.Fatalf("the code on the seat type it discounts: %v", err)
	}
}
