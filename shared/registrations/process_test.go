package registrations

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

// Message ids as the envelope or outbox would assign them.
var (
	msgPlaced    = uuid.MustParse("00000000-0000-0000-0000-000000001001")
	msgReserved  = uuid.MustParse("00000000-0000-0000-0000-000000001002")
	msgPaid      = uuid.MustParse("00000000-0000-0000-0000-000000001003")
	msgTimeout   = uuid.MustParse("00000000-0000-0000-0000-000000001004")
	msgReserved2 = uuid.MustParse("00000000-0000-0000-0000-000000001005")
	msgOther     = uuid.MustParse("00000000-0000-0000-0000-000000001006")
	msgNamed     = uuid.MustParse("00000000-0000-0000-0000-000000001007")
)

var expiry = t0.Add(DefaultReservationWindow)

func started() RegistrationStarted {
	p := placed()
	return RegistrationStarted{MessageID: msgPlaced, OrderID: orderA, ConferenceID: conference, Seats: p.Seats,
		Quote: p.Quote, Window: DefaultReservationWindow, ExpiresAt: expiry}
}

func seatsHeld() RegistrationSeatsReserved {
	return RegistrationSeatsReserved{MessageID: msgReserved, Seats: placed().Seats, AmountDue: eur(24000)}
}

// detailsGiven is the process learning the registrant's name and email.
func detailsGiven() RegistrationRegistrantGiven {
	return RegistrationRegistrantGiven{MessageID: msgNamed}
}

// heldForDetails is seats reserved while the registrant's details are
// still missing.
func heldForDetails() RegistrationSeatsReserved {
	e := seatsHeld()
	e.AwaitingRegistrant = true
	return e
}

func paid() RegistrationPaymentReceived {
	return RegistrationPaymentReceived{MessageID: msgPaid, PaymentID: payment1, Amount: eur(24000)}
}

func timedOut() RegistrationExpired {
	return RegistrationExpired{MessageID: msgTimeout, ExpiredAt: expiry}
}

func givenProcess(events ...eventsourcing.Event) *RegistrationProcess {
	p := NewRegistrationProcess()
	eventsourcing.Replay(p, ProcessStreamID(orderA), 0, events...)
	return p
}

func reply(got Seats) SeatsReserved { return reserved(orderA, placed().Seats, got) }

// when handles one message and checks the commands it returns.
func when(t *testing.T, p *RegistrationProcess, id uuid.UUID, msg eventsourcing.Event, now time.Time, want ...Command) {
	t.Helper()
	got, err := p.Handle(id, msg, now)
	must(t, err)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("commands:\n got  %+v\n want %+v", got, want)
	}
}

func thenState(t *testing.T, p *RegistrationProcess, want ProcessState) {
	t.Helper()
	if p.State() != want {
		t.Fatalf("state = %q, want %q", p.State(), want)
	}
}

func TestOrderPlacedAsksForSeatsAndStartsTheExpiryTimer(t *testing.T) {
	p := NewRegistrationProcess()
	when(t, p, msgPlaced, placed(), t0,
		MakeSeatReservation{ConferenceID: conference, ReservationID: orderA, Seats: placed().Seats},
		ReservationTimeout{OrderID: orderA, At: expiry})
	thenEvents(t, p, started())
	thenState(t, p, ProcessAwaitingReservation)
	if p.ID() != "registration-"+orderA.String() {
		t.Errorf("stream id %q", p.ID())
	}
}

func TestSeatsReservedMarksTheOrderAndAsksForPayment(t *testing.T) {
	p := givenProcess(started(), detailsGiven())
	when(t, p, msgReserved, reply(placed().Seats), t0,
		MarkSeatsAsReserved{OrderID: orderA, Seats: placed().Seats, ExpiresAt: expiry},
		InitiatePayment{OrderID: orderA, ConferenceID: conference, Amount: eur(24000)})
	thenEvents(t, p, seatsHeld())
	thenState(t, p, ProcessAwaitingPayment)
}

