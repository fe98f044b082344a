package registrations

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

func placeOrder() PlaceOrder {
	return PlaceOrder{
		OrderID: orderA, ConferenceID: conference, Seats: seats(fullPass, 2, workshop, 1),
		Pricing: PricingInput{Prices: prices}, AccessCode: "K7QM-3XPD",
	}
}

// placed is the OrderPlaced that placeOrder() records at t0.
func placed() OrderPlaced {
	q, _ := Price(seats(fullPass, 2, workshop, 1), PricingInput{Prices: prices}, t0)
	return OrderPlaced{
		OrderID: orderA, ConferenceID: conference, Seats: seats(fullPass, 2, workshop, 1),
		Quote: q, AccessCode: "K7QM-3XPD", ReservationWindow: DefaultReservationWindow,
		ReservationExpiresAt: t0.Add(DefaultReservationWindow), PlacedAt: t0,
	}
}

func givenOrder(events ...eventsourcing.Event) *Order {
	o := NewOrder()
	eventsourcing.Replay(o, OrderStreamID(orderA), 0, events...)
	return o
}

// named is the registrant giving their details.
func named() OrderRegistrantAssigned {
	return OrderRegistrantAssigned{OrderID: orderA, Name: "Ann", Email: "ann@example.org"}
}

func reservedAll() OrderReservationCompleted {
	p := placed()
	return OrderReservationCompleted{OrderID: orderA, Seats: p.Seats, Quote: p.Quote, ReservationExpiresAt: p.ReservationExpiresAt}
}

func TestPlaceOrderPricesItAtOnceAndHoldsSeatsForTheWindow(t *testing.T) {
	o := NewOrder()
	must(t, o.Place(placeOrder(), t0))
	thenEvents(t, o, placed())
	if o.ID() != "order-"+orderA.String() {
		t.Errorf("stream id = %q", o.ID())
	}
	if o.Total() != eur(24000) || o.IsFree() || o.Status() != OrderStatusPending {
		t.Errorf("total %s, free %v, status %q", o.Total(), o.IsFree(), o.Status())
	}
}

func TestPlaceOrderUsesTheConfiguredReservationWindow(t *testing.T) {
	cmd := placeOrder()
	cmd.ReservationWindow = 5 * time.Minute
	o := NewOrder()
	must(t, o.Place(cmd, t0))
	if got := o.ReservationExpiresAt(); !got.Equal(t0.Add(5 * time.Minute)) {
		t.Fatalf("expires at %s, want t0+5m", got)
	}
}

