package payments_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"conference/hub/payments"
	"conference/migrations"
	"conference/shared/eventstore/backendtest"
	"conference/shared/registrations"
)

type fixture struct {
	p     *payments.Processor
	store backendtest.Store
}

func open(t *testing.T) fixture {
	t.Helper()
	store := backendtest.Open(t, backendtest.Options{Components: []migrations.Component{migrations.Payments}})
	return fixture{p: payments.New(store, nil), store: store}
}

func eur(n int64) registrations.Money { return registrations.NewMoney(n, "EUR") }

func (f fixture) initiate(t *testing.T, order uuid.UUID, amount int64) payments.Payment {
	t.Helper()
	ctx := context.Background()
	if err := f.p.Initiate(ctx, registrations.InitiatePayment{OrderID: order, ConferenceID: uuid.New(), Amount: eur(amount)}); err != nil {
		t.Fatalf("initiate: %v", err)
	}
	list, err := f.p.ForOrder(ctx, order)
	if err != nil || len(list) == 0 {
		t.Fatalf("got %v, %v, want a payment", list, err)
	}
	return list[len(list)-1]
}

// messages lists the outbox message types in order.
func (f fixture) messages(t *testing.T) []string {
	t.Helper()
	rows, err := f.store.DB().Query(`SELECT type FROM messages ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

func TestInitiateIsIdempotentByOrder(t *testing.T) {
	f := open(t)
	order := uuid.New()
	first := f.initiate(t, order, 10000)
	again := f.initiate(t, order, 10000)
	if again.ID != first.ID || first.Status != payments.StatusPending || first.Attempt != 1 {
		t.Fatalf("got %+v then %+v, want one pending first attempt", first, again)
	}
	// The process repriced (a partial reservation): the pending payment follows.
	repriced := f.initiate(t, order, 5000)
	if repriced.ID != first.ID || repriced.Amount != eur(5000) {
		t.Fatalf("got %+v, want the same payment for 50.00 EUR", repriced)
	}
	if list, _ := f.p.ForOrder(context.Background(), order); len(list) != 1 {
		t.Fatalf("got %d payments, want 1", len(list))
	}
}

func TestAcceptPublishesOnceAndAPaidOrderGetsNoSecondPayment(t *testing.T) {
	ctx := context.Background()
	f := open(t)
	order := uuid.New()
	pay := f.initiate(t, order, 10000)
	got, err := f.p.Accept(ctx, pay.ID)
	if err != nil || got.Status != payments.StatusAccepted {
		t.Fatalf("got %+v, %v, want accepted", got, err)
	}
	if _, err := f.p.Accept(ctx, pay.ID); err != nil {
		t.Fatalf("accept twice: %v", err)
	}
	if got := f.messages(t); len(got) != 1 || got[0] != payments.TypePaymentAccepted {
		t.Fatalf("got messages %v, want one PaymentAccepted", got)
	}
	if _, err := f.p.Reject(ctx, pay.ID); !errors.Is(err, payments.ErrConflict) {
		t.Fatalf("reject accepted: got %v, want ErrConflict", err)
	}
	if again := f.initiate(t, order, 10000); again.ID != pay.ID {
		t.Fatalf("got a second payment %+v for a paid order, want none", again)
	}
}

func TestRejectedPaymentCanBeTriedAgain(t *testing.T) {
	ctx := context.Background()
	f := open(t)
	order := uuid.New()
	pay := f.initiate(t, order, 10000)
	if _, err := f.p.Reject(ctx, pay.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.p.Accept(ctx, pay.ID); !errors.Is(err, payments.ErrConflict) {
		t.Fatalf("accept rejected: got %v, want ErrConflict", err)
	}
	next, err := f.p.Start(ctx, order)
	if err != nil || next.ID == pay.ID || next.Attempt != 2 || next.Status != payments.StatusPending || next.Amount != eur(10000) {
		t.Fatalf("got %+v, %v, want a pending second attempt for 100.00 EUR", next, err)
	}
	same, err := f.p.Start(ctx, order)
	if err != nil || same.ID != next.ID {
		t.Fatalf("got %+v, %v, want the pending attempt again", same, err)
	}
	if _, err := f.p.Start(ctx, uuid.New()); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("start unknown order: got %v, want ErrNotFound", err)
	}
}

func TestRefundIsRecordedOnceAndClosesThePayment(t *testing.T) {
	ctx := context.Background()
	f := open(t)
	pay := f.initiate(t, uuid.New(), 10000)
	if _, err := f.p.Accept(ctx, pay.ID); err != nil {
		t.Fatal(err)
	}
	cmd := registrations.RefundPayment{PaymentID: pay.ID, OrderID: pay.OrderID, Amount: pay.Amount, Reason: "order cancelled"}
	for range 2 {
		if err := f.p.Refund(ctx, cmd); err != nil {
			t.Fatalf("refund: %v", err)
		}
	}
	got, err := f.p.Get(ctx, pay.ID)
	if err != nil || got.Status != payments.StatusRefunded || got.RefundReason != "order cancelled" {
		t.Fatalf("got %+v, %v, want refunded with the reason", got, err)
	}
	if msgs := f.messages(t); len(msgs) != 2 || msgs[1] != payments.TypePaymentRefunded {
		t.Fatalf("got %v, want accepted then one refunded", msgs)
	}
	if err := f.p.Refund(ctx, registrations.RefundPayment{PaymentID: uuid.New()}); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("refund unknown: got %v, want ErrNotFound", err)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	ctx := context.Background()
	f := open(t)
	for _, cmd := range []registrations.InitiatePayment{
		{OrderID: uuid.Nil, ConferenceID: uuid.New(), Amount: eur(1)},
		{OrderID: uuid.New(), ConferenceID: uuid.New(), Amount: eur(-1)},
		{OrderID: uuid.New(), ConferenceID: uuid.New(), Amount: registrations.Money{Amount: 1}},
	} {
		if err := f.p.Initiate(ctx, cmd); !errors.Is(err, payments.ErrInvalid) {
			t.Fatalf("initiate %+v: got %v, want ErrInvalid", cmd, err)
		}
	}
	if _, err := f.p.Accept(ctx, uuid.New()); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("accept unknown: got %v, want ErrNotFound", err)
	}
	var n int
	f.store.DB().QueryRow(`SELECT count(*) FROM payments`).Scan(&n)
	if n != 0 {
		t.Fatalf("got %d payments, want none", n)
	}
}