func TestPartialReservationAsksOnlyForWhatWasReserved(t *testing.T) {
	p := givenProcess(started(), detailsGiven())
	when(t, p, msgReserved, reply(seats(fullPass, 1)), t0,
		MarkSeatsAsReserved{OrderID: orderA, Seats: seats(fullPass, 1), ExpiresAt: expiry},
		InitiatePayment{OrderID: orderA, ConferenceID: conference, Amount: eur(10000)})
	if p.AmountDue() != eur(10000) {
		t.Fatalf("amount due %s", p.AmountDue())
	}
}

// freePlaced is an order of two free reception seats.
func freePlaced() OrderPlaced {
	free := placed()
	free.Seats = seats(reception, 2)
	free.Quote, _ = Price(free.Seats, PricingInput{Prices: prices}, t0)
	return free
}

func TestAFreeOrderIsConfirmedWithoutPayment(t *testing.T) {
	free := freePlaced()
	p := NewRegistrationProcess()
	when(t, p, msgPlaced, free, t0,
		MakeSeatReservation{ConferenceID: conference, ReservationID: orderA, Seats: free.Seats},
		ReservationTimeout{OrderID: orderA, At: expiry})
	when(t, p, msgNamed, named(), t0)
	when(t, p, msgReserved, reserved(orderA, free.Seats, free.Seats), t0,
		MarkSeatsAsReserved{OrderID: orderA, Seats: free.Seats, ExpiresAt: expiry},
		CommitSeatReservation{ConferenceID: conference, ReservationID: orderA},
		ConfirmOrder{OrderID: orderA})
	thenState(t, p, ProcessCompleted)
}

func TestReservedSeatsWaitForTheRegistrantBeforePayment(t *testing.T) {
	p := givenProcess(started())
	when(t, p, msgReserved, reply(placed().Seats), t0,
		MarkSeatsAsReserved{OrderID: orderA, Seats: placed().Seats, ExpiresAt: expiry})
	thenEvents(t, p, heldForDetails())
	thenState(t, p, ProcessAwaitingRegistrant)

	p = givenProcess(started(), heldForDetails())
	when(t, p, msgNamed, named(), t0, InitiatePayment{OrderID: orderA, ConferenceID: conference, Amount: eur(24000)})
	thenEvents(t, p, detailsGiven())
	thenState(t, p, ProcessAwaitingPayment)
}

func TestDetailsGivenBeforeTheReservationAreRemembered(t *testing.T) {
	p := givenProcess(started())
	when(t, p, msgNamed, named(), t0)
	thenEvents(t, p, detailsGiven())
	thenState(t, p, ProcessAwaitingReservation)
}

func TestAFreeOrderWaitsForTheRegistrantBeforeConfirmation(t *testing.T) {
	free := freePlaced()
	p := NewRegistrationProcess()
	when(t, p, msgPlaced, free, t0,
		MakeSeatReservation{ConferenceID: conference, ReservationID: orderA, Seats: free.Seats},
		ReservationTimeout{OrderID: orderA, At: expiry})
	when(t, p, msgReserved, reserved(orderA, free.Seats, free.Seats), t0,
		MarkSeatsAsReserved{OrderID: orderA, Seats: free.Seats, ExpiresAt: expiry})
	thenState(t, p, ProcessAwaitingRegistrant)
	when(t, p, msgNamed, named(), t0,
		CommitSeatReservation{ConferenceID: conference, ReservationID: orderA},
		ConfirmOrder{OrderID: orderA})
	thenState(t, p, ProcessCompleted)
}

func TestNothingReservedRejectsTheOrder(t *testing.T) {
	p := givenProcess(started())
	when(t, p, msgReserved, reply(nil), t0, RejectOrder{OrderID: orderA, Reason: "no seats available"})
	thenState(t, p, ProcessRejected)
}

func TestPaymentCompletedCommitsSeatsAndConfirms(t *testing.T) {
	p := givenProcess(started(), seatsHeld())
	when(t, p, msgPaid, PaymentCompleted{PaymentID: payment1, OrderID: orderA, Amount: eur(24000)}, t0,
		CommitSeatReservation{ConferenceID: conference, ReservationID: orderA},
		ConfirmOrder{OrderID: orderA})
	thenEvents(t, p, paid())
	thenState(t, p, ProcessCompleted)
}

