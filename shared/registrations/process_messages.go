package registrations

import (
	"time"

	"github.com/google/uuid"
)

// Command is an instruction the RegistrationProcess sends to an aggregate
// or another context. The adapter encodes it as JSON into the outbox under
// CommandType(), in the same transaction as the process's own events.
//
// Commands returned together are meant to be dispatched in order. A
// command that overtakes its predecessor (ConfirmOrder before
// MarkSeatsAsReserved) fails with a conflict error and succeeds on retry;
// every handler is idempotent, so retrying is always safe.
type Command interface {
	CommandType() string
}

// Delayed is implemented by commands the outbox must not dispatch before a
// time (eventstore.Message.NotBefore).
type Delayed interface {
	NotBefore() time.Time
}

// MakeSeatReservation asks SeatsAvailability to hold seats; the reservation
// id is the order id.
type MakeSeatReservation struct {
	ConferenceID  uuid.UUID `json:"conference_id"`
	ReservationID uuid.UUID `json:"reservation_id"`
	Seats         Seats     `json:"seats"`
}

// CommitSeatReservation asks SeatsAvailability to turn a reservation into
// sold seats.
type CommitSeatReservation struct {
	ConferenceID  uuid.UUID `json:"conference_id"`
	ReservationID uuid.UUID `json:"reservation_id"`
}

// CancelSeatReservation asks SeatsAvailability to release a reservation.
type CancelSeatReservation struct {
	ConferenceID  uuid.UUID `json:"conference_id"`
	ReservationID uuid.UUID `json:"reservation_id"`
}

// CancelSoldSeats asks SeatsAvailability to put a cancelled order's sold
// seats back on sale.
type CancelSoldSeats struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	OrderID      uuid.UUID `json:"order_id"`
}

// RecordOnSiteSale asks SeatsAvailability to apply a kiosk sale.
type RecordOnSiteSale struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	KioskID      string    `json:"kiosk_id"`
	OrderID      uuid.UUID `json:"order_id"`
	Seats        Seats     `json:"seats"`
}