func TestPlaceOrderRefusesBadRequests(t *testing.T) {
	tests := []struct {
		name   string
		change func(*PlaceOrder)
	}{
		{"no seats", func(c *PlaceOrder) { c.Seats = nil }},
		{"zero seats", func(c *PlaceOrder) { c.Seats = seats(fullPass, 0) }},
		{"negative seats", func(c *PlaceOrder) { c.Seats = Seats{{SeatType: fullPass, Quantity: -1}} }},
		{"too many seats", func(c *PlaceOrder) { c.Seats = seats(fullPass, MaxSeatsPerLine+1) }},
		{"no order id", func(c *PlaceOrder) { c.OrderID = uuid.Nil }},
		{"no access code", func(c *PlaceOrder) { c.AccessCode = " " }},
		{"negative window", func(c *PlaceOrder) { c.ReservationWindow = -time.Minute }},
		{"unpriced seat type", func(c *PlaceOrder) { c.Seats = seats(uuid.New(), 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := placeOrder()
			tt.change(&cmd)
			o := NewOrder()
			thenInvalid(t, o, o.Place(cmd, t0))
		})
	}
}

func TestPlacingAnOrderTwiceIsAConflict(t *testing.T) {
	o := givenOrder(placed())
	thenError(t, o, o.Place(placeOrder(), t0), ErrOrderAlreadyPlaced)
}

func TestFullReservationCompletesTheOrder(t *testing.T) {
	o := givenOrder(placed())
	must(t, o.MarkSeatsReserved(seats(fullPass, 2, workshop, 1), t0.Add(DefaultReservationWindow)))
	thenEvents(t, o, reservedAll())
	if o.IsPartiallyReserved() {
		t.Error("fully reserved order reported as partial")
	}
}

func TestPartialReservationShowsRequestedAgainstReservedAndReprices(t *testing.T) {
	o := givenOrder(placed())
	expires := t0.Add(DefaultReservationWindow)
	must(t, o.MarkSeatsReserved(seats(fullPass, 1), expires))
	want, _ := Price(seats(fullPass, 1), PricingInput{Prices: prices}, t0)
	thenEvents(t, o, OrderPartiallyReserved{
		OrderID: orderA, Requested: seats(fullPass, 2, workshop, 1), Seats: seats(fullPass, 1),
		Quote: want, ReservationExpiresAt: expires,
	})
	if !o.IsPartiallyReserved() || o.Requested().Total() != 3 || o.Reserved().Total() != 1 {
		t.Errorf("requested %v reserved %v partial %v", o.Requested(), o.Reserved(), o.IsPartiallyReserved())
	}
	if o.Total() != eur(10000) {
		t.Errorf("total = %s, want 100.00 for the one reserved seat", o.Total())
	}
}

func TestReservingMoreThanRequestedIsInvalid(t *testing.T) {
	o := givenOrder(placed())
	thenInvalid(t, o, o.MarkSeatsReserved(seats(fullPass, 3), t0))
}

func TestAnOrderOfFreeSeatsIsFree(t *testing.T) {
	cmd := placeOrder()
	cmd.Seats = seats(reception, 2)
	o := NewOrder()
	must(t, o.Place(cmd, t0))
	if !o.IsFree() {
		t.Fatalf("order of receptions costs %s", o.Total())
	}
}

func TestSetRegistrantValidatesNameAndEmail(t *testing.T) {
	tests := []struct {
		name, person, email string
		ok                  bool
	}{
		{"plain", "Zoë Ångström", "zoe@example.org", true},
		{"trimmed", "  Ann  ", " ann@example.org ", true},
		{"empty name", "  ", "a@example.org", false},
		{"no at", "Ann", "ann.example.org", false},
		{"display name form", "Ann", "Ann <ann@example.org>", false},
		{"undotted domain", "Ann", "ann@localhost", false},
		{"two ats", "Ann", "a@b@example.org", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := givenOrder(placed())
			err := o.SetRegistrant(tt.person, tt.email)
			if !tt.ok {
				thenInvalid(t, o, err)
				return
			}
			must(t, err)
			name, email := o.Registrant()
			if name == "" || email == "" || len(eventsourcing.Changes(o)) != 1 {
				t.Fatalf("registrant %q %q, %d events", name, email, len(eventsourcing.Changes(o)))
			}
		})
	}
}

func TestSetRegistrantReportsEveryBadFieldAtOnce(t *testing.T) {
	o := givenOrder(placed())
	err := o.SetRegistrant(" ", "ana@example")
	thenInvalid(t, o, err)
	var fields []string
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			fields = append(fields, e.(*Error).Field)
		}
	}
	if !reflect.DeepEqual(fields, []string{"name", "email"}) {
		t.Fatalf("fields at fault = %v (%v), want name and email", fields, err)
	}
}

func TestSettingTheSameRegistrantAgainRecordsNothing(t *testing.T) {
	o := givenOrder(placed(), OrderRegistrantAssigned{OrderID: orderA, Name: "Ann", Email: "ann@example.org"})
	must(t, o.SetRegistrant("Ann", "ann@example.org"))
	thenEvents(t, o)
}

func TestConfirmNeedsReservedSeatsAndIsIdempotent(t *testing.T) {
	o := givenOrder(placed(), named())
	thenError(t, o, o.Confirm(t0), ErrSeatsNotReserved)

	o = givenOrder(placed(), reservedAll(), named())
	must(t, o.Confirm(t0.Add(time.Minute)))
	thenEvents(t, o, OrderConfirmed{OrderID: orderA, ConferenceID: conference, Seats: placed().Seats, Total: eur(24000), ConfirmedAt: t0.Add(time.Minute)})

	o = givenOrder(placed(), reservedAll(), OrderConfirmed{OrderID: orderA})
	must(t, o.Confirm(t0))
	thenEvents(t, o)
}

