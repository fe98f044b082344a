package registrationsapp

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"conference/shared/registrations"
)

// Payments is the port to the payment processor (the hub's fake processor
// pages, or a real gateway). Commands are delivered at least once, so an
// implementation must be idempotent: by order for Initiate, by payment for
// Refund. When the registrant pays, the adapter calls
// Registrations.CompletePayment.
type Payments interface {
	Initiate(ctx context.Context, cmd registrations.InitiatePayment) error
	Refund(ctx context.Context, cmd registrations.RefundPayment) error
}

// SeatRefunds is the port through which seats taken away from an order
// by a conflict resolution are refunded. Such seats were usually paid at a
// kiosk (cash, card present), so there is no online payment to reverse:
// the implementation records the refund owed. Delivered at least once; it
// must be idempotent by RefundID.
type SeatRefunds interface {
	RefundSeats(ctx context.Context, cmd RefundSeats) error
}

// refundsOf picks the SeatRefunds of a configuration.
func refundsOf(cfg Config) SeatRefunds {
	if cfg.Refunds != nil {
		return cfg.Refunds
	}
	if r, ok := cfg.Payments.(SeatRefunds); ok {
		return r
	}
	return &RecordingPayments{}
}

// Notifier tells a registrant that something went differently than they
// expect (a refund after a late payment). Delivered at least once.
type Notifier interface {
	Notify(ctx context.Context, cmd registrations.NotifyRegistrant) error
}

// Offer is what a conference sells, as Conference Management publishes it.
type Offer struct {
	Prices     []registrations.SeatPrice
	PromoCodes []registrations.PromoCode
	// ReservationWindow is how long seats are held; 0 is the default.
	ReservationWindow time.Duration
}

// Catalog is the port to Conference Management's published offer.
type Catalog interface {
	// Offer returns the conference's prices and promo codes; an unknown
	// or unpublished conference is an error matching
	// registrations.CodeNotFound through ErrConferenceNotFound.
	Offer(ctx context.Context, conferenceID uuid.UUID) (Offer, error)
}

// ErrConferenceNotFound is returned by a Catalog for a conference that is
// unknown or not on sale.
var ErrConferenceNotFound = &registrations.Error{Code: registrations.CodeNotFound, Message: "conference not found"}

// MemoryCatalog is a Catalog held in memory, for tests and demos.
type MemoryCatalog struct {
	mu     sync.RWMutex
	offers map[uuid.UUID]Offer
}

// NewMemoryCatalog returns an empty catalog.
func NewMemoryCatalog() *MemoryCatalog { return &MemoryCatalog{offers: map[uuid.UUID]Offer{}} }

// Set publishes the offer of a conference.
func (c *MemoryCatalog) Set(conferenceID uuid.UUID, o Offer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offers[conferenceID] = o
}

// Offer implements Catalog.
func (c *MemoryCatalog) Offer(_ context.Context, conferenceID uuid.UUID) (Offer, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	o, ok := c.offers[conferenceID]
	if !ok {
		return Offer{}, ErrConferenceNotFound
	}
	return o, nil
}

// RecordingPayments is a Payments that records what it was asked, for tests.
type RecordingPayments struct {
	mu        sync.Mutex
	initiated []registrations.InitiatePayment
	refunded  []registrations.RefundPayment
	seats     map[uuid.UUID]RefundSeats
	seatOrder []uuid.UUID
}

// RefundSeats implements SeatRefunds, once per RefundID.
func (p *RecordingPayments) RefundSeats(_ context.Context, cmd RefundSeats) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seats == nil {
		p.seats = map[uuid.UUID]RefundSeats{}
	}
	if _, ok := p.seats[cmd.RefundID]; !ok {
		p.seatOrder = append(p.seatOrder, cmd.RefundID)
	}
	p.seats[cmd.RefundID] = cmd
	return nil
}

// RefundedSeats lists the seat refunds asked for, in order, one per RefundID.
func (p *RecordingPayments) RefundedSeats() []RefundSeats {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]RefundSeats, 0, len(p.seatOrder))
	for _, id := range p.seatOrder {
		out = append(out, p.seats[id])
	}
	return out
}

// Initiate implements Payments.
func (p *RecordingPayments) Initiate(_ context.Context, cmd registrations.InitiatePayment) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initiated = append(p.initiated, cmd)
	return nil
}

// Refund implements Payments.
func (p *RecordingPayments) Refund(_ context.Context, cmd registrations.RefundPayment) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refunded = append(p.refunded, cmd)
	return nil
}

// Initiated lists the payments asked for, in order.
func (p *RecordingPayments) Initiated() []registrations.InitiatePayment {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]registrations.InitiatePayment(nil), p.initiated...)
}

// Refunded lists the refunds asked for, in order.
func (p *RecordingPayments) Refunded() []registrations.RefundPayment {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]registrations.RefundPayment(nil), p.refunded...)
}

// RecordingNotifier is a Notifier that records its notifications, for tests.
type RecordingNotifier struct {
	mu   sync.Mutex
	sent []registrations.NotifyRegistrant
}

// Notify implements Notifier.
func (n *RecordingNotifier) Notify(_ context.Context, cmd registrations.NotifyRegistrant) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, cmd)
	return nil
}

// Sent lists the notifications, in order.
func (n *RecordingNotifier) Sent() []registrations.NotifyRegistrant {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]registrations.NotifyRegistrant(nil), n.sent...)
}
