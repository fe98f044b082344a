package registrationsapp

import (
	"context"
	"errors"
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

func TestOrderForMoreThanIsLeftIsRefusedAndRecordsNothing(t *testing.T) {
	h := newHub(t)
	head, err := h.store.Head(context.Background())
	h.must(err)
	_, err = h.app.Registrations.PlaceOrder(context.Background(), h.conference, seats(h.paid, paidQuota+2), "", h.clock.Now())
	var short *registrations.SeatsUnavailableError
	if !errors.As(err, &short) || len(short.Short) != 1 || short.Short[0].Left != paidQuota {
		t.Fatalf("got %v, want refused with %d left", err, paidQuota)
	}
	if after, _ := h.store.Head(context.Background()); after != head {
		t.Fatalf("log head moved from %d to %d", head, after)
	}
}

// Two orders checked against the same seats left: whichever is reserved
// second gets what the first left, and pays for that only.
func TestOrderWhoseSeatsWentMeanwhileReservesWhatIsLeftAndChargesForIt(t *testing.T) {
	h := newHub(t)
	a := h.place(2, h.paid)
	b := h.place(paidQuota-1, h.paid)
	h.settle()

	oa, ob := h.order(a), h.order(b)
	if oa.Status != registrations.OrderStatusReserved || ob.Status != registrations.OrderStatusReserved ||
		oa.Partial == ob.Partial || oa.Reserved.Get(h.paid)+ob.Reserved.Get(h.paid) != paidQuota {
		t.Fatalf("got %s %v (partial %v) and %s %v (partial %v), want both reserved, one partially, %d seats in all",
			oa.Status, oa.Reserved, oa.Partial, ob.Status, ob.Reserved, ob.Partial, paidQuota)
	}
	partial := ob
	if oa.Partial {
		partial = oa
	}
	var charged registrations.Money
	for _, p := range h.payments.Initiated() {
		if p.OrderID == partial.OrderID {
			charged = p.Amount
		}
	}
	if want := eur(int64(partial.Reserved.Get(h.paid)) * paidPrice); charged != want {
		t.Fatalf("partial order charged %s, want %s for the seats it got", charged, want)
	}
	h.pay(partial.OrderID)
	h.settle()
	h.wantStatus(partial.OrderID, registrations.OrderStatusConfirmed)
	h.wantSeats(paidQuota-partial.Reserved.Get(h.paid), partial.Reserved.Get(h.paid))
}

func TestOrderWhoseSeatsAllWentMeanwhileIsRejected(t *testing.T) {
	h := newHub(t)
	a := h.place(paidQuota, h.paid)
	b := h.place(paidQuota, h.paid) // checked before either reserved
	h.settle()

	got := []registrations.OrderStatus{h.order(a).Status, h.order(b).Status}
	if got[0] == got[1] || (got[0] != registrations.OrderStatusRejected && got[1] != registrations.OrderStatusRejected) ||
		(got[0] != registrations.OrderStatusReserved && got[1] != registrations.OrderStatusReserved) {
		t.Fatalf("got %v, want one reserved and one rejected", got)
	}
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
	// Both ask for every seat and are placed before either is reserved,
	// so both pass the check of what is left up front; whichever is
	// reserved second finds nothing.
	a, b := h.place(paidQuota, h.paid), h.place(paidQuota, h.paid)
	h.settle()

	o := h.order(a)
	if o.Status != registrations.OrderStatusRejected {
		o = h.order(b)
	}
	if o.Status != registrations.OrderStatusRejected || !o.Quote.Total.IsZero() || o.Reason == "" {
		t.Fatalf("rejected order: status %s, total %s, reason %q; want rejected, 0 and a reason", o.Status, o.Quote.Total, o.Reason)
	}
}
