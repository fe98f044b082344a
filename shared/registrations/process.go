package registrations

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

// ProcessState is where a registration is in place -> reserve -> pay -> confirm.
type ProcessState string

// Process states.
const (
	ProcessNotStarted          ProcessState = ""
	ProcessAwaitingReservation ProcessState = "awaiting_reservation"
	// ProcessAwaitingRegistrant holds reserved seats until the registrant
	// gives their name and email: payment starts (or a free order is
	// confirmed) only then, so every order has someone to reach.
	ProcessAwaitingRegistrant ProcessState = "awaiting_registrant"
	ProcessAwaitingPayment    ProcessState = "awaiting_payment"
	// ProcessReReserving holds a payment that arrived after expiry while
	// the process tries to get the same seats back.
	ProcessReReserving ProcessState = "re_reserving"
	ProcessCompleted   ProcessState = "completed"
	ProcessExpired     ProcessState = "expired"
	ProcessRejected    ProcessState = "rejected"
	ProcessCancelled   ProcessState = "cancelled"
)

// RegistrationProcess coordinates one order with SeatsAvailability and
// Payments. It is an event-sourced aggregate (stream ProcessStreamID) so
// that its state change, the commands it emits (outbox) and the processed
// mark of the message it handled are saved in one eventstore.Batch by
// Repository.Save: a crash before the save loses nothing (the message is
// redelivered), a crash after it loses nothing (the outbox is dispatched).
//
// Drive it with Handle: load the process for RouteToProcess(msg), call
// Handle, save with the returned commands in Metadata.Outbox and the
// message in Metadata.Processed.
type RegistrationProcess struct {
	eventsourcing.Root

	orderID, conferenceID uuid.UUID
	state                 ProcessState
	requested, reserved   Seats
	quote                 Quote
	promo                 PromoCode
	window                time.Duration
	expiresAt             time.Time
	amountDue             Money
	paymentID             uuid.UUID
	paid                  Money
	// registrant: the order's name and email are given (or, for seats
	// reserved before payment waited for them, were not awaited).
	registrant bool
	handled    map[uuid.UUID]bool
	refunded   map[uuid.UUID]bool
}

// NewRegistrationProcess returns an empty process for the repository.
func NewRegistrationProcess() *RegistrationProcess { return &RegistrationProcess{} }

// StreamType implements eventsourcing.Aggregate.
func (p *RegistrationProcess) StreamType() string { return "registrations.RegistrationProcess" }

// RouteToProcess returns the order whose process must handle msg, or false
// when the process does not consume msg.
func RouteToProcess(msg eventsourcing.Event) (uuid.UUID, bool) {
	switch m := msg.(type) {
	case OrderPlaced:
		return m.OrderID, true
	case WalkUpOrderPlaced:
		return m.OrderID, true
	case SeatsReserved:
		return m.ReservationID, true
	case PaymentCompleted:
		return m.OrderID, true
	case ReservationTimeout:
		return m.OrderID, true
	case OrderCancelled:
		return m.OrderID, true
	case OrderRegistrantAssigned:
		return m.OrderID, true
	}
	return uuid.Nil, false
}

// Handle reacts to one message (its envelope or outbox id is messageID) and
// returns the commands to send. A message seen before, or one that changes
// nothing in the current state, returns no commands. Unexpected messages
// are compensated rather than refused: a stray reservation is cancelled
// and money that buys nothing is refunded.
func (p *RegistrationProcess) Handle(messageID uuid.UUID, msg eventsourcing.Event, now time.Time) ([]Command, error) {
	if messageID == uuid.Nil {
		return nil, invalidf("message id is required")
	}
	if p.handled[messageID] {
		return nil, nil
	}
	orderID, ok := RouteToProcess(msg)
	if !ok {
		return nil, nil
	}
	if p.state != ProcessNotStarted && orderID != p.orderID {
		return nil, invalidf("message for order %s routed to the process of %s", orderID, p.orderID)
	}
	switch m := msg.(type) {
	case OrderPlaced:
		return p.onOrderPlaced(messageID, m), nil
	case WalkUpOrderPlaced:
		return p.onWalkUp(messageID, m), nil
	case SeatsReserved:
		return p.onSeatsReserved(messageID, m, now)
	case PaymentCompleted:
		return p.onPayment(messageID, m), nil
	case ReservationTimeout:
		return p.onTimeout(messageID, m, now), nil
	case OrderCancelled:
		return p.onCancelled(messageID, m), nil
	case OrderRegistrantAssigned:
		return p.onRegistrant(messageID), nil
	}
	return nil, nil
}