func TestExpiryReleasesSeatsAndExpiresTheOrder(t *testing.T) {
	for name, given := range map[string][]eventsourcing.Event{
		"while waiting for seats":   {started()},
		"while waiting for details": {started(), heldForDetails()},
		"while waiting for payment": {started(), seatsHeld()},
	} {
		t.Run(name, func(t *testing.T) {
			p := givenProcess(given...)
			when(t, p, msgTimeout, ReservationTimeout{OrderID: orderA, At: expiry}, expiry,
				CancelSeatReservation{ConferenceID: conference, ReservationID: orderA},
				ExpireOrder{OrderID: orderA})
			thenEvents(t, p, timedOut())
			thenState(t, p, ProcessExpired)
		})
	}
}

func TestATimeoutDeliveredEarlyWaitsAgain(t *testing.T) {
	p := givenProcess(started(), seatsHeld())
	when(t, p, msgTimeout, ReservationTimeout{OrderID: orderA, At: expiry}, expiry.Add(-time.Second),
		ReservationTimeout{OrderID: orderA, At: expiry})
	thenEvents(t, p)
	thenState(t, p, ProcessAwaitingPayment)
}

func TestATimeoutAfterConfirmationDoesNothing(t *testing.T) {
	p := givenProcess(started(), seatsHeld(), paid())
	when(t, p, msgTimeout, ReservationTimeout{OrderID: orderA, At: expiry}, expiry)
	thenEvents(t, p)
}

func TestPaymentAfterExpiryReconfirmsWhenTheSeatsComeBack(t *testing.T) {
	p := givenProcess(started(), seatsHeld(), timedOut())
	late := expiry.Add(time.Minute)
	when(t, p, msgPaid, PaymentCompleted{PaymentID: payment1, OrderID: orderA, Amount: eur(24000)}, late,
		MakeSeatReservation{ConferenceID: conference, ReservationID: orderA, Seats: placed().Seats})
	thenState(t, p, ProcessReReserving)

	when(t, p, msgReserved2, reply(placed().Seats), late,
		ReinstateOrder{OrderID: orderA, Seats: placed().Seats, ExpiresAt: late.Add(DefaultReservationWindow)},
		CommitSeatReservation{ConferenceID: conference, ReservationID: orderA},
		ConfirmOrder{OrderID: orderA})
	thenState(t, p, ProcessCompleted)
}

func TestPaymentAfterExpiryIsRefundedWhenTheSeatsAreGone(t *testing.T) {
	p := givenProcess(started(), seatsHeld(), timedOut(), paid())
	late := expiry.Add(time.Minute)
	const reason = "payment arrived after the reservation expired and the seats were taken"
	when(t, p, msgReserved2, reply(seats(fullPass, 1)), late,
		CancelSeatReservation{ConferenceID: conference, ReservationID: orderA},
		RefundPayment{PaymentID: payment1, OrderID: orderA, Amount: eur(24000), Reason: reason},
		NotifyRegistrant{OrderID: orderA, Reason: reason})
	thenState(t, p, ProcessExpired)
	if p.PaymentID() != uuid.Nil {
		t.Fatal("refunded payment still held")
	}
}

func TestMoneyThatBuysNothingIsRefunded(t *testing.T) {
	second := PaymentCompleted{PaymentID: payment2, OrderID: orderA, Amount: eur(24000)}
	tests := []struct {
		name   string
		given  []eventsourcing.Event
		msg    PaymentCompleted
		reason string
	}{
		{"a second payment after confirmation", []eventsourcing.Event{started(), seatsHeld(), paid()}, second,
			"payment arrived while the order was completed"},
		{"a payment for a rejected order", []eventsourcing.Event{started(), RegistrationRejected{MessageID: msgReserved}}, second,
			"payment arrived while the order was rejected"},
		{"a payment before seats were reserved", []eventsourcing.Event{started()}, second,
			"payment arrived while the order was awaiting_reservation"},
		{"a payment after an order expired with nothing reserved", []eventsourcing.Event{started(), timedOut()}, second,
			"payment arrived while the order was expired"},
		{"the wrong amount", []eventsourcing.Event{started(), seatsHeld()}, PaymentCompleted{PaymentID: payment2, OrderID: orderA, Amount: eur(100)},
			"paid 1.00 EUR, 240.00 EUR was due"},
		{"a payment before the registrant gave their details", []eventsourcing.Event{started(), heldForDetails()}, second,
			"payment arrived while the order was awaiting_registrant"},
		{"a late payment for an order nobody named", []eventsourcing.Event{started(), heldForDetails(), timedOut()}, second,
			"payment arrived while the order was expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := givenProcess(tt.given...)
			before := p.State()
			when(t, p, msgOther, tt.msg, t0,
				RefundPayment{PaymentID: tt.msg.PaymentID, OrderID: orderA, Amount: tt.msg.Amount, Reason: tt.reason},
				NotifyRegistrant{OrderID: orderA, Reason: tt.reason})
			thenEvents(t, p, RegistrationPaymentRefunded{MessageID: msgOther, PaymentID: tt.msg.PaymentID, Amount: tt.msg.Amount, Reason: tt.reason})
			thenState(t, p, before)
		})
	}
}

