package mail

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/messaging"
	"conference/shared/registrations"
)

// Notifier is the registrations application's Notifier port on mail: the
// registration process's NotifyRegistrant (a payment refunded because it
// bought nothing) becomes a refund notice in the outbox. The request's id
// derives from the command's, so a redelivered command asks once.
type Notifier struct {
	Outbox interface {
		Commit(ctx context.Context, b eventstore.Batch) (eventstore.Result, error)
	}
}

// notifyNamespace derives a cause for a NotifyRegistrant handled outside
// the bus (no message id in ctx).
var notifyNamespace = uuid.MustParse("9c61a0e4-7d0b-4b4f-bd43-2f5a7c3e81aa")

// Notify implements registrationsapp.Notifier.
func (n Notifier) Notify(ctx context.Context, cmd registrations.NotifyRegistrant) error {
	cause := uuid.NewSHA1(notifyNamespace, append(cmd.OrderID[:], cmd.Reason...))
	if p := messaging.Processed(ctx); p != nil {
		cause = p.MessageID
	}
	m, err := NewMessage(cause, Request{Kind: PaymentRefunded, OrderID: cmd.OrderID, Reason: cmd.Reason})
	if err != nil {
		return err
	}
	if _, err := n.Outbox.Commit(ctx, eventstore.Batch{Outbox: []eventstore.Message{m}}); err != nil {
		return fmt.Errorf("ask for the refund notice of order %s: %w", cmd.OrderID, err)
	}
	return nil
}