func (p *RegistrationProcess) onOrderPlaced(id uuid.UUID, m OrderPlaced) []Command {
	if p.state != ProcessNotStarted {
		return nil
	}
	p.SetID(ProcessStreamID(m.OrderID))
	p.Record(p, RegistrationStarted{
		MessageID: id, OrderID: m.OrderID, ConferenceID: m.ConferenceID, Seats: m.Seats,
		Quote: m.Quote, Promo: m.Promo, Window: m.ReservationWindow, ExpiresAt: m.ReservationExpiresAt,
	})
	return []Command{
		MakeSeatReservation{ConferenceID: m.ConferenceID, ReservationID: m.OrderID, Seats: m.Seats},
		ReservationTimeout{OrderID: m.OrderID, At: m.ReservationExpiresAt},
	}
}

func (p *RegistrationProcess) onWalkUp(id uuid.UUID, m WalkUpOrderPlaced) []Command {
	if p.state != ProcessNotStarted {
		return nil
	}
	p.SetID(ProcessStreamID(m.OrderID))
	p.Record(p, RegistrationStarted{
		MessageID: id, OrderID: m.OrderID, ConferenceID: m.ConferenceID, Seats: m.Seats,
		Quote: m.Quote, Promo: m.Promo, WalkUp: true, KioskID: m.KioskID,
	})
	return []Command{RecordOnSiteSale{ConferenceID: m.ConferenceID, KioskID: m.KioskID, OrderID: m.OrderID, Seats: m.Seats}}
}

func (p *RegistrationProcess) onSeatsReserved(id uuid.UUID, m SeatsReserved, now time.Time) ([]Command, error) {
	cancel := CancelSeatReservation{ConferenceID: m.ConferenceID, ReservationID: m.ReservationID}
	switch p.state {
	case ProcessNotStarted, ProcessExpired, ProcessRejected, ProcessCancelled:
		// A reply that lost the race with expiry (or belongs to no order):
		// whatever it holds is held for nobody.
		if m.Reserved.Total() > 0 {
			return []Command{cancel}, nil
		}
		return nil, nil
	case ProcessCompleted:
		return nil, nil
	case ProcessReReserving:
		return p.onSeatsReReserved(id, m, now), nil
	case ProcessAwaitingPayment, ProcessAwaitingRegistrant:
		if m.Reserved.Equal(p.reserved) {
			return nil, nil
		}
	}
	if m.Reserved.Total() == 0 {
		const reason = "no seats available"
		p.Record(p, RegistrationRejected{MessageID: id, Reason: reason})
		return []Command{RejectOrder{OrderID: p.orderID, Reason: reason}}, nil
	}
	q, err := Reprice(m.Reserved, p.quote, p.promo)
	if err != nil {
		return nil, fmt.Errorf("price reserved seats of order %s: %w", p.orderID, err)
	}
	p.Record(p, RegistrationSeatsReserved{MessageID: id, Seats: m.Reserved.Normalize(), AmountDue: q.Total, AwaitingRegistrant: !p.registrant})
	cmds := []Command{MarkSeatsAsReserved{OrderID: p.orderID, Seats: p.reserved, ExpiresAt: p.expiresAt}}
	if !p.registrant {
		return cmds, nil // payment or confirmation waits for the details
	}
	return append(cmds, p.payOrConfirm()...), nil
}

// payOrConfirm is the step after reservation once the registrant is known:
// ask for the amount due, or confirm a free order.
func (p *RegistrationProcess) payOrConfirm() []Command {
	if p.amountDue.IsZero() {
		return p.confirm()
	}
	return []Command{InitiatePayment{OrderID: p.orderID, ConferenceID: p.conferenceID, Amount: p.amountDue}}
}

