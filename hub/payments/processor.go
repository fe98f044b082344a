package payments

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	registrationsapp "conference/hub/registrations"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/registrations"
	"conference/shared/sqldb"
)

// Processor is the fake payment processor on the hub's SQLite file (opened
// with the migrations.Payments component).
type Processor struct {
	store sqldb.Store
	db    *sqldb.DB
	now   func() time.Time
}

var _ registrationsapp.Payments = (*Processor)(nil)

// New returns a processor storing payments in store's database; now nil is
// the wall clock.
func New(store sqldb.Store, now func() time.Time) *Processor {
	if now == nil {
		now = time.Now
	}
	return &Processor{store: store, db: store.DB(), now: now}
}

const columns = `id, order_id, conference_id, attempt, amount, currency, status, refund_reason, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scan(r scanner) (Payment, error) {
	var (
		p                Payment
		id, order, conf  []byte
		created, updated int64
	)
	if err := r.Scan(&id, &order, &conf, &p.Attempt, &p.Amount.Amount, &p.Amount.Currency, &p.Status, &p.RefundReason, &created, &updated); err != nil {
		return Payment{}, err
	}
	copy(p.ID[:], id)
	copy(p.OrderID[:], order)
	copy(p.ConferenceID[:], conf)
	p.CreatedAt, p.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return p, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func get(ctx context.Context, q querier, id uuid.UUID) (Payment, error) {
	p, err := scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM payments WHERE id = $1`, id[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, fmt.Errorf("payment %s: %w", id, ErrNotFound)
	}
	return p, err
}

// latest is the order's newest attempt; ok is false when it has none.
func latest(ctx context.Context, q querier, orderID uuid.UUID) (Payment, bool, error) {
	p, err := scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM payments WHERE order_id = $1 ORDER BY attempt DESC LIMIT 1`, orderID[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, false, nil
	}
	if err != nil {
		return Payment{}, false, err
	}
	return p, true, nil
}

// Get returns a payment.
func (p *Processor) Get(ctx context.Context, id uuid.UUID) (Payment, error) {
	pay, err := get(ctx, p.db, id)
	if err != nil {
		return Payment{}, fmt.Errorf("get payment: %w", err)
	}
	return pay, nil
}

// ForOrder returns the order's payment attempts, oldest first; none is an
// empty list.
func (p *Processor) ForOrder(ctx context.Context, orderID uuid.UUID) ([]Payment, error) {
	rows, err := p.db.QueryContext(ctx, `SELECT `+columns+` FROM payments WHERE order_id = $1 ORDER BY attempt`, orderID[:])
	if err != nil {
		return nil, fmt.Errorf("payments of order %s: %w", orderID, err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		pay, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("payments of order %s: %w", orderID, err)
		}
		out = append(out, pay)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("payments of order %s: %w", orderID, err)
	}
	return out, nil
}

// Initiate implements registrationsapp.Payments: it opens a pending
// payment for the order. It is idempotent by order: while an attempt is
// pending it only follows the amount asked for, and a paid order gets no
// second payment. After a rejection (or a refund) it opens a new attempt.
func (p *Processor) Initiate(ctx context.Context, cmd registrations.InitiatePayment) error {
	if cmd.OrderID == uuid.Nil || cmd.ConferenceID == uuid.Nil || cmd.Amount.Amount < 0 || len(cmd.Amount.Currency) != 3 {
		return fmt.Errorf("initiate payment of order %s: %w", cmd.OrderID, ErrInvalid)
	}
	return p.change(ctx, "initiate payment of order "+cmd.OrderID.String(), func(tx sqldb.Tx, now int64) ([]eventstore.Message, error) {
		last, ok, err := latest(ctx, tx, cmd.OrderID)
		if err != nil {
			return nil, err
		}
		switch {
		case ok && last.Status == StatusPending:
			if last.Amount == cmd.Amount {
				return nil, nil
			}
			_, err := tx.ExecContext(ctx, `UPDATE payments SET amount = $1, currency = $2, updated_at = $3 WHERE id = $4`,
				cmd.Amount.Amount, cmd.Amount.Currency, now, last.ID[:])
			return nil, err
		case ok && last.Status == StatusAccepted:
			return nil, nil
		}
		return nil, insert(ctx, tx, cmd.OrderID, cmd.ConferenceID, last.Attempt+1, cmd.Amount, now)
	})
}

func insert(ctx context.Context, tx sqldb.Tx, orderID, conferenceID uuid.UUID, attempt int, amount registrations.Money, now int64) error {
	id := ids.New()
	_, err := tx.ExecContext(ctx, `INSERT INTO payments (`+columns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $9)`,
		id[:], orderID[:], conferenceID[:], attempt, amount.Amount, amount.Currency, StatusPending, now, now)
	return err
}

