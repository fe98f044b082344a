package registrations

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

// PromoCodeRedeemed records an order using a promo code.
type PromoCodeRedeemed struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	Code         string    `json:"code"`
	OrderID      uuid.UUID `json:"order_id"`
	RedeemedAt   time.Time `json:"redeemed_at"`
}

// PromoCodeReleased records a use given back because the order never
// completed (expired, rejected, cancelled).
type PromoCodeReleased struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	Code         string    `json:"code"`
	OrderID      uuid.UUID `json:"order_id"`
}

// EventType implements eventsourcing.Event.
func (PromoCodeRedeemed) EventType() string { return "registrations.PromoCodeRedeemed" }

// EventType implements eventsourcing.Event.
func (PromoCodeReleased) EventType() string { return "registrations.PromoCodeReleased" }

// PromoCodeUsage counts the orders using one promo code (stream
// PromoUsageStreamID). Counting lives in its own small aggregate rather
// than in the Order (which cannot see other orders) or in a read model
// (which would let two concurrent orders both take the last use):
// optimistic concurrency on this stream makes "limited uses" exact on the
// hub.
//
// Use it before placing an order: Redeem, save, then place the order with
// PricingInput.PromoUses = UsesExcept(orderID). A handler Releases the use
// when the order expires, is rejected or cancelled. Walk-up orders priced
// offline on a kiosk may exceed the limit; like an oversold seat, that is
// accepted as a fact.
type PromoCodeUsage struct {
	eventsourcing.Root
	conferenceID uuid.UUID
	code         string
	orders       map[uuid.UUID]bool
}

// NewPromoCodeUsage returns an empty usage counter for the repository.
func NewPromoCodeUsage() *PromoCodeUsage { return &PromoCodeUsage{} }

// StreamType implements eventsourcing.Aggregate.
func (u *PromoCodeUsage) StreamType() string { return "registrations.PromoCodeUsage" }

// Redeem takes one use of promo for orderID if it is usable at now. The
// same order redeeming again records nothing.
func (u *PromoCodeUsage) Redeem(conferenceID uuid.UUID, promo PromoCode, orderID uuid.UUID, now time.Time) error {
	if conferenceID == uuid.Nil || orderID == uuid.Nil {
		return invalidf("conference and order ids are required")
	}
	if err := promo.Validate(); err != nil {
		return err
	}
	code := NormalizePromoCode(promo.Code)
	if u.code != "" && (u.code != code || u.conferenceID != conferenceID) {
		return invalidf("usage counts %s of %s, not %s", u.code, u.conferenceID, code)
	}
	if u.orders[orderID] {
		return nil
	}
	if err := promo.CheckUsable(u.Uses(), now); err != nil {
		return err
	}
	if u.ID() == "" {
		u.SetID(PromoUsageStreamID(conferenceID, code))
	}
	u.Record(u, PromoCodeRedeemed{ConferenceID: conferenceID, Code: code, OrderID: orderID, RedeemedAt: now})
	return nil
}

// Release gives back the use of orderID.
func (u *PromoCodeUsage) Release(orderID uuid.UUID) error {
	if !u.orders[orderID] {
		return fmt.Errorf("order %s: %w", orderID, ErrPromoNotRedeemed)
	}
	u.Record(u, PromoCodeReleased{ConferenceID: u.conferenceID, Code: u.code, OrderID: orderID})
	return nil
}

// Uses is how many orders hold a use of the code.
func (u *PromoCodeUsage) Uses() int { return len(u.orders) }

// UsesExcept is Uses not counting orderID, the number to price that
// order with once it has redeemed the code.
func (u *PromoCodeUsage) UsesExcept(orderID uuid.UUID) int {
	if u.orders[orderID] {
		return len(u.orders) - 1
	}
	return len(u.orders)
}

// Apply implements eventsourcing.Aggregate.
func (u *PromoCodeUsage) Apply(ev eventsourcing.Event) {
	if u.orders == nil {
		u.orders = map[uuid.UUID]bool{}
	}
	switch e := ev.(type) {
	case PromoCodeRedeemed:
		u.conferenceID, u.code = e.ConferenceID, e.Code
		u.orders[e.OrderID] = true
	case PromoCodeReleased:
		delete(u.orders, e.OrderID)
	}
}