// onRegistrant learns that the order has someone to reach. Seats held for
// that moment go on to payment (or confirmation, when free); before the
// reservation it is only remembered. Later changes of the details matter
// to the order, not to the process.
func (p *RegistrationProcess) onRegistrant(id uuid.UUID) []Command {
	if p.registrant || (p.state != ProcessAwaitingReservation && p.state != ProcessAwaitingRegistrant) {
		return nil
	}
	waiting := p.state == ProcessAwaitingRegistrant
	p.Record(p, RegistrationRegistrantGiven{MessageID: id})
	if !waiting {
		return nil
	}
	return p.payOrConfirm()
}

// onSeatsReReserved finishes a late payment: confirm when every seat came
// back, otherwise give the money back.
func (p *RegistrationProcess) onSeatsReReserved(id uuid.UUID, m SeatsReserved, now time.Time) []Command {
	if m.Reserved.Equal(p.reserved) {
		p.Record(p, RegistrationSeatsReserved{MessageID: id, Seats: p.reserved, AmountDue: p.amountDue})
		cmds := []Command{ReinstateOrder{OrderID: p.orderID, Seats: p.reserved, ExpiresAt: now.Add(p.window)}}
		return append(cmds, p.confirm()...)
	}
	const reason = "payment arrived after the reservation expired and the seats were taken"
	cmds := p.refund(id, p.orderID, p.paymentID, p.paid, reason)
	if m.Reserved.Total() > 0 {
		cmds = append([]Command{CancelSeatReservation{ConferenceID: p.conferenceID, ReservationID: p.orderID}}, cmds...)
	}
	return cmds
}

func (p *RegistrationProcess) onPayment(id uuid.UUID, m PaymentCompleted) []Command {
	if m.PaymentID != uuid.Nil && (p.paymentID == m.PaymentID || p.refunded[m.PaymentID]) {
		return nil
	}
	// A payment is due only once the registrant is known (payment never
	// starts before): money for an order nobody named buys nothing.
	due := p.state == ProcessAwaitingPayment || (p.state == ProcessExpired && p.reserved.Total() > 0 && p.registrant)
	switch {
	case due && m.Amount != p.amountDue:
		return p.refund(id, m.OrderID, m.PaymentID, m.Amount, fmt.Sprintf("paid %s, %s was due", m.Amount, p.amountDue))
	case p.state == ProcessAwaitingPayment:
		p.Record(p, RegistrationPaymentReceived{MessageID: id, PaymentID: m.PaymentID, Amount: m.Amount})
		return p.confirm()
	case due:
		// Expired but paid in full: try to get the same seats back.
		p.Record(p, RegistrationPaymentReceived{MessageID: id, PaymentID: m.PaymentID, Amount: m.Amount})
		return []Command{MakeSeatReservation{ConferenceID: p.conferenceID, ReservationID: p.orderID, Seats: p.reserved}}
	}
	return p.refund(id, m.OrderID, m.PaymentID, m.Amount, fmt.Sprintf("payment arrived while the order was %s", p.stateForPeople()))
}

func (p *RegistrationProcess) stateForPeople() ProcessState {
	if p.state == ProcessNotStarted {
		return "unknown"
	}
	return p.state
}

// refund sends a payment back. Without a started process there is no state
// to record it in; the store's processed mark is the only dedup then.
func (p *RegistrationProcess) refund(id, orderID, paymentID uuid.UUID, amount Money, reason string) []Command {
	if p.state != ProcessNotStarted {
		p.Record(p, RegistrationPaymentRefunded{MessageID: id, PaymentID: paymentID, Amount: amount, Reason: reason})
	}
	return []Command{
		RefundPayment{PaymentID: paymentID, OrderID: orderID, Amount: amount, Reason: reason},
		NotifyRegistrant{OrderID: orderID, Reason: reason},
	}
}

func (p *RegistrationProcess) confirm() []Command {
	return []Command{
		CommitSeatReservation{ConferenceID: p.conferenceID, ReservationID: p.orderID},
		ConfirmOrder{OrderID: p.orderID},
	}
}

func (p *RegistrationProcess) onTimeout(id uuid.UUID, m ReservationTimeout, now time.Time) []Command {
	if p.state != ProcessAwaitingReservation && p.state != ProcessAwaitingRegistrant && p.state != ProcessAwaitingPayment {
		return nil
	}
	if now.Before(p.expiresAt) {
		// Delivered early (clock skew between nodes): wait again.
		return []Command{ReservationTimeout{OrderID: p.orderID, At: p.expiresAt}}
	}
	p.Record(p, RegistrationExpired{MessageID: id, ExpiredAt: now})
	return []Command{
		CancelSeatReservation{ConferenceID: p.conferenceID, ReservationID: p.orderID},
		ExpireOrder{OrderID: p.orderID},
	}
}