func TestAPaymentForAnUnknownOrderIsRefunded(t *testing.T) {
	p := NewRegistrationProcess()
	const reason = "payment arrived while the order was unknown"
	when(t, p, msgPaid, PaymentCompleted{PaymentID: payment1, OrderID: orderB, Amount: eur(5)}, t0,
		RefundPayment{PaymentID: payment1, OrderID: orderB, Amount: eur(5), Reason: reason},
		NotifyRegistrant{OrderID: orderB, Reason: reason})
}

func TestDuplicateMessagesAreNoOps(t *testing.T) {
	tests := []struct {
		name  string
		given []eventsourcing.Event
		id    uuid.UUID
		msg   eventsourcing.Event
	}{
		{"the same OrderPlaced", []eventsourcing.Event{started()}, msgPlaced, placed()},
		{"OrderPlaced again under another id", []eventsourcing.Event{started()}, msgOther, placed()},
		{"the same SeatsReserved", []eventsourcing.Event{started(), seatsHeld()}, msgReserved, reply(placed().Seats)},
		{"an identical SeatsReserved under another id", []eventsourcing.Event{started(), seatsHeld()}, msgOther, reply(placed().Seats)},
		{"the same payment", []eventsourcing.Event{started(), seatsHeld(), paid()}, msgPaid, PaymentCompleted{PaymentID: payment1, OrderID: orderA, Amount: eur(24000)}},
		{"the same payment under another id", []eventsourcing.Event{started(), seatsHeld(), paid()}, msgOther, PaymentCompleted{PaymentID: payment1, OrderID: orderA, Amount: eur(24000)}},
		{"the same timeout", []eventsourcing.Event{started(), timedOut()}, msgTimeout, ReservationTimeout{OrderID: orderA, At: expiry}},
		{"a refunded payment redelivered under another id", []eventsourcing.Event{started(), seatsHeld(), paid(),
			RegistrationPaymentRefunded{MessageID: msgPaid, PaymentID: payment2, Amount: eur(1)}}, msgOther, PaymentCompleted{PaymentID: payment2, OrderID: orderA, Amount: eur(1)}},
		{"a SeatsReserved after confirmation", []eventsourcing.Event{started(), seatsHeld(), paid()}, msgOther, reply(placed().Seats)},
		{"the same details", []eventsourcing.Event{started(), detailsGiven()}, msgNamed, named()},
		{"changed details after payment started", []eventsourcing.Event{started(), detailsGiven(), seatsHeld()}, msgOther, named()},
		{"details for a completed order", []eventsourcing.Event{started(), seatsHeld(), paid()}, msgOther, named()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := givenProcess(tt.given...)
			when(t, p, tt.id, tt.msg, expiry)
			thenEvents(t, p)
		})
	}
}

func TestALateReservationAfterExpiryIsCancelled(t *testing.T) {
	// The reservation command lost the race with the timeout: whatever it
	// holds now is held for nobody.
	p := givenProcess(started(), timedOut())
	when(t, p, msgReserved, reply(placed().Seats), expiry,
		CancelSeatReservation{ConferenceID: conference, ReservationID: orderA})
	thenEvents(t, p)
}

func TestAStrayReservationForNoProcessIsCancelled(t *testing.T) {
	p := NewRegistrationProcess()
	when(t, p, msgReserved, reply(seats(fullPass, 1)), t0,
		CancelSeatReservation{ConferenceID: conference, ReservationID: orderA})
}