func TestAnOrderIsNotConfirmedWithoutSomeoneToReach(t *testing.T) {
	o := givenOrder(placed(), reservedAll())
	thenError(t, o, o.Confirm(t0), ErrRegistrantMissing)

	// Details given before the seats were reserved count as well.
	o = givenOrder(placed(), named(), reservedAll())
	must(t, o.Confirm(t0))
	if o.Status() != OrderStatusConfirmed {
		t.Fatalf("status %q, want confirmed", o.Status())
	}
}

func TestAnOrderWithNothingReservedCannotBeConfirmed(t *testing.T) {
	o := givenOrder(placed(), OrderPartiallyReserved{OrderID: orderA, Requested: placed().Seats})
	thenError(t, o, o.Confirm(t0), ErrSeatsNotReserved)
}

func TestExpireOnlyAfterTheWindowAndNeverAConfirmedOrder(t *testing.T) {
	o := givenOrder(placed(), reservedAll())
	thenError(t, o, o.Expire(t0.Add(time.Minute)), ErrNotExpiredYet)

	at := t0.Add(DefaultReservationWindow)
	must(t, o.Expire(at))
	thenEvents(t, o, OrderExpired{OrderID: orderA, ConferenceID: conference, Seats: placed().Seats, ExpiredAt: at})

	o = givenOrder(placed(), reservedAll(), OrderConfirmed{OrderID: orderA})
	thenError(t, o, o.Expire(at), ErrOrderConfirmed)

	o = givenOrder(placed(), OrderExpired{OrderID: orderA})
	must(t, o.Expire(at))
	thenEvents(t, o)
}

func TestAnExpiredOrderNoLongerHoldsItsReleasedSeats(t *testing.T) {
	o := givenOrder(placed(), reservedAll(), OrderExpired{OrderID: orderA, ConferenceID: conference, Seats: placed().Seats})
	if got := o.Reserved(); got.Total() != 0 {
		t.Fatalf("an expired order still lists %v as reserved", got)
	}
	if o.IsPartiallyReserved() {
		t.Fatal("an expired order says it is partially reserved")
	}
	if got := o.Requested(); !got.Equal(placed().Seats) {
		t.Fatalf("requested = %v, want what was asked for", got)
	}
}

func TestARejectedOrderCostsNothingAndSaysWhy(t *testing.T) {
	o := givenOrder(placed(), OrderRejected{OrderID: orderA, ConferenceID: conference, Reason: "no seats available"})
	if got := o.Total(); got != eur(0) {
		t.Fatalf("total of a rejected order = %s, want 0.00 EUR", got)
	}
	if q := o.Quote(); len(q.Lines) != 0 || !q.Subtotal.IsZero() || !q.Discount.IsZero() {
		t.Fatalf("quote of a rejected order = %+v, want nothing priced", q)
	}
	if got := o.RejectionReason(); got != "no seats available" {
		t.Fatalf("reason = %q", got)
	}
}

func TestRejectAnUnconfirmedOrder(t *testing.T) {
	o := givenOrder(placed())
	must(t, o.Reject("no seats available", t0))
	thenEvents(t, o, OrderRejected{OrderID: orderA, ConferenceID: conference, Reason: "no seats available", RejectedAt: t0})

	o = givenOrder(placed(), reservedAll(), OrderConfirmed{OrderID: orderA})
	thenError(t, o, o.Reject("late", t0), ErrOrderConfirmed)
}

func TestCancelGivesTheSeatsBack(t *testing.T) {
	o := givenOrder(placed(), reservedAll(), OrderConfirmed{OrderID: orderA})
	must(t, o.Cancel("cannot travel", t0))
	thenEvents(t, o, OrderCancelled{OrderID: orderA, ConferenceID: conference, Seats: placed().Seats, WasConfirmed: true, Reason: "cannot travel", CancelledAt: t0})

	o = givenOrder(placed(), reservedAll())
	must(t, o.Cancel("changed my mind", t0))
	if e := eventsourcing.Changes(o)[0].(OrderCancelled); e.WasConfirmed {
		t.Error("an unpaid order's cancellation says it was confirmed")
	}

	o = givenOrder(placed(), OrderExpired{OrderID: orderA})
	thenError(t, o, o.Cancel("too late", t0), ErrOrderClosed)
}

