package registrationsapp

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/registrations"
)

// Names of the policies' checkpoint and processed marks. Keep them stable
// across releases.
const (
	PoliciesHandler = "registration-policies"
	waitlistHandler = "waitlist-policy"
)

// Policies react to what happened to orders and seats, following the event
// log like the ProcessManager:
//
//   - an order that expired, was rejected or cancelled gives its promo-code
//     use back (PromoCodeUsage.Release), so a limited code is not used up
//     by orders that never completed;
//   - seats coming back (a reservation cancelled or expired, sold seats
//     cancelled, a quota raised, a kiosk allocation returned) or someone
//     joining the waitlist makes the conference's waitlist offer the free
//     seats to the next in line (see reconcileWaitlist).
//
// Both reactions are idempotent from state, so replaying the log after a
// crash changes nothing twice. Run it from one goroutine (Run, or Step in
// tests).
type Policies struct {
	app *App
	f   *follower
}

func newPolicies(a *App, checkpoints Checkpoints) *Policies {
	p := &Policies{app: a}
	p.f = &follower{name: PoliciesHandler, store: a.store, checkpoints: checkpoints, log: a.log, pageSize: 256, handle: p.HandleEvent}
	return p
}

// Run follows the log until ctx ends.
func (p *Policies) Run(ctx context.Context) error { return p.f.run(ctx) }

// Step handles one page of the log and reports how many events it read.
func (p *Policies) Step(ctx context.Context) (int, error) { return p.f.step(ctx) }

// Position is the log position the policies have handled up to.
func (p *Policies) Position() int64 { return p.f.position }

// policyEvents are the event types a policy reacts to; the others are
// skipped without decoding.
var policyEvents = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range []eventsourcing.Event{
		registrations.OrderExpired{}, registrations.OrderRejected{}, registrations.OrderCancelled{},
		registrations.SeatReservationCancelled{}, registrations.SoldSeatsCancelled{},
		registrations.SeatQuotaIncreased{}, registrations.SeatAllocationReturned{}, registrations.WaitlistJoined{},
	} {
		m[e.EventType()] = true
	}
	return m
}()

// HandleEvent applies the policies to one stored event.
func (p *Policies) HandleEvent(ctx context.Context, e eventstore.Event) error {
	if !policyEvents[e.Type] {
		return nil
	}
	ev, err := p.app.events.Decode(e.Type, e.Schema, e.Data)
	if err != nil {
		return err
	}
	switch m := ev.(type) {
	case registrations.OrderExpired:
		return p.app.releasePromo(ctx, m.OrderID)
	case registrations.OrderRejected:
		return p.app.releasePromo(ctx, m.OrderID)
	case registrations.OrderCancelled:
		return p.app.releasePromo(ctx, m.OrderID)
	case registrations.SeatReservationCancelled:
		return p.waitlist(ctx, m.ConferenceID, e.EventID)
	case registrations.SoldSeatsCancelled:
		return p.waitlist(ctx, m.ConferenceID, e.EventID)
	case registrations.SeatQuotaIncreased:
		return p.waitlist(ctx, m.ConferenceID, e.EventID)
	case registrations.SeatAllocationReturned:
		return p.waitlist(ctx, m.ConferenceID, e.EventID)
	case registrations.WaitlistJoined:
		return p.waitlist(ctx, m.ConferenceID, e.EventID)
	}
	return nil
}

func (p *Policies) waitlist(ctx context.Context, conferenceID, eventID uuid.UUID) error {
	done, err := p.app.store.IsProcessed(ctx, waitlistHandler, eventID)
	if err != nil || done {
		return err
	}
	return p.app.reconcileWaitlist(ctx, conferenceID, &eventstore.Processed{Handler: waitlistHandler, MessageID: eventID})
}

// releasePromo gives back the promo-code use of an order that will not
// complete. An order without a code, or whose use is back already, changes
// nothing.
func (a *App) releasePromo(ctx context.Context, orderID uuid.UUID) error {
	o, err := a.orders.Load(ctx, registrations.OrderStreamID(orderID))
	if errors.Is(err, eventsourcing.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	code := o.PromoCode()
	if code == "" {
		return nil
	}
	stream := registrations.PromoUsageStreamID(o.ConferenceID(), code)
	err = a.promos.Update(ctx, stream, eventsourcing.Metadata{CorrelationID: orderID}, func(u *registrations.PromoCodeUsage) error {
		if err := u.Release(orderID); errors.Is(err, registrations.ErrPromoNotRedeemed) {
			return nil
		} else if err != nil {
			return err
		}
		return nil
	})
	return wrap(err, "release promo code %s of order %s", code, orderID)
}
