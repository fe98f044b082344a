package registrationsapp

import (
	"context"
	"testing"
	"time"

	"conference/shared/registrations"
)

func TestPaidOrderIsConfirmedOncePaidAndItsSeatsAreSold(t *testing.T) {
	h := newHub(t)
	order := h.place(2, h.paid)
	h.settle()

	h.wantStatus(order, registrations.OrderStatusReserved)
	h.wantSeats(2, 0)
	initiated := h.payments.Initiated()
	if len(initiated) != 1 || initiated[0].Amount != eur(2*paidPrice) {
		t.Fatalf("payments initiated: got %+v, want one of %s", initiated, eur(2*paidPrice))
	}

	h.pay(order)
	h.settle()

	h.wantStatus(order, registrations.OrderStatusConfirmed)
	h.wantSeats(0, 2)
	if r := h.payments.Refunded(); len(r) != 0 {
		t.Fatalf("got refunds %+v, want none", r)
	}
}

func TestFreeOrderIsConfirmedWithoutPayment(t *testing.T) {
	h := newHub(t)
	order := h.place(3, h.free)
	h.settle()

	h.wantStatus(order, registrations.OrderStatusConfirmed)
	if got := h.availability().SoldCount(h.free); got != 3 {
		t.Fatalf("free seats sold: got %d, want 3", got)
	}
	if p := h.payments.Initiated(); len(p) != 0 {
		t.Fatalf("got payments %+v for a free order, want none", p)
	}
}

func TestOrderForMoreThanIsLeftReservesWhatIsLeftAndChargesForIt(t *testing.T) {
	h := newHub(t)
	order := h.place(paidQuota+2, h.paid)
	h.settle()

	o := h.order(order)
	if o.Status != registrations.OrderStatusReserved || !o.Partial || o.Reserved.Get(h.paid) != paidQuota {
		t.Fatalf("got %s with %d reserved (partial %v), want reserved with %d, partial", o.Status, o.Reserved.Get(h.paid), o.Partial, paidQuota)
	}
	if p := h.payments.Initiated(); len(p) != 1 || p[0].Amount != eur(paidQuota*paidPrice) {
		t.Fatalf("payments initiated: got %+v, want one of %s", p, eur(paidQuota*paidPrice))
	}
	h.pay(order)
	h.settle()
	h.wantStatus(order, registrations.OrderStatusConfirmed)
	h.wantSeats(0, paidQuota)
}

func TestOrderForSoldOutSeatsIsRejected(t *testing.T) {
	h := newHub(t)
	first := h.place(paidQuota, h.paid)
	h.settle()
	second := h.place(1, h.paid)
	h.settle()

	h.wantStatus(first, registrations.OrderStatusReserved)
	h.wantStatus(second, registrations.OrderStatusRejected)
}

func TestUnpaidOrderExpiresAndReleasesItsSeats(t *testing.T) {
	h := newHub(t)
	order := h.place(2, h.paid)
	h.settle()
	h.clock.Advance(registrations.DefaultReservationWindow - time.Second)
	h.settle()
	h.wantStatus(order, registrations.OrderStatusReserved)

	h.clock.Advance(time.Second)
	h.settle()

	h.wantStatus(order, registrations.OrderStatusExpired)
	h.wantSeats(0, 0)
}

func TestPaymentAfterExpiryWithSeatsStillFreeConfirmsTheOrder(t *testing.T) {
	h := newHub(t)
	order := h.place(2, h.paid)
	h.settle()
	h.clock.Advance(registrations.DefaultReservationWindow)
	h.settle()
	h.wantStatus(order, registrations.OrderStatusExpired)

	h.pay(order)
	h.settle()

	h.wantStatus(order, registrations.OrderStatusConfirmed)
	h.wantSeats(0, 2)
	if r := h.payments.Refunded(); len(r) != 0 {
		t.Fatalf("got refunds %+v, want none", r)
	}
}