func TestMessagesTheProcessDoesNotConsumeAreIgnored(t *testing.T) {
	p := givenProcess(started())
	when(t, p, msgOther, OrderConfirmed{OrderID: orderA}, t0)
	when(t, p, msgOther, SeatTypeAdded{}, t0)
	thenEvents(t, p)
}

func TestAMessageForAnotherOrderIsARoutingError(t *testing.T) {
	p := givenProcess(started())
	_, err := p.Handle(msgOther, PaymentCompleted{PaymentID: payment1, OrderID: orderB, Amount: eur(1)}, t0)
	thenInvalid(t, p, err)
	_, err = p.Handle(uuid.Nil, placed(), t0)
	thenInvalid(t, p, err)
}

func TestCancellingAnOrderReleasesItsSeatsAndRefunds(t *testing.T) {
	p := givenProcess(started(), seatsHeld(), paid())
	when(t, p, msgOther, OrderCancelled{OrderID: orderA, ConferenceID: conference, Seats: placed().Seats, WasConfirmed: true}, t0,
		CancelSoldSeats{ConferenceID: conference, OrderID: orderA},
		RefundPayment{PaymentID: payment1, OrderID: orderA, Amount: eur(24000), Reason: "order cancelled"})
	thenState(t, p, ProcessCancelled)

	p = givenProcess(started(), seatsHeld())
	when(t, p, msgOther, OrderCancelled{OrderID: orderA, ConferenceID: conference, Seats: placed().Seats}, t0,
		CancelSeatReservation{ConferenceID: conference, ReservationID: orderA})
}

func TestAWalkUpOrderIsRecordedAsAnOnSiteSale(t *testing.T) {
	p := NewRegistrationProcess()
	walkUp := WalkUpOrderPlaced{OrderID: orderA, ConferenceID: conference, KioskID: "k1", Seats: seats(workshop, 1), AmountPaid: eur(4000), Method: PaymentCash}
	when(t, p, msgPlaced, walkUp, t0,
		RecordOnSiteSale{ConferenceID: conference, KioskID: "k1", OrderID: orderA, Seats: seats(workshop, 1)})
	thenState(t, p, ProcessCompleted)
}

func TestTheHappyPathEndToEnd(t *testing.T) {
	// Drive the real aggregates with the process's commands, as the hub's
	// dispatcher would, and check both ends agree.
	avail := givenAvailability(added(fullPass, 10), added(workshop, 1))
	order := NewOrder()
	proc := NewRegistrationProcess()
	must(t, order.Place(placeOrder(), t0)) // asks for 2 full passes and 1 workshop
	must(t, order.SetRegistrant("Ann", "ann@example.org"))

	cmds, err := proc.Handle(msgPlaced, eventsourcing.Changes(order)[0], t0)
	must(t, err)
	_, err = proc.Handle(msgNamed, eventsourcing.Changes(order)[1], t0)
	must(t, err)
	mk := cmds[0].(MakeSeatReservation)
	must(t, avail.MakeReservation(mk.ReservationID, mk.Seats))
	cmds, err = proc.Handle(msgReserved, eventsourcing.Changes(avail)[0], t0)
	must(t, err)
	mark := cmds[0].(MarkSeatsAsReserved)
	must(t, order.MarkSeatsReserved(mark.Seats, mark.ExpiresAt))
	pay := cmds[1].(InitiatePayment)
	if pay.Amount != order.Total() {
		t.Fatalf("process asks %s, order says %s", pay.Amount, order.Total())
	}
	cmds, err = proc.Handle(msgPaid, PaymentCompleted{PaymentID: payment1, OrderID: orderA, Amount: pay.Amount}, t0)
	must(t, err)
	must(t, avail.CommitReservation(cmds[0].(CommitSeatReservation).ReservationID))
	must(t, order.Confirm(t0))
	if order.Status() != OrderStatusConfirmed || avail.SoldCount(fullPass) != 2 || avail.SoldCount(workshop) != 1 {
		t.Fatalf("order %q, sold %d full, %d workshop", order.Status(), avail.SoldCount(fullPass), avail.SoldCount(workshop))
	}
}
