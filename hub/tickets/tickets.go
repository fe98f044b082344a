// Package tickets makes the tickets of a confirmed order: a page per person
// holding its seats, grouped the way kiosks know attendees
// (registrations.SeatHolders), each with the person's name, the conference,
// the seat types held and a QR code of a badge token the hub signs. Any
// kiosk of the conference verifies the token offline with the hub's public
// key and checks the person in with one scan; once a kiosk has synced a
// reassignment or a cancellation of the seat, it refuses the old ticket
// (kiosk.judge: a token issued before the seat's last assignment, or for a
// seat no longer held, is revoked).
package tickets

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/badges"
	"conference/badges/token"
	"conference/hub/readmodels"
	registrationsapp "conference/hub/registrations"
	"conference/shared/eventstore"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// ErrNotConfirmed is returned for an order that has no tickets: one not
// confirmed (yet, or any more).
var ErrNotConfirmed = errors.New("tickets are issued for confirmed orders")

// Orders is where an order and its seats are read: the registrations
// application (its streams, so a ticket never lags behind a change).
type Orders interface {
	GetOrder(ctx context.Context, orderID uuid.UUID) (registrationsapp.OrderView, error)
	Seats(ctx context.Context, orderID uuid.UUID) ([]registrations.SeatPosition, error)
}

// Catalog names the conference and its seat types (the read models).
type Catalog interface {
	Conference(ctx context.Context, conferenceID uuid.UUID) (readmodels.ConferenceView, error)
	SeatTypes(ctx context.Context, conferenceID uuid.UUID) ([]readmodels.SeatTypeView, error)
}

// Maker makes tickets. Every field is required but Now.
type Maker struct {
	Orders  Orders
	Catalog Catalog
	// Log reads an order's assignment stream, whose newest event time a
	// ticket's issue time must not precede.
	Log eventstore.Store
	// SigningKey is the hub's badge signing key (kiosks.Registry), the
	// one kiosks get at pairing.
	SigningKey func(ctx context.Context) (ed25519.PrivateKey, error)
	Now        func() time.Time
}

// Tickets returns the tickets of a confirmed order, one per person
// holding its seats, in the order of their first seat.
func (m *Maker) Tickets(ctx context.Context, orderID uuid.UUID) ([]badges.Ticket, error) {
	o, err := m.Orders.GetOrder(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("tickets of order %s: %w", orderID, err)
	}
	if o.Status != registrations.OrderStatusConfirmed {
		return nil, fmt.Errorf("order %s is %s: %w", orderID, o.Status, ErrNotConfirmed)
	}
	positions, err := m.Orders.Seats(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("tickets of order %s: %w", orderID, err)
	}
	conf, err := m.Catalog.Conference(ctx, o.ConferenceID)
	if err != nil {
		return nil, fmt.Errorf("tickets of order %s: %w", orderID, err)
	}
	names, err := m.seatTypeNames(ctx, o.ConferenceID)
	if err != nil {
		return nil, fmt.Errorf("tickets of order %s: %w", orderID, err)
	}
	issued, err := m.issueTime(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("tickets of order %s: %w", orderID, err)
	}
	key, err := m.SigningKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("tickets of order %s: signing key: %w", orderID, err)
	}
	signer, err := token.NewHubSigner(key)
	if err != nil {
		return nil, fmt.Errorf("tickets of order %s: %w", orderID, err)
	}
	line := details(conf)
	var out []badges.Ticket
	for _, h := range registrations.SeatHolders(positions, o.Reserved) {
		tok, err := signer.Sign(token.Claims{Conference: o.ConferenceID.String(),
			Seat: onsite.Seat{OrderID: orderID, Position: h.Seat}.TokenID(), IssuedAt: issued})
		if err != nil {
			return nil, fmt.Errorf("tickets of order %s: %w", orderID, err)
		}
		t := badges.Ticket{Conference: conf.Name, Details: line, Name: o.Name, AccessCode: o.AccessCode, Token: tok}
		if !h.Attendee.IsZero() {
			t.Name, t.Company = h.Attendee.Name, h.Attendee.Company
		}
		for _, st := range h.SeatTypes {
			t.SeatTypes = append(t.SeatTypes, names[st])
		}
		out = append(out, t)
	}
	return out, nil
}

// PDF renders the order's tickets as one document.
func (m *Maker) PDF(ctx context.Context, orderID uuid.UUID) ([]byte, error) {
	list, err := m.Tickets(ctx, orderID)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := badges.RenderTickets(ctx, &buf, list); err != nil {
		return nil, fmt.Errorf("tickets of order %s: %w", orderID, err)
	}
	return buf.Bytes(), nil
}

// details is the line a ticket prints under the conference name: its
// dates in its time zone, and the venue.
func details(c readmodels.ConferenceView) string {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	const day = "2 January 2006"
	start, end := c.StartsAt.In(loc).Format(day), c.EndsAt.In(loc).Format(day)
	s := start
	if end != start {
		s += " – " + end
	}
	if c.Venue != "" {
		s += " · " + c.Venue
	}
	return s
}

func (m *Maker) seatTypeNames(ctx context.Context, conferenceID uuid.UUID) (map[uuid.UUID]string, error) {
	sts, err := m.Catalog.SeatTypes(ctx, conferenceID)
	if err != nil {
		return nil, err
	}
	names := make(map[uuid.UUID]string, len(sts))
	for _, st := range sts {
		names[st.SeatTypeID] = st.Name
	}
	return names, nil
}

// issueTime is now, or the time of the order's newest seat assignment
// event if the hub's clock reads earlier: a kiosk refuses a token issued
// before the seat's last assignment, so a ticket made right after one must
// not carry an earlier time.
func (m *Maker) issueTime(ctx context.Context, orderID uuid.UUID) (time.Time, error) {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	issued := now()
	evs, err := m.Log.ReadStream(ctx, registrations.AssignmentsStreamID(orderID), 0)
	if err != nil {
		return time.Time{}, err
	}
	for _, e := range evs {
		if t := e.HLC.Time(); t.After(issued) {
			issued = t
		}
	}
	return issued, nil
}