func TestPaymentAfterExpiryWithSeatsTakenIsRefundedAndTheRegistrantTold(t *testing.T) {
	h := newHub(t)
	late := h.place(paidQuota, h.paid)
	h.settle()
	h.clock.Advance(registrations.DefaultReservationWindow)
	h.settle()
	other := h.place(paidQuota, h.paid)
	h.settle()

	paymentID := h.pay(late)
	h.settle()

	h.wantStatus(late, registrations.OrderStatusExpired)
	h.wantStatus(other, registrations.OrderStatusReserved)
	h.wantSeats(paidQuota, 0)
	refunds := h.payments.Refunded()
	if len(refunds) != 1 || refunds[0].PaymentID != paymentID || refunds[0].Amount != eur(paidQuota*paidPrice) {
		t.Fatalf("refunds: got %+v, want the whole payment %s back", refunds, paymentID)
	}
	if n := h.notifier.Sent(); len(n) != 1 || n[0].OrderID != late {
		t.Fatalf("notifications: got %+v, want one for the late order", n)
	}
}

func TestCancelledConfirmedOrderPutsSeatsBackAndRefunds(t *testing.T) {
	h := newHub(t)
	order := h.place(2, h.paid)
	h.settle()
	h.pay(order)
	h.settle()

	h.must(h.app.Registrations.CancelOrder(context.Background(), order, "changed plans"))
	h.settle()

	h.wantStatus(order, registrations.OrderStatusCancelled)
	h.wantSeats(0, 0)
	if r := h.payments.Refunded(); len(r) != 1 || r[0].OrderID != order {
		t.Fatalf("refunds: got %+v, want one for the cancelled order", r)
	}
}

func TestRegistrantIsRecordedOnTheOrder(t *testing.T) {
	h := newHub(t)
	order := h.place(1, h.paid)
	h.must(h.app.Registrations.SetRegistrant(context.Background(), order, "Ada Lovelace", "ada@example.org"))
	if o := h.order(order); o.Name != "Ada Lovelace" || o.Email != "ada@example.org" || o.AccessCode == "" {
		t.Fatalf("got %q <%q> code %q, want Ada's details and an access code", o.Name, o.Email, o.AccessCode)
	}
}

func TestReservedSeatsWaitForTheRegistrantThenPaymentStarts(t *testing.T) {
	h := newHub(t)
	order := h.placeUnnamed(2, h.paid)
	h.settle()

	h.wantStatus(order, registrations.OrderStatusReserved)
	h.wantSeats(2, 0)
	if p := h.payments.Initiated(); len(p) != 0 {
		t.Fatalf("payments initiated before the registrant gave their details: %+v", p)
	}

	h.name(order)
	h.settle()

	if p := h.payments.Initiated(); len(p) != 1 || p[0].OrderID != order || p[0].Amount != eur(2*paidPrice) {
		t.Fatalf("payments initiated: got %+v, want one of %s", p, eur(2*paidPrice))
	}
	h.pay(order)
	h.settle()
	h.wantStatus(order, registrations.OrderStatusConfirmed)
	h.wantSeats(0, 2)
}

func TestAFreeOrderIsConfirmedOnlyOnceTheRegistrantIsKnown(t *testing.T) {
	h := newHub(t)
	order := h.placeUnnamed(2, h.free)
	h.settle()
	h.wantStatus(order, registrations.OrderStatusReserved)

	h.name(order)
	h.settle()
	h.wantStatus(order, registrations.OrderStatusConfirmed)
	if o := h.order(order); o.Name == "" || o.Email == "" {
		t.Fatalf("confirmed order without a registrant: %+v", o)
	}
}

func TestAnUnnamedOrderExpiresAndReleasesItsSeats(t *testing.T) {
	h := newHub(t)
	order := h.placeUnnamed(2, h.paid)
	h.settle()
	h.clock.Advance(registrations.DefaultReservationWindow)
	h.settle()

	h.wantStatus(order, registrations.OrderStatusExpired)
	h.wantSeats(0, 0)
	if o := h.order(order); o.Reserved.Total() != 0 || o.Partial {
		t.Fatalf("expired order lists %v as reserved (partial %v)", o.Reserved, o.Partial)
	}
}

func TestARejectedOrderCostsNothingAndSaysWhy(t *testing.T) {
	h := newHub(t)
	h.place(paidQuota, h.paid)
	h.settle()
	rejected := h.place(1, h.paid)
	h.settle()

	o := h.order(rejected)
	if o.Status != registrations.OrderStatusRejected || !o.Quote.Total.IsZero() || o.Reason == "" {
		t.Fatalf("rejected order: status %s, total %s, reason %q; want rejected, 0 and a reason", o.Status, o.Quote.Total, o.Reason)
	}
}
