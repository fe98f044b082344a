package registrations

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/shared/contact"
	"conference/shared/eventsourcing"
)

// DefaultReservationWindow is how long seats are held for an unpaid order
// when the conference does not configure a window.
const DefaultReservationWindow = 15 * time.Minute

// OrderStatus is where an order is in its life.
type OrderStatus string

// Order statuses.
const (
	OrderStatusNew       OrderStatus = ""
	OrderStatusPending   OrderStatus = "pending" // placed, seats not reserved yet
	OrderStatusReserved  OrderStatus = "reserved"
	OrderStatusConfirmed OrderStatus = "confirmed"
	OrderStatusExpired   OrderStatus = "expired"
	OrderStatusRejected  OrderStatus = "rejected"
	OrderStatusCancelled OrderStatus = "cancelled"
)

// closed reports statuses an order never leaves on its own.
func (s OrderStatus) closed() bool {
	return s == OrderStatusExpired || s == OrderStatusRejected || s == OrderStatusCancelled
}

// Order is one registrant's order for seats of one conference.
type Order struct {
	eventsourcing.Root

	orderID      uuid.UUID
	conferenceID uuid.UUID
	status       OrderStatus
	requested    Seats
	reserved     Seats
	quote        Quote
	promo        PromoCode
	accessCode   string
	window       time.Duration
	expiresAt    time.Time
	name, email  string
	kioskID      string
	reason       string // why it was rejected
}

// NewOrder returns an empty order for the repository to replay into.
func NewOrder() *Order { return &Order{} }

// StreamType implements eventsourcing.Aggregate.
func (o *Order) StreamType() string { return "registrations.Order" }

// PlaceOrder is what a registrant asks for. The caller generates OrderID
// (ids.New) and AccessCode (ids.NewAccessCode), so a retried request with
// the same ids is recognisable.
type PlaceOrder struct {
	OrderID      uuid.UUID
	ConferenceID uuid.UUID
	Seats        Seats
	Pricing      PricingInput
	// ReservationWindow is how long seats are held; 0 means
	// DefaultReservationWindow.
	ReservationWindow time.Duration
	AccessCode        string
}

// Place records OrderPlaced with the order priced at once.
func (o *Order) Place(cmd PlaceOrder, now time.Time) error {
	if o.status != OrderStatusNew {
		return ErrOrderAlreadyPlaced
	}
	if cmd.OrderID == uuid.Nil || cmd.ConferenceID == uuid.Nil {
		return invalidf("order and conference ids are required")
	}
	if strings.TrimSpace(cmd.AccessCode) == "" {
		return invalidf("access code is required")
	}
	if cmd.ReservationWindow < 0 {
		return invalidf("reservation window cannot be negative")
	}
	if err := cmd.Seats.validateRequest(); err != nil {
		return err
	}
	seats := cmd.Seats.Normalize()
	quote, err := Price(seats, cmd.Pricing, now)
	if err != nil {
		return err
	}
	window := cmd.ReservationWindow
	if window == 0 {
		window = DefaultReservationWindow
	}
	o.SetID(OrderStreamID(cmd.OrderID))
	o.Record(o, OrderPlaced{
		OrderID: cmd.OrderID, ConferenceID: cmd.ConferenceID, Seats: seats,
		Quote: quote, Promo: cmd.Pricing.Promo, AccessCode: cmd.AccessCode,
		ReservationWindow: window, ReservationExpiresAt: now.Add(window), PlacedAt: now,
	})
	return nil
}

// PlaceWalkUp is an order placed and paid at a kiosk. The kiosk generates
// OrderID and AccessCode.
type PlaceWalkUp struct {
	OrderID      uuid.UUID
	ConferenceID uuid.UUID
	KioskID      string
	Seats        Seats
	Pricing      PricingInput
	AccessCode   string
	Name         string
	Email        string // optional: a cash buyer may not give one
	Method       PaymentMethod
	PaymentRef   string
}

