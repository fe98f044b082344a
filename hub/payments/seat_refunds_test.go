package payments_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"conference/hub/payments"
	registrationsapp "conference/hub/registrations"
)

func TestSeatRefundIsRecordedOnceAsARefundedAttempt(t *testing.T) {
	f := open(t)
	ctx := context.Background()
	order := uuid.New()
	paid := f.initiate(t, order, 10000)
	if _, err := f.p.Accept(ctx, paid.ID); err != nil {
		t.Fatal(err)
	}
	cmd := registrationsapp.RefundSeats{RefundID: uuid.New(), ConferenceID: uuid.New(), OrderID: order, Conflict: 1,
		SeatType: uuid.New(), Quantity: 1, Amount: eur(2500), Reason: "seat quota conflict 1"}
	for range 2 { // redelivered: one refund
		if err := f.p.RefundSeats(ctx, cmd); err != nil {
			t.Fatal(err)
		}
	}
	list, err := f.p.ForOrder(ctx, order)
	if err != nil || len(list) != 2 {
		t.Fatalf("payments: %+v, %v", list, err)
	}
	if r := list[1]; r.ID != cmd.RefundID || r.Status != payments.StatusRefunded || r.Amount != eur(2500) || r.Attempt != 2 || r.RefundReason != cmd.Reason {
		t.Fatalf("refund: %+v", r)
	}
	if list[0].Status != payments.StatusAccepted {
		t.Fatalf("the online payment changed: %+v", list[0])
	}
	bad := cmd
	bad.RefundID, bad.Amount.Currency = uuid.New(), "E"
	if err := f.p.RefundSeats(ctx, bad); !errors.Is(err, payments.ErrInvalid) {
		t.Fatalf("bad refund: %v", err)
	}
}