// Start is what "pay now" does: it returns the order's payment to pay,
// opening a new attempt with the same amount when the last one was
// rejected. A paid or refunded order's last payment is returned as it is;
// an order with no payment yet is ErrNotFound.
func (p *Processor) Start(ctx context.Context, orderID uuid.UUID) (Payment, error) {
	var out Payment
	err := p.change(ctx, "start payment of order "+orderID.String(), func(tx sqldb.Tx, now int64) ([]eventstore.Message, error) {
		last, ok, err := latest(ctx, tx, orderID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("order %s: %w", orderID, ErrNotFound)
		}
		if last.Status == StatusRejected {
			if err := insert(ctx, tx, orderID, last.ConferenceID, last.Attempt+1, last.Amount, now); err != nil {
				return nil, err
			}
			if last, _, err = latest(ctx, tx, orderID); err != nil {
				return nil, err
			}
		}
		out = last
		return nil, nil
	})
	return out, err
}

// StartWithin is Start for a payment that may not be open yet: the
// registration process asks for it once the order's seats are held and
// its registrant is known, through the bus, so it normally exists within
// milliseconds of the registrant's details. It waits up to wait for it,
// then answers ErrNotFound.
func (p *Processor) StartWithin(ctx context.Context, orderID uuid.UUID, wait time.Duration) (Payment, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	pause := time.Millisecond
	for {
		pay, err := p.Start(ctx, orderID)
		if !errors.Is(err, ErrNotFound) {
			return pay, err
		}
		select {
		case <-ctx.Done():
			return pay, err
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// Accept records that the registrant paid: a pending payment becomes
// accepted and payments.PaymentAccepted is published, which the hub hands
// to the registrations process. Accepting an accepted payment again
// changes nothing.
func (p *Processor) Accept(ctx context.Context, paymentID uuid.UUID) (Payment, error) {
	return p.transition(ctx, paymentID, "accept", StatusAccepted, TypePaymentAccepted, "")
}

// Reject records that the registrant's payment failed. The order keeps its
// seats until its reservation expires; Start opens a new attempt.
// Rejecting a rejected payment again changes nothing.
func (p *Processor) Reject(ctx context.Context, paymentID uuid.UUID) (Payment, error) {
	return p.transition(ctx, paymentID, "reject", StatusRejected, TypePaymentRejected, "")
}

// Refund implements registrationsapp.Payments: the payment is given back
// in full and marked refunded with the reason. Idempotent by payment; a
// pending payment is closed the same way so it can no longer be accepted.
func (p *Processor) Refund(ctx context.Context, cmd registrations.RefundPayment) error {
	if cmd.PaymentID == uuid.Nil {
		return fmt.Errorf("refund: %w", ErrInvalid)
	}
	_, err := p.transition(ctx, cmd.PaymentID, "refund", StatusRefunded, TypePaymentRefunded, cmd.Reason)
	return err
}

// from lists the statuses a payment may move to each status from.
var from = map[Status][]Status{
	StatusAccepted: {StatusPending},
	StatusRejected: {StatusPending},
	StatusRefunded: {StatusPending, StatusAccepted},
}

func (p *Processor) transition(ctx context.Context, id uuid.UUID, action string, to Status, eventType, reason string) (Payment, error) {
	var out Payment
	err := p.change(ctx, action+" payment "+id.String(), func(tx sqldb.Tx, now int64) ([]eventstore.Message, error) {
		pay, err := get(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if pay.Status == to {
			out = pay
			return nil, nil
		}
		allowed := false
		for _, s := range from[to] {
			allowed = allowed || pay.Status == s
		}
		if !allowed {
			return nil, statusError(pay, action)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = $1, refund_reason = $2, updated_at = $3 WHERE id = $4`,
			to, reason, now, id[:]); err != nil {
			return nil, err
		}
		pay.Status, pay.RefundReason, pay.UpdatedAt = to, reason, time.UnixMilli(now).UTC()
		out = pay
		data, err := json.Marshal(pay.event(reason))
		if err != nil {
			return nil, err
		}
		return []eventstore.Message{{ID: ids.New(), Kind: eventstore.KindEvent, Type: eventType, Data: data, CorrelationID: pay.OrderID}}, nil
	})
	return out, err
}

// change runs fn in one write transaction with the outbox messages it
// returns; on any error nothing is written. The transaction is the store's
// group commit (sqlitestore.Store.Write), shared with whatever else is
// being written at the moment.
func (p *Processor) change(ctx context.Context, op string, fn func(tx sqldb.Tx, now int64) ([]eventstore.Message, error)) error {
	now := p.now().UnixMilli()
	var published bool
	err := p.store.Write(ctx, func(tx sqldb.Tx) error {
		msgs, err := fn(tx, now)
		if err != nil {
			return err
		}
		published = len(msgs) > 0
		return p.store.EnqueueTx(ctx, tx, msgs...)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if published {
		p.store.NotifyMessages()
	}
	return nil
}