func TestALateReservationReplyDoesNotReopenAnExpiredOrder(t *testing.T) {
	o := givenOrder(placed(), reservedAll(), OrderExpired{OrderID: orderA})
	thenError(t, o, o.MarkSeatsReserved(placed().Seats, t0.Add(time.Hour)), ErrOrderClosed)
}

func TestAnExpiredOrderIsReinstatedAfterALatePayment(t *testing.T) {
	o := givenOrder(placed(), named(), reservedAll(), OrderExpired{OrderID: orderA})
	must(t, o.Reinstate(placed().Seats, t0.Add(time.Hour)))
	must(t, o.Reinstate(placed().Seats, t0.Add(time.Hour))) // redelivered: no-op
	must(t, o.Confirm(t0.Add(time.Hour)))
	if o.Status() != OrderStatusConfirmed || len(eventsourcing.Changes(o)) != 2 {
		t.Fatalf("status = %q after %d events, want confirmed after 2", o.Status(), len(eventsourcing.Changes(o)))
	}

	o = givenOrder(placed(), reservedAll(), OrderConfirmed{OrderID: orderA})
	thenError(t, o, o.Reinstate(placed().Seats, t0), ErrOrderClosed)
}

func TestWalkUpOrderIsPlacedPaidAndConfirmedInOneStep(t *testing.T) {
	o := NewOrder()
	must(t, o.PlaceWalkUp(PlaceWalkUp{
		OrderID: orderB, ConferenceID: conference, KioskID: "kiosk-1", Seats: seats(workshop, 1),
		Pricing: PricingInput{Prices: prices}, AccessCode: "ABCD-EFGH", Name: " Bo ", Method: PaymentCash,
	}, t0))
	q, _ := Price(seats(workshop, 1), PricingInput{Prices: prices}, t0)
	thenEvents(t, o, WalkUpOrderPlaced{
		OrderID: orderB, ConferenceID: conference, KioskID: "kiosk-1", Seats: seats(workshop, 1),
		Quote: q, AccessCode: "ABCD-EFGH", Name: "Bo", Method: PaymentCash, AmountPaid: eur(4000), PlacedAt: t0,
	})
	if o.Status() != OrderStatusConfirmed || o.KioskID() != "kiosk-1" {
		t.Errorf("status %q kiosk %q", o.Status(), o.KioskID())
	}
}

func TestWalkUpOrderNeedsANameAndAnOnSitePaymentMethod(t *testing.T) {
	base := PlaceWalkUp{OrderID: orderB, ConferenceID: conference, KioskID: "k", Seats: seats(workshop, 1),
		Pricing: PricingInput{Prices: prices}, AccessCode: "A", Name: "Bo", Method: PaymentCardPresent}
	for name, change := range map[string]func(*PlaceWalkUp){
		"no name":        func(c *PlaceWalkUp) { c.Name = "" },
		"bad email":      func(c *PlaceWalkUp) { c.Email = "bo" },
		"online pay":     func(c *PlaceWalkUp) { c.Method = "paypal" },
		"no kiosk":       func(c *PlaceWalkUp) { c.KioskID = "" },
		"no seats":       func(c *PlaceWalkUp) { c.Seats = nil },
		"no access code": func(c *PlaceWalkUp) { c.AccessCode = "" },
	} {
		t.Run(name, func(t *testing.T) {
			cmd := base
			change(&cmd)
			o := NewOrder()
			thenInvalid(t, o, o.PlaceWalkUp(cmd, t0))
		})
	}
}

func TestCommandsOnAnUnplacedOrderReportNotFound(t *testing.T) {
	o := NewOrder()
	for name, err := range map[string]error{
		"reserve":    o.MarkSeatsReserved(nil, t0),
		"registrant": o.SetRegistrant("A", "a@example.org"),
		"confirm":    o.Confirm(t0),
		"expire":     o.Expire(t0),
		"reject":     o.Reject("", t0),
		"cancel":     o.Cancel("", t0),
	} {
		if ErrorCode(err) != CodeNotFound {
			t.Errorf("%s: error %v, want not found", name, err)
		}
	}
}
