package registrationsapp

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"

	"conference/shared/registrations"
)

func (h *hub) join(quantity int, email string) uuid.UUID {
	h.t.Helper()
	id, err := h.app.Registrations.JoinWaitlist(context.Background(), h.conference, h.paid, quantity, "Waiting "+email, email)
	h.must(err)
	return id
}

func (h *hub) entry(id uuid.UUID) registrations.WaitlistEntry {
	h.t.Helper()
	w, err := h.app.Registrations.Waitlist(context.Background(), h.conference)
	h.must(err)
	e, ok := w.Entry(id)
	if !ok {
		h.t.Fatalf("entry %s not on the waitlist", id)
	}
	return e
}

// wantOffer checks an entry's status and the seats held for it.
func (h *hub) wantOffer(id uuid.UUID, status registrations.WaitlistStatus, held int) {
	h.t.Helper()
	e := h.entry(id)
	got, _ := h.availability().Reservation(id)
	if e.Status != status || got.Get(h.paid) != held {
		h.t.Fatalf("entry %s: got %s holding %d, want %s holding %d", e.Email, e.Status, got.Get(h.paid), status, held)
	}
}

// soldOut leaves the paid seat type with no seat free: a confirmed order
// for all the seats left but n, and a reserved, unpaid order for the last n, which
// it returns.
func (h *hub) soldOut(n int) uuid.UUID {
	h.t.Helper()
	sold := h.place(h.availability().Remaining(h.paid)-n, h.paid)
	h.settle()
	h.pay(sold)
	if n == 0 {
		h.settle()
		return uuid.Nil
	}
	held := h.place(n, h.paid)
	h.settle()
	h.wantStatus(held, registrations.OrderStatusReserved)
	if r := h.availability().Remaining(h.paid); r != 0 {
		h.t.Fatalf("got %d seats remaining, want sold out", r)
	}
	return held
}

func TestSeatsComingBackAreOfferedToTheWaitlistAndHeld(t *testing.T) {
	h := newHub(t)
	held := h.soldOut(2)
	ann := h.join(2, "ann@example.com")
	h.settle()
	h.wantOffer(ann, registrations.WaitlistWaiting, 0)

	h.clock.Advance(16 * time.Minute) // the unpaid order expires
	h.settle()

	h.wantStatus(held, registrations.OrderStatusExpired)
	h.wantOffer(ann, registrations.WaitlistOffered, 2)
	if r := h.availability().Remaining(h.paid); r != 0 {
		t.Fatalf("got %d seats remaining, want the 2 returned seats held for ann", r)
	}
	if e := h.entry(ann); !e.OfferExpiresAt.Equal(h.clock.Now().Add(DefaultWaitlistOfferWindow)) {
		t.Fatalf("got offer expiring %v, want %v after now", e.OfferExpiresAt, DefaultWaitlistOfferWindow)
	}
}

func TestAcceptedOfferBecomesAnOrderForTheHeldSeats(t *testing.T) {
	ctx := context.Background()
	h := newHub(t)
	held := h.soldOut(2)
	ann := h.join(2, "ann@example.com")
	h.must(h.app.Registrations.CancelOrder(ctx, held, "cannot come"))
	h.settle()
	h.wantOffer(ann, registrations.WaitlistOffered, 2)

	placed, err := h.app.Registrations.AcceptWaitlistOffer(ctx, h.conference, ann)
	h.must(err)
	again, err := h.app.Registrations.AcceptWaitlistOffer(ctx, h.conference, ann)
	h.must(err)
	if placed.OrderID != ann || again != placed {
		t.Fatalf("got orders %+v and %+v, want one order with the entry's id", placed, again)
	}
	h.settle()

	o := h.order(ann)
	if o.Status != registrations.OrderStatusReserved || o.Reserved.Get(h.paid) != 2 || o.Email != "ann@example.com" {
		t.Fatalf("got %+v, want ann's order holding her 2 seats", o)
	}
	h.wantSeats(2, paidQuota-2)
	h.pay(ann)
	h.settle()
	h.wantStatus(ann, registrations.OrderStatusConfirmed)
	h.wantSeats(0, paidQuota)
	if e := h.entry(ann); e.Status != registrations.WaitlistAccepted {
		t.Fatalf("got %s, want accepted", e.Status)
	}
}

