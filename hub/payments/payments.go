// Package payments is the hub's fake third-party payment processor: the
// stand-in for a real gateway behind registrationsapp.Payments. The
// registrations process asks it to collect an order's amount (Initiate);
// the registrant accepts or rejects on the processor's page (Accept,
// Reject); Accept publishes payments.PaymentAccepted through the outbox,
// which the hub turns into Registrations.CompletePayment. Refunds the
// process asks for are recorded (Refund).
//
// Payments live in SQL next to the event store, one row per attempt, and
// every status change publishes its integration event in the same
// transaction.
package payments

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/shared/registrations"
)

// Status is where a payment attempt is.
type Status string

// Payment statuses.
const (
	StatusPending  Status = "pending"
	StatusAccepted Status = "accepted"
	StatusRejected Status = "rejected"
	StatusRefunded Status = "refunded"
)

// Payment is one attempt to collect an order's amount.
type Payment struct {
	ID           uuid.UUID
	OrderID      uuid.UUID
	ConferenceID uuid.UUID
	// Attempt counts the order's payments from 1; a new one starts after
	// a rejection.
	Attempt      int
	Amount       registrations.Money
	Status       Status
	RefundReason string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Errors callers branch on with errors.Is.
var (
	// ErrNotFound: no such payment, or the order has none yet (its seats
	// are not reserved, or it is free and skips payment).
	ErrNotFound = errors.New("payment not found")
	// ErrConflict: the payment's status does not allow the change
	// (accepting a rejected payment, rejecting an accepted one).
	ErrConflict = errors.New("payment status does not allow this")
	// ErrInvalid: malformed input (nil ids, negative amount).
	ErrInvalid = errors.New("invalid payment input")
)

// Integration event types, published through the outbox.
const (
	TypePaymentAccepted = "payments.PaymentAccepted"
	TypePaymentRejected = "payments.PaymentRejected"
	TypePaymentRefunded = "payments.PaymentRefunded"
)

// Event is the payload of every payments integration event.
type Event struct {
	PaymentID    uuid.UUID           `json:"payment_id"`
	OrderID      uuid.UUID           `json:"order_id"`
	ConferenceID uuid.UUID           `json:"conference_id"`
	Attempt      int                 `json:"attempt"`
	Amount       registrations.Money `json:"amount"`
	Reason       string              `json:"reason,omitempty"`
}

func (p Payment) event(reason string) Event {
	return Event{PaymentID: p.ID, OrderID: p.OrderID, ConferenceID: p.ConferenceID, Attempt: p.Attempt, Amount: p.Amount, Reason: reason}
}

func statusError(p Payment, action string) error {
	return fmt.Errorf("%w: cannot %s payment %s, it is %s", ErrConflict, action, p.ID, p.Status)
}
