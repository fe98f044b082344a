package registrations

import (
	"time"

	"github.com/google/uuid"
)

// OrderPlaced records an online order: what was asked for, priced at once,
// and how long the seats will be held.
type OrderPlaced struct {
	OrderID              uuid.UUID     `json:"order_id"`
	ConferenceID         uuid.UUID     `json:"conference_id"`
	Seats                Seats         `json:"seats"`
	Quote                Quote         `json:"quote"`
	Promo                PromoCode     `json:"promo"`
	AccessCode           string        `json:"access_code"`
	ReservationWindow    time.Duration `json:"reservation_window_ns"`
	ReservationExpiresAt time.Time     `json:"reservation_expires_at"`
	PlacedAt             time.Time     `json:"placed_at"`
}

// OrderReservationCompleted records that every requested seat was reserved.
type OrderReservationCompleted struct {
	OrderID              uuid.UUID `json:"order_id"`
	Seats                Seats     `json:"seats"`
	Quote                Quote     `json:"quote"`
	ReservationExpiresAt time.Time `json:"reservation_expires_at"`
}

// OrderPartiallyReserved records that fewer seats than requested (possibly
// none) were reserved; the quote covers the reserved seats only.
type OrderPartiallyReserved struct {
	OrderID              uuid.UUID `json:"order_id"`
	Requested            Seats     `json:"requested"`
	Seats                Seats     `json:"seats"`
	Quote                Quote     `json:"quote"`
	ReservationExpiresAt time.Time `json:"reservation_expires_at"`
}

// OrderRegistrantAssigned records who placed the order.
type OrderRegistrantAssigned struct {
	OrderID uuid.UUID `json:"order_id"`
	Name    string    `json:"name"`
	Email   string    `json:"email"`
}

// OrderConfirmed records that the order is paid (or free) and its seats
// are the registrant's.
type OrderConfirmed struct {
	OrderID      uuid.UUID `json:"order_id"`
	ConferenceID uuid.UUID `json:"conference_id"`
	Seats        Seats     `json:"seats"`
	Total        Money     `json:"total"`
	ConfirmedAt  time.Time `json:"confirmed_at"`
}

// OrderExpired records that the reservation window passed unpaid. Seats are
// the ones that were reserved, so the waitlist can learn they came back.
type OrderExpired struct {
	OrderID      uuid.UUID `json:"order_id"`
	ConferenceID uuid.UUID `json:"conference_id"`
	Seats        Seats     `json:"seats"`
	ExpiredAt    time.Time `json:"expired_at"`
}

// OrderRejected records that the order cannot go on (nothing could be
// reserved, payment refused for good).
type OrderRejected struct {
	OrderID      uuid.UUID `json:"order_id"`
	ConferenceID uuid.UUID `json:"conference_id"`
	Reason       string    `json:"reason"`
	RejectedAt   time.Time `json:"rejected_at"`
}

// OrderCancelled records a cancellation. Seats go back to availability:
// sold seats when WasConfirmed, a pending reservation otherwise.
type OrderCancelled struct {
	OrderID      uuid.UUID `json:"order_id"`
	ConferenceID uuid.UUID `json:"conference_id"`
	Seats        Seats     `json:"seats"`
	WasConfirmed bool      `json:"was_confirmed"`
	Reason       string    `json:"reason"`
	CancelledAt  time.Time `json:"cancelled_at"`
}

// PaymentMethod is how a walk-up attendee paid at the kiosk.
type PaymentMethod string

// On-site payment methods.
const (
	PaymentCash        PaymentMethod = "cash"
	PaymentCardPresent PaymentMethod = "card_present"
)

// WalkUpOrderPlaced records an order placed and paid at a kiosk in one step:
// a fact recorded (possibly offline) that is never rejected afterwards.
type WalkUpOrderPlaced struct {
	OrderID      uuid.UUID     `json:"order_id"`
	ConferenceID uuid.UUID     `json:"conference_id"`
	KioskID      string        `json:"kiosk_id"`
	Seats        Seats         `json:"seats"`
	Quote        Quote         `json:"quote"`
	Promo        PromoCode     `json:"promo"`
	AccessCode   string        `json:"access_code"`
	Name         string        `json:"name"`
	Email        string        `json:"email,omitempty"`
	Method       PaymentMethod `json:"method"`
	AmountPaid   Money         `json:"amount_paid"`
	PaymentRef   string        `json:"payment_ref,omitempty"`
	PlacedAt     time.Time     `json:"placed_at"`
}

// EventType implements eventsourcing.Event.
func (OrderPlaced) EventType() string { return "registrations.OrderPlaced" }

// EventType implements eventsourcing.Event.
func (OrderReservationCompleted) EventType() string {
	return "registrations.OrderReservationCompleted"
}

// EventType implements eventsourcing.Event.
func (OrderPartiallyReserved) EventType() string { return "registrations.OrderPartiallyReserved" }

// EventType implements eventsourcing.Event.
func (OrderRegistrantAssigned) EventType() string { return "registrations.OrderRegistrantAssigned" }

// EventType implements eventsourcing.Event.
func (OrderConfirmed) EventType() string { return "registrations.OrderConfirmed" }

// EventType implements eventsourcing.Event.
func (OrderExpired) EventType() string { return "registrations.OrderExpired" }

// EventType implements eventsourcing.Event.
func (OrderRejected) EventType() string { return "registrations.OrderRejected" }

// EventType implements eventsourcing.Event.
func (OrderCancelled) EventType() string { return "registrations.OrderCancelled" }

// EventType implements eventsourcing.Event.
func (WalkUpOrderPlaced) EventType() string { return "registrations.WalkUpOrderPlaced" }