// PlaceWalkUp records WalkUpOrderPlaced: placed, paid and confirmed in one
// step. Validation happens here, on the kiosk, before the fact exists;
// once recorded the fact is never refused (see SeatsAvailability.RecordOnSiteSale).
func (o *Order) PlaceWalkUp(cmd PlaceWalkUp, now time.Time) error {
	if o.status != OrderStatusNew {
		return ErrOrderAlreadyPlaced
	}
	if cmd.OrderID == uuid.Nil || cmd.ConferenceID == uuid.Nil || cmd.KioskID == "" {
		return invalidf("order, conference and kiosk ids are required")
	}
	if strings.TrimSpace(cmd.AccessCode) == "" {
		return invalidf("access code is required")
	}
	if cmd.Method != PaymentCash && cmd.Method != PaymentCardPresent {
		return invalidf("payment method must be %q or %q", PaymentCash, PaymentCardPresent)
	}
	name, email, err := validPerson(cmd.Name, cmd.Email, false)
	if err != nil {
		return err
	}
	if err := cmd.Seats.validateRequest(); err != nil {
		return err
	}
	seats := cmd.Seats.Normalize()
	quote, err := Price(seats, cmd.Pricing, now)
	if err != nil {
		return err
	}
	o.SetID(OrderStreamID(cmd.OrderID))
	o.Record(o, WalkUpOrderPlaced{
		OrderID: cmd.OrderID, ConferenceID: cmd.ConferenceID, KioskID: cmd.KioskID,
		Seats: seats, Quote: quote, Promo: cmd.Pricing.Promo, AccessCode: cmd.AccessCode,
		Name: name, Email: email, Method: cmd.Method, AmountPaid: quote.Total,
		PaymentRef: cmd.PaymentRef, PlacedAt: now,
	})
	return nil
}

// MarkSeatsReserved records what availability actually reserved and
// reprices the order on it: OrderReservationCompleted when everything
// requested was reserved, OrderPartiallyReserved otherwise. It may be
// called again when a reservation is adjusted. An expired order refuses
// it: a reply that arrives after expiry must not reopen the order (see
// Reinstate for the one case that may).
func (o *Order) MarkSeatsReserved(reserved Seats, expiresAt time.Time) error {
	switch {
	case o.status == OrderStatusNew:
		return ErrOrderNotPlaced
	case o.status == OrderStatusConfirmed:
		return ErrOrderConfirmed
	case o.status.closed():
		return ErrOrderClosed
	}
	return o.recordReservation(reserved, expiresAt)
}

// Reinstate reopens an expired order whose payment arrived late and whose
// seats could all be reserved again, so it can be confirmed.
func (o *Order) Reinstate(reserved Seats, expiresAt time.Time) error {
	switch {
	case o.status == OrderStatusNew:
		return ErrOrderNotPlaced
	case o.status == OrderStatusReserved:
		if reserved.Equal(o.reserved) {
			return nil
		}
		return ErrOrderClosed
	case o.status != OrderStatusExpired:
		return fmt.Errorf("only an expired order can be reinstated: %w", ErrOrderClosed)
	}
	return o.recordReservation(reserved, expiresAt)
}

func (o *Order) recordReservation(reserved Seats, expiresAt time.Time) error {
	reserved = reserved.Normalize()
	for _, q := range reserved {
		if q.Quantity < 0 || q.Quantity > o.requested.Get(q.SeatType) {
			return invalidf("reserved %d seats of %s, requested %d", q.Quantity, q.SeatType, o.requested.Get(q.SeatType))
		}
	}
	quote, err := Reprice(reserved, o.quote, o.promo)
	if err != nil {
		return err
	}
	if reserved.Equal(o.requested) {
		o.Record(o, OrderReservationCompleted{OrderID: o.orderID, Seats: reserved, Quote: quote, ReservationExpiresAt: expiresAt})
		return nil
	}
	o.Record(o, OrderPartiallyReserved{OrderID: o.orderID, Requested: o.requested, Seats: reserved, Quote: quote, ReservationExpiresAt: expiresAt})
	return nil
}

// SetRegistrant records who placed the order. Setting the same details
// again records nothing.
func (o *Order) SetRegistrant(name, email string) error {
	if o.status == OrderStatusNew {
		return ErrOrderNotPlaced
	}
	if o.status.closed() {
		return ErrOrderClosed
	}
	name, email, err := validPerson(name, email, true)
	if err != nil {
		return err
	}
	if name == o.name && email == o.email {
		return nil
	}
	o.Record(o, OrderRegistrantAssigned{OrderID: o.orderID, Name: name, Email: email})
	return nil
}