func (p *RegistrationProcess) onCancelled(id uuid.UUID, m OrderCancelled) []Command {
	if p.state == ProcessNotStarted || p.state == ProcessCancelled {
		return nil
	}
	p.Record(p, RegistrationCancelled{MessageID: id})
	var cmds []Command
	if m.WasConfirmed {
		cmds = append(cmds, CancelSoldSeats{ConferenceID: p.conferenceID, OrderID: p.orderID})
	} else {
		cmds = append(cmds, CancelSeatReservation{ConferenceID: p.conferenceID, ReservationID: p.orderID})
	}
	if p.paymentID != uuid.Nil {
		cmds = append(cmds, RefundPayment{PaymentID: p.paymentID, OrderID: p.orderID, Amount: p.paid, Reason: "order cancelled"})
	}
	return cmds
}

// Apply implements eventsourcing.Aggregate.
func (p *RegistrationProcess) Apply(ev eventsourcing.Event) {
	if p.handled == nil {
		p.handled, p.refunded = map[uuid.UUID]bool{}, map[uuid.UUID]bool{}
	}
	switch e := ev.(type) {
	case RegistrationStarted:
		p.handled[e.MessageID] = true
		p.orderID, p.conferenceID, p.requested = e.OrderID, e.ConferenceID, e.Seats
		p.quote, p.promo, p.window, p.expiresAt, p.amountDue = e.Quote, e.Promo, e.Window, e.ExpiresAt, e.Quote.Total
		p.state = ProcessAwaitingReservation
		if e.WalkUp {
			p.state, p.reserved = ProcessCompleted, e.Seats
		}
	case RegistrationSeatsReserved:
		p.handled[e.MessageID] = true
		p.reserved, p.amountDue = e.Seats, e.AmountDue
		p.registrant = p.registrant || !e.AwaitingRegistrant
		switch {
		case p.state == ProcessReReserving:
			p.state = ProcessCompleted
		case e.AwaitingRegistrant:
			p.state = ProcessAwaitingRegistrant
		default:
			p.state = p.afterDetails()
		}
	case RegistrationRegistrantGiven:
		p.handled[e.MessageID] = true
		p.registrant = true
		if p.state == ProcessAwaitingRegistrant {
			p.state = p.afterDetails()
		}
	case RegistrationPaymentReceived:
		p.handled[e.MessageID] = true
		p.paymentID, p.paid = e.PaymentID, e.Amount
		if p.state == ProcessExpired {
			p.state = ProcessReReserving
		} else {
			p.state = ProcessCompleted
		}
	case RegistrationPaymentRefunded:
		p.handled[e.MessageID] = true
		p.refunded[e.PaymentID] = true
		if e.PaymentID == p.paymentID && p.state == ProcessReReserving {
			p.state, p.paymentID, p.paid = ProcessExpired, uuid.Nil, Money{}
		}
	case RegistrationExpired:
		p.handled[e.MessageID] = true
		p.state = ProcessExpired
	case RegistrationRejected:
		p.handled[e.MessageID] = true
		p.state = ProcessRejected
	case RegistrationCancelled:
		p.handled[e.MessageID] = true
		p.state = ProcessCancelled
	}
}

// afterDetails is the state of reserved seats whose registrant is known.
func (p *RegistrationProcess) afterDetails() ProcessState {
	if p.amountDue.IsZero() {
		return ProcessCompleted
	}
	return ProcessAwaitingPayment
}

// OrderID is the order the process coordinates.
func (p *RegistrationProcess) OrderID() uuid.UUID { return p.orderID }

// State is where the registration is.
func (p *RegistrationProcess) State() ProcessState { return p.state }

// AmountDue is what the registrant must pay for the reserved seats.
func (p *RegistrationProcess) AmountDue() Money { return p.amountDue }

// PaymentID is the payment the process holds for the order, if any.
func (p *RegistrationProcess) PaymentID() uuid.UUID { return p.paymentID }