func TestOfferNotTakenPassesToTheNextInLine(t *testing.T) {
	ctx := context.Background()
	h := newHub(t)
	held := h.soldOut(2)
	ann, bob := h.join(2, "ann@example.com"), h.join(2, "bob@example.com")
	h.must(h.app.Registrations.CancelOrder(ctx, held, "cannot come"))
	h.settle()
	h.wantOffer(ann, registrations.WaitlistOffered, 2)
	h.wantOffer(bob, registrations.WaitlistWaiting, 0)

	h.clock.Advance(DefaultWaitlistOfferWindow + time.Minute)
	h.settle()

	h.wantOffer(ann, registrations.WaitlistLapsed, 0)
	h.wantOffer(bob, registrations.WaitlistOffered, 2)
	if r := h.availability().Remaining(h.paid); r != 0 {
		t.Fatalf("got %d seats remaining, want the seats held for bob", r)
	}
	if _, err := h.app.Registrations.AcceptWaitlistOffer(ctx, h.conference, ann); !errors.Is(err, registrations.ErrNoOpenOffer) {
		t.Fatalf("got %v, want ann's lapsed offer refused", err)
	}

	// Nobody left: bob's seats go back on sale when his offer lapses.
	h.clock.Advance(DefaultWaitlistOfferWindow + time.Minute)
	h.settle()
	h.wantOffer(bob, registrations.WaitlistLapsed, 0)
	if r := h.availability().Remaining(h.paid); r != 2 {
		t.Fatalf("got %d seats remaining, want 2 back on sale", r)
	}
}

func TestLeavingWithAnOfferPassesItOn(t *testing.T) {
	ctx := context.Background()
	h := newHub(t)
	held := h.soldOut(2)
	ann, bob := h.join(2, "ann@example.com"), h.join(1, "bob@example.com")
	h.must(h.app.Registrations.CancelOrder(ctx, held, "cannot come"))
	h.settle()
	h.wantOffer(ann, registrations.WaitlistOffered, 2)

	h.must(h.app.Registrations.LeaveWaitlist(ctx, h.conference, ann))
	h.settle()

	h.wantOffer(ann, registrations.WaitlistGone, 0)
	h.wantOffer(bob, registrations.WaitlistOffered, 1)
	if r := h.availability().Remaining(h.paid); r != 1 {
		t.Fatalf("got %d seats remaining, want the seat bob does not need back on sale", r)
	}
}

func TestRaisedQuotaGoesToTheWaitlistFirst(t *testing.T) {
	ctx := context.Background()
	h := newHub(t)
	h.soldOut(0)
	ann := h.join(3, "ann@example.com")
	h.settle()
	h.must(h.app.Registrations.SetSeatQuota(ctx, h.conference, h.paid, paidQuota+5))
	h.settle()
	h.wantOffer(ann, registrations.WaitlistOffered, 3)
	if r := h.availability().Remaining(h.paid); r != 2 {
		t.Fatalf("got %d remaining, want 2 after ann's 3", r)
	}
}

func TestWaitlistRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	h := newHub(t)
	r := h.app.Registrations
	if _, err := r.JoinWaitlist(ctx, h.conference, uuid.New(), 1, "Ann", "ann@example.com"); !errors.Is(err, registrations.ErrUnknownSeatType) {
		t.Fatalf("unknown seat type: got %v", err)
	}
	if _, err := r.JoinWaitlist(ctx, uuid.New(), h.paid, 1, "Ann", "ann@example.com"); registrations.ErrorCode(err) != registrations.CodeNotFound {
		t.Fatalf("unknown conference: got %v", err)
	}
	for _, q := range []int{0, -1, 1 << 20} {
		if _, err := r.JoinWaitlist(ctx, h.conference, h.paid, q, "Ann", "ann@example.com"); registrations.ErrorCode(err) != registrations.CodeInvalid {
			t.Fatalf("quantity %d: got %v, want invalid", q, err)
		}
	}
	if _, err := r.JoinWaitlist(ctx, h.conference, h.paid, 1, "Ann", "not-an-email"); registrations.ErrorCode(err) != registrations.CodeInvalid {
		t.Fatalf("bad email: got %v, want invalid", err)
	}
	// The line is for seats none are left of: while some are, they are
	// ordered instead (bad input is still reported first).
	if _, err := r.JoinWaitlist(ctx, h.conference, h.paid, 1, "Ann", "ann@example.com"); !errors.Is(err, registrations.ErrSeatsOnSale) {
		t.Fatalf("seats on sale: got %v, want ErrSeatsOnSale", err)
	}
	if w, err := r.Waitlist(ctx, h.conference); err != nil || w.Version() != 0 {
		t.Fatalf("a refused join recorded something: version %d, %v", w.Version(), err)
	}
	h.soldOut(0)
	h.join(1, "ann@example.com")
	if _, err := r.JoinWaitlist(ctx, h.conference, h.paid, 1, "Ann", "ANN@example.com"); !errors.Is(err, registrations.ErrAlreadyWaiting) {
		t.Fatalf("twice: got %v, want ErrAlreadyWaiting", err)
	}
	if err := r.LeaveWaitlist(ctx, h.conference, uuid.New()); !errors.Is(err, registrations.ErrWaitlistEntryNotFound) {
		t.Fatalf("leave unknown: got %v", err)
	}
	if _, err := r.AcceptWaitlistOffer(ctx, h.conference, uuid.New()); !errors.Is(err, registrations.ErrWaitlistEntryNotFound) {
		t.Fatalf("accept unknown: got %v", err)
	}
}

func TestSeatsAKioskReturnsGoToTheWaitlist(t *testing.T) {
	ctx := context.Background()
	h := newHub(t)
	kiosk := func(do func(*registrations.SeatsAvailability) error) {
		h.must(h.app.availability.Update(ctx, registrations.AvailabilityStreamID(h.conference), eventsourcing.Metadata{}, do))
	}
	kiosk(func(a *registrations.SeatsAvailability) error { return a.GrantAllocation("kiosk-1", h.paid, 3) })
	h.soldOut(0)
	ann := h.join(2, "ann@example.com")
	h.settle()
	h.wantOffer(ann, registrations.WaitlistWaiting, 0)

	kiosk(func(a *registrations.SeatsAvailability) error { return a.ReturnAllocation("kiosk-1", h.paid, 3) })
	h.settle()

	h.wantOffer(ann, registrations.WaitlistOffered, 2)
	if r := h.availability().Remaining(h.paid); r != 1 {
		t.Fatalf("got %d remaining, want 1 after ann's 2", r)
	}
}

// offeredToAnn sells the paid seats out, puts Ann in line for two and
// cancels the unpaid order holding the last two: they are offered to Ann.
func (h *hub) offeredToAnn() uuid.UUID {
	h.t.Helper()
	held := h.soldOut(2)
	ann := h.join(2, "ann@example.com")
	h.must(h.app.Registrations.CancelOrder(context.Background(), held, "cannot come"))
	h.settle()
	h.wantOffer(ann, registrations.WaitlistOffered, 2)
	return ann
}