// Confirm records OrderConfirmed once the order is paid or free. Confirming
// a confirmed order again records nothing, so a redelivered command is safe.
// An order is only confirmed with someone to reach: without the
// registrant's name and email it is refused with ErrRegistrantMissing.
func (o *Order) Confirm(now time.Time) error {
	switch {
	case o.status == OrderStatusNew:
		return ErrOrderNotPlaced
	case o.status == OrderStatusConfirmed:
		return nil
	case o.status.closed():
		return ErrOrderClosed
	case o.status == OrderStatusPending || o.reserved.Total() == 0:
		return ErrSeatsNotReserved
	case !o.HasRegistrant():
		return ErrRegistrantMissing
	}
	o.Record(o, OrderConfirmed{OrderID: o.orderID, ConferenceID: o.conferenceID, Seats: o.reserved, Total: o.quote.Total, ConfirmedAt: now})
	return nil
}

// Expire records OrderExpired when the reservation window has passed on an
// unconfirmed order. An already expired, rejected or cancelled order
// records nothing.
func (o *Order) Expire(now time.Time) error {
	switch {
	case o.status == OrderStatusNew:
		return ErrOrderNotPlaced
	case o.status == OrderStatusConfirmed:
		return ErrOrderConfirmed
	case o.status.closed():
		return nil
	case now.Before(o.expiresAt):
		return fmt.Errorf("expires at %s: %w", o.expiresAt.Format(time.RFC3339), ErrNotExpiredYet)
	}
	o.Record(o, OrderExpired{OrderID: o.orderID, ConferenceID: o.conferenceID, Seats: o.reserved, ExpiredAt: now})
	return nil
}

// Reject records OrderRejected on an unconfirmed order.
func (o *Order) Reject(reason string, now time.Time) error {
	switch {
	case o.status == OrderStatusNew:
		return ErrOrderNotPlaced
	case o.status == OrderStatusConfirmed:
		return ErrOrderConfirmed
	case o.status == OrderStatusRejected:
		return nil
	case o.status.closed():
		return ErrOrderClosed
	}
	o.Record(o, OrderRejected{OrderID: o.orderID, ConferenceID: o.conferenceID, Reason: reason, RejectedAt: now})
	return nil
}

// Cancel records OrderCancelled with the seats to give back. Cancelling a
// cancelled order records nothing.
func (o *Order) Cancel(reason string, now time.Time) error {
	switch {
	case o.status == OrderStatusNew:
		return ErrOrderNotPlaced
	case o.status == OrderStatusCancelled:
		return nil
	case o.status.closed():
		return ErrOrderClosed
	}
	o.Record(o, OrderCancelled{
		OrderID: o.orderID, ConferenceID: o.conferenceID, Seats: o.reserved,
		WasConfirmed: o.status == OrderStatusConfirmed, Reason: reason, CancelledAt: now,
	})
	return nil
}

// Apply implements eventsourcing.Aggregate.
func (o *Order) Apply(e eventsourcing.Event) {
	switch e := e.(type) {
	case OrderPlaced:
		o.orderID, o.conferenceID, o.status = e.OrderID, e.ConferenceID, OrderStatusPending
		o.requested, o.quote, o.promo = e.Seats, e.Quote, e.Promo
		o.accessCode, o.window, o.expiresAt = e.AccessCode, e.ReservationWindow, e.ReservationExpiresAt
	case WalkUpOrderPlaced:
		o.orderID, o.conferenceID, o.status, o.kioskID = e.OrderID, e.ConferenceID, OrderStatusConfirmed, e.KioskID
		o.requested, o.reserved, o.quote, o.promo = e.Seats, e.Seats, e.Quote, e.Promo
		o.accessCode, o.name, o.email = e.AccessCode, e.Name, e.Email
	case OrderReservationCompleted:
		o.status, o.reserved, o.quote, o.expiresAt = OrderStatusReserved, e.Seats, e.Quote, e.ReservationExpiresAt
	case OrderPartiallyReserved:
		o.status, o.reserved, o.quote, o.expiresAt = OrderStatusReserved, e.Seats, e.Quote, e.ReservationExpiresAt
	case OrderRegistrantAssigned:
		o.name, o.email = e.Name, e.Email
	case OrderConfirmed:
		o.status = OrderStatusConfirmed
	case OrderExpired:
		// The seats went back on sale: the order holds none any more.
		o.status, o.reserved = OrderStatusExpired, nil
	case OrderRejected:
		// Nothing was reserved, so nothing is due.
		o.status, o.reserved, o.quote, o.reason = OrderStatusRejected, nil, o.quote.Nothing(), e.Reason
	case OrderCancelled:
		o.status = OrderStatusCancelled
	}
}

