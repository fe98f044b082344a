package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	registrationsapp "conference/hub/registrations"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/sqldb"
)

var _ registrationsapp.SeatRefunds = (*Processor)(nil)

// RefundSeats implements registrationsapp.SeatRefunds: seats a conflict
// resolution took back are refunded as an attempt of their own, already
// refunded, with the amount owed (the seats were usually paid at a kiosk,
// so there is no online payment to reverse; the organizer's pages show the
// refund with the order). payments.PaymentRefunded is published in the
// same transaction. Idempotent by RefundID, which becomes the payment id.
func (p *Processor) RefundSeats(ctx context.Context, cmd registrationsapp.RefundSeats) error {
	if cmd.RefundID == uuid.Nil || cmd.OrderID == uuid.Nil || cmd.ConferenceID == uuid.Nil ||
		cmd.Amount.Amount < 0 || len(cmd.Amount.Currency) != 3 {
		return fmt.Errorf("refund seats of order %s: %w", cmd.OrderID, ErrInvalid)
	}
	return p.change(ctx, "refund seats of order "+cmd.OrderID.String(), func(tx sqldb.Tx, now int64) ([]eventstore.Message, error) {
		switch _, err := get(ctx, tx, cmd.RefundID); {
		case err == nil:
			return nil, nil // refunded already
		case !errors.Is(err, ErrNotFound):
			return nil, err
		}
		last, _, err := latest(ctx, tx, cmd.OrderID)
		if err != nil {
			return nil, err
		}
		pay := Payment{
			ID: cmd.RefundID, OrderID: cmd.OrderID, ConferenceID: cmd.ConferenceID, Attempt: last.Attempt + 1,
			Amount: cmd.Amount, Status: StatusRefunded, RefundReason: cmd.Reason,
			CreatedAt: time.UnixMilli(now).UTC(), UpdatedAt: time.UnixMilli(now).UTC(),
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payments (`+columns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			pay.ID[:], pay.OrderID[:], pay.ConferenceID[:], pay.Attempt, pay.Amount.Amount, pay.Amount.Currency,
			pay.Status, pay.RefundReason, now, now); err != nil {
			return nil, err
		}
		data, err := json.Marshal(pay.event(cmd.Reason))
		if err != nil {
			return nil, err
		}
		return []eventstore.Message{{ID: ids.New(), Kind: eventstore.KindEvent, Type: TypePaymentRefunded, Data: data, CorrelationID: pay.OrderID}}, nil
	})
}