func TestTheOfferLinkShowsWhereTheOfferStands(t *testing.T) {
	ctx := context.Background()
	h := newHub(t)
	r := h.app.Registrations
	held := h.soldOut(2)
	ann, bob := h.join(2, "ann@example.com"), h.join(2, "bob@example.com")
	if _, err := r.WaitlistOffer(ctx, h.conference, ann); !errors.Is(err, registrations.ErrWaitlistEntryNotFound) {
		t.Fatalf("nothing offered yet: got %v, want not found", err)
	}
	h.must(r.CancelOrder(ctx, held, "cannot come"))
	h.settle()

	o, err := r.WaitlistOffer(ctx, h.conference, ann)
	h.must(err)
	if o.State != registrations.OfferOpen || o.OfferedSeats != 2 || o.Name != "Waiting ann@example.com" ||
		!o.OfferExpiresAt.Equal(h.clock.Now().Add(r.WaitlistOfferWindow())) {
		t.Fatalf("got %+v, want an open offer of 2 seats for a window", o)
	}
	// At the deadline the offer has passed, before the policy records it.
	h.clock.Advance(r.WaitlistOfferWindow())
	if o, err := r.WaitlistOffer(ctx, h.conference, ann); err != nil || o.State != registrations.OfferPassed {
		t.Fatalf("at the deadline: got %+v, %v, want passed", o, err)
	}
	if _, err := r.AcceptWaitlistOffer(ctx, h.conference, ann); !errors.Is(err, registrations.ErrOfferExpired) {
		t.Fatalf("take at the deadline: got %v, want ErrOfferExpired", err)
	}
	h.settle()
	if o, err := r.WaitlistOffer(ctx, h.conference, bob); err != nil || o.State != registrations.OfferOpen {
		t.Fatalf("bob: got %+v, %v, want the offer passed on to him", o, err)
	}
	_, err = r.AcceptWaitlistOffer(ctx, h.conference, bob)
	h.must(err)
	if o, err := r.WaitlistOffer(ctx, h.conference, bob); err != nil || o.State != registrations.OfferTaken {
		t.Fatalf("bob took it: got %+v, %v", o, err)
	}
	if _, err := r.WaitlistOffer(ctx, uuid.New(), bob); !errors.Is(err, registrations.ErrWaitlistEntryNotFound) {
		t.Fatalf("another conference: got %v, want not found", err)
	}
}

func TestTakingAnOfferAgainAfterItsOrderIsPaidGivesTheSameOrder(t *testing.T) {
	ctx := context.Background()
	h := newHub(t)
	ann := h.offeredToAnn()
	placed, err := h.app.Registrations.AcceptWaitlistOffer(ctx, h.conference, ann)
	h.must(err)
	h.settle()
	h.pay(ann)
	h.settle()
	h.wantStatus(ann, registrations.OrderStatusConfirmed)

	// The seat type is sold out again, the seats Ann's: the link still
	// leads to her order.
	again, err := h.app.Registrations.AcceptWaitlistOffer(ctx, h.conference, ann)
	h.must(err)
	if again != placed {
		t.Fatalf("got %+v, want the order taken before, %+v", again, placed)
	}
}

func TestATakeCutShortIsCompletedByTakingAgain(t *testing.T) {
	ctx := context.Background()
	h := newHub(t)
	ann := h.offeredToAnn()
	// A take that stopped after placing the order, before naming Ann.
	h.must(h.app.waitlists.Update(ctx, registrations.WaitlistStreamID(h.conference), eventsourcing.Metadata{},
		func(w *registrations.Waitlist) error { return w.AcceptOffer(ann, h.clock.Now()) }))
	cut := PlacedOrder{OrderID: ann, AccessCode: "CUTSHORT"}
	h.must(h.app.Registrations.placeOrder(ctx, h.conference, cut, seats(h.paid, 2), "", h.clock.Now()))

	placed, err := h.app.Registrations.AcceptWaitlistOffer(ctx, h.conference, ann)
	h.must(err)
	if placed != cut {
		t.Fatalf("got %+v, want the order placed before, %+v", placed, cut)
	}
	if o := h.order(ann); o.Name != "Waiting ann@example.com" || o.Email != "ann@example.com" {
		t.Fatalf("got registrant %q <%s>, want Ann's entry", o.Name, o.Email)
	}
}

func TestTakesAtTheSameMomentMakeOneOrder(t *testing.T) {
	ctx := context.Background()
	h := newHub(t)
	ann := h.offeredToAnn()
	const n = 6
	got := make([]PlacedOrder, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = h.app.Registrations.AcceptWaitlistOffer(ctx, h.conference, ann) })
	}
	wg.Wait()
	for i := range n {
		h.must(errs[i])
		if got[i] != got[0] || got[i].OrderID != ann {
			t.Fatalf("take %d got %+v, take 0 %+v: want one order with the entry's id", i, got[i], got[0])
		}
	}
	if o := h.order(ann); o.AccessCode != got[0].AccessCode || o.Requested.Get(h.paid) != 2 {
		t.Fatalf("got order %+v, want 2 seats with the code every take answered", o)
	}
}