// OrderID is the order's id.
func (o *Order) OrderID() uuid.UUID { return o.orderID }

// ConferenceID is the conference the order is for.
func (o *Order) ConferenceID() uuid.UUID { return o.conferenceID }

// Status is where the order is in its life.
func (o *Order) Status() OrderStatus { return o.status }

// Requested are the seats the registrant asked for.
func (o *Order) Requested() Seats { return o.requested }

// Reserved are the seats actually held (or sold, once confirmed).
func (o *Order) Reserved() Seats { return o.reserved }

// IsPartiallyReserved reports whether fewer seats were reserved than
// requested, which the registrant must be told. Only an order holding
// seats (reserved or confirmed) can be partial.
func (o *Order) IsPartiallyReserved() bool { return o.status.Partial(o.requested, o.reserved) }

// Partial reports whether an order in status s holds fewer seats
// (reserved) than it asked for (requested): the rule Order and the read
// models share.
func (s OrderStatus) Partial(requested, reserved Seats) bool {
	return (s == OrderStatusReserved || s == OrderStatusConfirmed) && !reserved.Equal(requested)
}

// HasRegistrant reports whether the registrant's name and email are given.
func (o *Order) HasRegistrant() bool { return o.name != "" && o.email != "" }

// RejectionReason says why a rejected order was turned down; "" otherwise.
func (o *Order) RejectionReason() string { return o.reason }

// Quote is the order's current pricing: of the requested seats until the
// reservation is known, of the reserved seats afterwards.
func (o *Order) Quote() Quote { return o.quote }

// PromoCode is the code the order was placed with, "" for none; a rejected
// order, priced at nothing, still names it.
func (o *Order) PromoCode() string { return o.promo.Code }

// Total is what the registrant pays.
func (o *Order) Total() Money { return o.quote.Total }

// IsFree reports a zero-cost order, which skips payment.
func (o *Order) IsFree() bool { return o.status != OrderStatusNew && o.quote.Total.IsZero() }

// AccessCode lets the registrant find the order later.
func (o *Order) AccessCode() string { return o.accessCode }

// ReservationExpiresAt is when unpaid seats are released.
func (o *Order) ReservationExpiresAt() time.Time { return o.expiresAt }

// Registrant is the name and email of whoever placed the order.
func (o *Order) Registrant() (name, email string) { return o.name, o.email }

// KioskID is the kiosk a walk-up order was placed at, "" for online orders.
func (o *Order) KioskID() string { return o.kioskID }

// maxNameLength keeps names printable on a badge and out of abuse territory.
const maxNameLength = 200

func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", invalidField("name", "name is required")
	}
	if len([]rune(name)) > maxNameLength {
		return "", invalidField("name", "name is longer than %d characters", maxNameLength)
	}
	return name, nil
}

// validEmail applies the one email rule of the system (contact.ParseEmail).
func validEmail(email string) (string, error) {
	email, err := contact.ParseEmail(email)
	var ee *contact.EmailError
	if errors.As(err, &ee) {
		return "", invalidField("email", "%s", ee.Error())
	}
	return email, err
}

// validPerson checks a name and an email (which may be optional) together
// and reports every problem at once (joined *Errors, one per field).
func validPerson(name, email string, emailRequired bool) (string, string, error) {
	name, nameErr := validName(name)
	var emailErr error
	if emailRequired || strings.TrimSpace(email) != "" {
		email, emailErr = validEmail(email)
	} else {
		email = ""
	}
	return name, email, errors.Join(nameErr, emailErr)
}
