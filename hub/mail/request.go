package mail

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/messaging"
)

// CommandType is the outbox command that asks for a mail.
const CommandType = "mail.Send"

// Kind names what a mail is about.
type Kind string

// The mails the hub sends.
const (
	// OrderConfirmed: the access code, a link to the order and the
	// tickets (PDF) attached.
	OrderConfirmed Kind = "order-confirmed"
	// OrderCancelled: the order was cancelled (by the organizer), why, and
	// that what was paid is refunded.
	OrderCancelled Kind = "order-cancelled"
	// PaymentRefunded: a payment that bought nothing (it came after the
	// order expired and its seats were gone, or twice) was sent back.
	PaymentRefunded Kind = "payment-refunded"
	// WaitlistOffer: seats a registrant waited for are held for them until
	// a deadline, with the link that takes them.
	WaitlistOffer Kind = "waitlist-offer"
	// PasswordReset: a single-use link that sets a new organizer password.
	PasswordReset Kind = "password-reset"
)

// Kinds lists every kind, in the order the organizer's page names them.
var Kinds = []Kind{OrderConfirmed, OrderCancelled, PaymentRefunded, WaitlistOffer, PasswordReset}

// Request is the command asking for one mail. It names what happened by
// reference (and carries the facts of the event that cannot change, such
// as an offer's deadline); the mail itself is written from current state
// when it is sent.
type Request struct {
	Kind         Kind      `json:"kind"`
	ConferenceID uuid.UUID `json:"conference_id,omitzero"`
	OrderID      uuid.UUID `json:"order_id,omitzero"`
	// Reason says why an order was cancelled or a payment refunded.
	Reason string `json:"reason,omitempty"`
	// WasConfirmed: the cancelled order had been paid (or was free).
	WasConfirmed bool `json:"was_confirmed,omitempty"`
	// The waitlist offer: entry, seats offered, until when.
	EntryID   uuid.UUID `json:"entry_id,omitzero"`
	SeatType  uuid.UUID `json:"seat_type,omitzero"`
	Quantity  int       `json:"quantity,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// ResetID names the password reset (its token is made when the mail is
	// written, and only its hash is kept).
	ResetID uuid.UUID `json:"reset_id,omitzero"`
}

// requestNamespace derives command ids from what caused them.
var requestNamespace = uuid.MustParse("0b6d3c2e-51a4-4f0e-9d0c-7c4a52f1e8d3")

// NewMessage returns the outbox command asking for req. Its id derives
// from cause (the event or message that called for the mail) and the kind,
// so asking again for the same cause writes nothing new: the outbox
// ignores a message id it holds.
func NewMessage(cause uuid.UUID, req Request) (eventstore.Message, error) {
	if req.Kind == "" {
		return eventstore.Message{}, fmt.Errorf("mail request without a kind")
	}
	data, err := json.Marshal(req)
	if err != nil {
		return eventstore.Message{}, fmt.Errorf("encode mail request: %w", err)
	}
	conversation := req.OrderID
	for _, id := range []uuid.UUID{req.EntryID, req.ResetID} {
		if conversation == uuid.Nil {
			conversation = id
		}
	}
	return eventstore.Message{
		ID:   uuid.NewSHA1(requestNamespace, append(cause[:], req.Kind...)),
		Kind: eventstore.KindCommand, Type: CommandType, Data: data,
		CorrelationID: conversation, CausationID: cause,
	}, nil
}

// DecodeRequest reads the request of a mail command.
func DecodeRequest(m eventstore.Message) (Request, error) {
	var r Request
	if m.Type != CommandType {
		return r, fmt.Errorf("message %s is a %s, not a mail request", m.ID, m.Type)
	}
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return r, fmt.Errorf("decode mail request %s: %w", m.ID, err)
	}
	if r.Kind == "" {
		return r, fmt.Errorf("mail request %s has no kind", m.ID)
	}
	return r, nil
}

// Lane gives every mail command a lane of its own and leaves the others to
// next: a mail waiting on a slow SMTP server holds up no order's commands,
// and no other mail.
func Lane(next func(eventstore.Message) string) func(eventstore.Message) string {
	return func(m eventstore.Message) string {
		if m.Type == CommandType {
			return "mail:" + m.ID.String()
		}
		return next(m)
	}
}

// DefaultRetry is how the bus retries a mail: soon at first, then up to
// 15 minutes apart, for about an hour and a half before it becomes a dead letter
// the organizer sends again. An SMTP server away for an hour loses nothing.
var DefaultRetry = messaging.Retry{
	MaxAttempts: 14,
	Backoff: func(attempt int) time.Duration {
		return min(15*time.Minute, 2*time.Second<<min(attempt, 10))
	},
}
