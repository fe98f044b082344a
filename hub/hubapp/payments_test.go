package hubapp_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/payments"
	"conference/shared/registrations"
)

// place places an order and gives the registrant's details, which payment
// (or a free order's confirmation) waits for.
func place(t *testing.T, h *hubapp.Hub, conference, seatType uuid.UUID, n int, promo string) uuid.UUID {
	t.Helper()
	placed, err := h.Registrations.PlaceOrder(context.Background(), conference,
		registrations.Seats{{SeatType: seatType, Quantity: n}}, promo, h.Now())
	if err != nil {
		t.Fatalf("place order: %v", err)
	}
	if err := h.Registrations.SetRegistrant(context.Background(), placed.OrderID, "Ada Lovelace", "ada@example.org"); err != nil {
		t.Fatalf("registrant: %v", err)
	}
	return placed.OrderID
}

// pendingPayment waits for the payment the process asks for.
func pendingPayment(t *testing.T, h *hubapp.Hub, orderID uuid.UUID) payments.Payment {
	t.Helper()
	var pay payments.Payment
	hubtest.Eventually(t, 10*time.Second, "a pending payment", func() error {
		list, err := h.Payments.ForOrder(context.Background(), orderID)
		if err != nil {
			return err
		}
		if len(list) == 0 || list[len(list)-1].Status != payments.StatusPending {
			return fmt.Errorf("payments %+v", list)
		}
		pay = list[len(list)-1]
		return nil
	})
	return pay
}

func waitPayment(t *testing.T, h *hubapp.Hub, id uuid.UUID, status payments.Status) payments.Payment {
	t.Helper()
	var pay payments.Payment
	hubtest.Eventually(t, 10*time.Second, "payment "+string(status), func() error {
		var err error
		if pay, err = h.Payments.Get(context.Background(), id); err != nil {
			return err
		}
		if pay.Status != status {
			return fmt.Errorf("payment is %s", pay.Status)
		}
		return nil
	})
	return pay
}

func TestAcceptedPaymentConfirmsTheOrder(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	order := place(t, h, f.ConferenceID, f.Paid, 2, "")
	pay := pendingPayment(t, h, order)
	if pay.Amount != registrations.NewMoney(2*hubtest.PaidPrice, "EUR") || pay.ConferenceID != f.ConferenceID {
		t.Fatalf("got %+v, want 2 passes' price for the conference", pay)
	}
	hubtest.WaitForOrder(t, h, order, registrations.OrderStatusReserved)
	if _, err := h.Payments.Accept(ctx, pay.ID); err != nil {
		t.Fatalf("accept: %v", err)
	}
	hubtest.WaitForOrder(t, h, order, registrations.OrderStatusConfirmed)
	hubtest.WaitForSeats(t, h, f.ConferenceID, f.Paid, 2, 0)
}

func TestRejectedPaymentKeepsTheSeatsAndTheRegistrantMayTryAgain(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	order := place(t, h, f.ConferenceID, f.Workshop, 1, "")
	pay := pendingPayment(t, h, order)
	if _, err := h.Payments.Reject(ctx, pay.ID); err != nil {
		t.Fatalf("reject: %v", err)
	}
	o, err := h.Registrations.GetOrder(ctx, order)
	if err != nil || o.Status != registrations.OrderStatusReserved || !o.PaymentPending {
		t.Fatalf("got %+v, %v, want still reserved awaiting payment", o, err)
	}
	retry, err := h.Payments.Start(ctx, order)
	if err != nil || retry.Attempt != 2 {
		t.Fatalf("got %+v, %v, want a second attempt", retry, err)
	}
	if _, err := h.Payments.Accept(ctx, retry.ID); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitForOrder(t, h, order, registrations.OrderStatusConfirmed)
}

func TestFreeOrderIsConfirmedWithoutPayment(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	order := place(t, h, f.ConferenceID, f.Free, 3, "")
	hubtest.WaitForOrder(t, h, order, registrations.OrderStatusConfirmed)
	if list, err := h.Payments.ForOrder(ctx, order); err != nil || len(list) != 0 {
		t.Fatalf("got payments %+v, %v, want none", list, err)
	}
}

func TestPaymentAcceptedAfterExpiryWhenTheSeatsAreGoneIsRefunded(t *testing.T) {
	ctx := context.Background()
	clock := hubtest.NewClock()
	h := hubtest.OpenConfig(t, hubapp.Config{Now: clock.Now})
	f := hubtest.PublishedConference(t, h)
	late := place(t, h, f.ConferenceID, f.Workshop, hubtest.WorkshopQuota, "")
	pay := pendingPayment(t, h, late)
	clock.Advance(16 * time.Minute)
	hubtest.WaitForOrder(t, h, late, registrations.OrderStatusExpired)
	hubtest.WaitForSeats(t, h, f.ConferenceID, f.Workshop, 0, 0) // released a moment after the expiry
	other := place(t, h, f.ConferenceID, f.Workshop, hubtest.WorkshopQuota, "")
	hubtest.WaitForOrder(t, h, other, registrations.OrderStatusReserved)

	if _, err := h.Payments.Accept(ctx, pay.ID); err != nil {
		t.Fatal(err)
	}
	refunded := waitPayment(t, h, pay.ID, payments.StatusRefunded)
	if refunded.RefundReason == "" {
		t.Fatal("got a refund without a reason, want one")
	}
	o, _ := h.Registrations.GetOrder(ctx, late)
	if o.Status != registrations.OrderStatusExpired {
		t.Fatalf("got %s, want the late order still expired", o.Status)
	}
	a, _ := h.Registrations.Availability(ctx, f.ConferenceID)
	if a.ReservedCount(f.Workshop) != hubtest.WorkshopQuota || a.SoldCount(f.Workshop) != 0 {
		t.Fatalf("got %d reserved, %d sold, want the other order's reservation untouched",
			a.ReservedCount(f.Workshop), a.SoldCount(f.Workshop))
	}
}

func TestPaymentAcceptedAfterExpiryWithSeatsStillFreeConfirms(t *testing.T) {
	ctx := context.Background()
	clock := hubtest.NewClock()
	h := hubtest.OpenConfig(t, hubapp.Config{Now: clock.Now})
	f := hubtest.PublishedConference(t, h)
	late := place(t, h, f.ConferenceID, f.Paid, 1, "")
	pay := pendingPayment(t, h, late)
	clock.Advance(16 * time.Minute)
	hubtest.WaitForOrder(t, h, late, registrations.OrderStatusExpired)
	if _, err := h.Payments.Accept(ctx, pay.ID); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitForOrder(t, h, late, registrations.OrderStatusConfirmed)
	if got, _ := h.Payments.Get(ctx, pay.ID); got.Status != payments.StatusAccepted {
		t.Fatalf("got %s, want the payment kept", got.Status)
	}
}