// MarkSeatsAsReserved asks the Order to record what was reserved.
type MarkSeatsAsReserved struct {
	OrderID   uuid.UUID `json:"order_id"`
	Seats     Seats     `json:"seats"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ReinstateOrder asks an expired Order to reopen with its seats reserved
// again (Order.Reinstate), after a late payment.
type ReinstateOrder struct {
	OrderID   uuid.UUID `json:"order_id"`
	Seats     Seats     `json:"seats"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ConfirmOrder asks the Order to confirm.
type ConfirmOrder struct {
	OrderID uuid.UUID `json:"order_id"`
}

// ExpireOrder asks the Order to expire.
type ExpireOrder struct {
	OrderID uuid.UUID `json:"order_id"`
}

// RejectOrder asks the Order to reject itself.
type RejectOrder struct {
	OrderID uuid.UUID `json:"order_id"`
	Reason  string    `json:"reason"`
}

// InitiatePayment asks Payments to collect Amount for the order. Payments
// generates the payment id and reports back with PaymentCompleted.
type InitiatePayment struct {
	OrderID      uuid.UUID `json:"order_id"`
	ConferenceID uuid.UUID `json:"conference_id"`
	Amount       Money     `json:"amount"`
}

// RefundPayment asks Payments to give a payment back in full.
type RefundPayment struct {
	PaymentID uuid.UUID `json:"payment_id"`
	OrderID   uuid.UUID `json:"order_id"`
	Amount    Money     `json:"amount"`
	Reason    string    `json:"reason"`
}

// NotifyRegistrant asks for the registrant to be told something went
// differently than they expect (e.g. a refund after a late payment).
type NotifyRegistrant struct {
	OrderID uuid.UUID `json:"order_id"`
	Reason  string    `json:"reason"`
}

// ReservationTimeout is the message the process sends itself to fire when
// the reservation window ends: dispatch it no earlier than At and deliver it
// back to RegistrationProcess.Handle. It is a Command (going out) and an
// Event (coming back).
type ReservationTimeout struct {
	OrderID uuid.UUID `json:"order_id"`
	At      time.Time `json:"at"`
}

// NotBefore implements Delayed.
func (c ReservationTimeout) NotBefore() time.Time { return c.At }

// CommandType implements Command.
func (MakeSeatReservation) CommandType() string { return "registrations.MakeSeatReservation" }

// CommandType implements Command.
func (CommitSeatReservation) CommandType() string { return "registrations.CommitSeatReservation" }

// CommandType implements Command.
func (CancelSeatReservation) CommandType() string { return "registrations.CancelSeatReservation" }

// CommandType implements Command.
func (CancelSoldSeats) CommandType() string { return "registrations.CancelSoldSeats" }

// CommandType implements Command.
func (RecordOnSiteSale) CommandType() string { return "registrations.RecordOnSiteSale" }

// CommandType implements Command.
func (MarkSeatsAsReserved) CommandType() string { return "registrations.MarkSeatsAsReserved" }

// CommandType implements Command.
func (ReinstateOrder) CommandType() string { return "registrations.ReinstateOrder" }

// CommandType implements Command.
func (ConfirmOrder) CommandType() string { return "registrations.ConfirmOrder" }

// CommandType implements Command.
func (ExpireOrder) CommandType() string { return "registrations.ExpireOrder" }

// CommandType implements Command.
func (RejectOrder) CommandType() string { return "registrations.RejectOrder" }

// CommandType implements Command.
func (InitiatePayment) CommandType() string { return "registrations.InitiatePayment" }

// CommandType implements Command.
func (RefundPayment) CommandType() string { return "registrations.RefundPayment" }

// CommandType implements Command.
func (NotifyRegistrant) CommandType() string { return "registrations.NotifyRegistrant" }

// CommandType implements Command.
func (ReservationTimeout) CommandType() string { return "registrations.ReservationTimeout" }

// EventType lets the timeout come back in through Handle.
func (ReservationTimeout) EventType() string { return "registrations.ReservationTimeout" }

// PaymentCompleted is the Payments context's news that an order was paid,
// as the process consumes it; the payments adapter translates its own event
// (or emits this one). Kiosk payments never arrive here: walk-up orders are
// paid when placed.
type PaymentCompleted struct {
	PaymentID uuid.UUID `json:"payment_id"`
	OrderID   uuid.UUID `json:"order_id"`
	Amount    Money     `json:"amount"`
}

// EventType implements eventsourcing.Event.
func (PaymentCompleted) EventType() string { return "registrations.PaymentCompleted" }

// Every RegistrationProcess event carries the id of the message that caused
// it, so a redelivered message is recognised from state alone even if the
// store's processed mark were lost.

// RegistrationStarted records the order the process coordinates.
type RegistrationStarted struct {
	MessageID    uuid.UUID     `json:"message_id"`
	OrderID      uuid.UUID     `json:"order_id"`
	ConferenceID uuid.UUID     `json:"conference_id"`
	Seats        Seats         `json:"seats"`
	Quote        Quote         `json:"quote"`
	Promo        PromoCode     `json:"promo"`
	Window       time.Duration `json:"window_ns"`
	ExpiresAt    time.Time     `json:"expires_at"`
	// WalkUp orders start already paid and confirmed.
	WalkUp  bool   `json:"walk_up,omitempty"`
	KioskID string `json:"kiosk_id,omitempty"`
}

// RegistrationSeatsReserved records the seats held and what they cost.
// AwaitingRegistrant says payment (or a free order's confirmation) waits
// for the registrant's details; events recorded before that rule existed
// lack it and mean what they always meant.
type RegistrationSeatsReserved struct {
	MessageID          uuid.UUID `json:"message_id"`
	Seats              Seats     `json:"seats"`
	AmountDue          Money     `json:"amount_due"`
	AwaitingRegistrant bool      `json:"awaiting_registrant,omitempty"`
}

// RegistrationRegistrantGiven records that the order's name and email are
// known, which payment and a free order's confirmation wait for.
type RegistrationRegistrantGiven struct {
	MessageID uuid.UUID `json:"message_id"`
}

// RegistrationPaymentReceived records money in for the order.
type RegistrationPaymentReceived struct {
	MessageID uuid.UUID `json:"message_id"`
	PaymentID uuid.UUID `json:"payment_id"`
	Amount    Money     `json:"amount"`
}

// RegistrationPaymentRefunded records a payment the process sent back
// because it bought nothing (late, duplicate, wrong amount, seats gone).
type RegistrationPaymentRefunded struct {
	MessageID uuid.UUID `json:"message_id"`
	PaymentID uuid.UUID `json:"payment_id"`
	Amount    Money     `json:"amount"`
	Reason    string    `json:"reason"`
}

// RegistrationExpired records the reservation window ending unpaid.
type RegistrationExpired struct {
	MessageID uuid.UUID `json:"message_id"`
	ExpiredAt time.Time `json:"expired_at"`
}

// RegistrationRejected records the order turned down (nothing reserved).
type RegistrationRejected struct {
	MessageID uuid.UUID `json:"message_id"`
	Reason    string    `json:"reason"`
}

// RegistrationCancelled records the order cancelled and its seats released.
type RegistrationCancelled struct {
	MessageID uuid.UUID `json:"message_id"`
}

// EventType implements eventsourcing.Event.
func (RegistrationStarted) EventType() string { return "registrations.RegistrationStarted" }

// EventType implements eventsourcing.Event.
func (RegistrationSeatsReserved) EventType() string {
	return "registrations.RegistrationSeatsReserved"
}

// EventType implements eventsourcing.Event.
func (RegistrationRegistrantGiven) EventType() string {
	return "registrations.RegistrationRegistrantGiven"
}

// EventType implements eventsourcing.Event.
func (RegistrationPaymentReceived) EventType() string {
	return "registrations.RegistrationPaymentReceived"
}

// EventType implements eventsourcing.Event.
func (RegistrationPaymentRefunded) EventType() string {
	return "registrations.RegistrationPaymentRefunded"
}

// EventType implements eventsourcing.Event.
func (RegistrationExpired) EventType() string { return "registrations.RegistrationExpired" }

// EventType implements eventsourcing.Event.
func (RegistrationRejected) EventType() string { return "registrations.RegistrationRejected" }

// EventType implements eventsourcing.Event.
func (RegistrationCancelled) EventType() string { return "registrations.RegistrationCancelled" }
