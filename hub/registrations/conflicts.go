package registrationsapp

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/messaging"
	"conference/shared/registrations"
)

// RefundSeats asks the payments side to give back what seats taken away by
// a conflict resolution cost (refund or waitlist). RefundID is derived from
// conference, conflict and order, so a redelivered command refunds once.
type RefundSeats struct {
	RefundID     uuid.UUID           `json:"refund_id"`
	ConferenceID uuid.UUID           `json:"conference_id"`
	OrderID      uuid.UUID           `json:"order_id"`
	Conflict     int                 `json:"conflict"`
	SeatType     uuid.UUID           `json:"seat_type"`
	Quantity     int                 `json:"quantity"`
	Amount       registrations.Money `json:"amount"`
	Reason       string              `json:"reason"`
}

// CommandType implements registrations.Command.
func (RefundSeats) CommandType() string { return "registrations.RefundSeats" }

// WaitlistSeats puts the holder of seats taken back by a "waitlist"
// resolution in line for them again.
type WaitlistSeats struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	OrderID      uuid.UUID `json:"order_id"`
	Conflict     int       `json:"conflict"`
	SeatType     uuid.UUID `json:"seat_type"`
	Quantity     int       `json:"quantity"`
}

// CommandType implements registrations.Command.
func (WaitlistSeats) CommandType() string { return "registrations.WaitlistSeats" }

// conflictNamespace derives refund and waitlist entry ids of resolutions.
var conflictNamespace = uuid.MustParse("a8f3a0f4-52a7-4f0e-9d0c-0b8e6f9d3c21")

func conflictID(kind string, conferenceID uuid.UUID, conflict int, orderID uuid.UUID) uuid.UUID {
	name := make([]byte, 0, 64)
	name = append(name, kind...)
	name = append(name, conferenceID[:]...)
	name = strconv.AppendInt(name, int64(conflict), 10)
	name = append(name, orderID[:]...)
	return uuid.NewSHA1(conflictNamespace, name)
}

// ResolveConflict records the organizer's resolution of a seat-quota
// conflict on the conference's SeatsAvailability (the rules are
// SeatsAvailability.ResolveConflict's) and returns the resolution event,
// which sync carries to the kiosks like any hub event. Seats taken back
// (refund, waitlist) are refunded at the price the order paid for them,
// and for "waitlist" their holder is put in line again: both as commands
// written in the same transaction as the resolution, so neither is lost
// nor done twice. Raising the quota here does not change Conference
// Management's quota: the caller brings it along (hubapp does).
func (r *Registrations) ResolveConflict(ctx context.Context, conferenceID uuid.UUID, number int, res registrations.Resolution) (registrations.SeatQuotaConflictResolved, error) {
	var resolved registrations.SeatQuotaConflictResolved
	stream := registrations.AvailabilityStreamID(conferenceID)
	err := r.app.availability.UpdateWith(ctx, stream, func(s *registrations.SeatsAvailability) (eventsourcing.Metadata, error) {
		if s.Version() == 0 {
			return eventsourcing.Metadata{}, fmt.Errorf("conflict %d: %w", number, registrations.ErrConflictNotFound)
		}
		if err := s.ResolveConflict(number, res); err != nil {
			return eventsourcing.Metadata{}, err
		}
		for _, e := range eventsourcing.Changes(s) {
			if ev, ok := e.(registrations.SeatQuotaConflictResolved); ok {
				resolved = ev
			}
		}
		cmds, err := r.app.resolutionCommands(ctx, resolved)
		if err != nil {
			return eventsourcing.Metadata{}, err
		}
		conversation := conflictID("conversation", conferenceID, number, uuid.Nil)
		outbox, err := r.app.commands.EncodeAll(cmds, conversation, conversation)
		if err != nil {
			return eventsourcing.Metadata{}, err
		}
		return eventsourcing.Metadata{CorrelationID: conversation, Outbox: outbox}, nil
	})
	if err != nil {
		return registrations.SeatQuotaConflictResolved{}, wrap(err, "resolve conflict %d of conference %s", number, conferenceID)
	}
	return resolved, nil
}

// resolutionCommands are the refunds and waitlist entries a resolution
// that took seats back owes their holders.
func (a *App) resolutionCommands(ctx context.Context, e registrations.SeatQuotaConflictResolved) ([]registrations.Command, error) {
	if e.Kind != registrations.ResolveRefund && e.Kind != registrations.ResolveWaitlist {
		return nil, nil
	}
	var cmds []registrations.Command
	for _, ch := range e.Orders {
		o, err := a.orders.Load(ctx, registrations.OrderStreamID(ch.OrderID))
		if err != nil {
			return nil, wrap(notFound(err), "order %s of conflict %d", ch.OrderID, e.Conflict)
		}
		cmds = append(cmds, RefundSeats{
			RefundID: conflictID("refund", e.ConferenceID, e.Conflict, ch.OrderID), ConferenceID: e.ConferenceID,
			OrderID: ch.OrderID, Conflict: e.Conflict, SeatType: e.SeatType, Quantity: ch.Quantity,
			Amount: seatsPrice(o.Quote(), e.SeatType, ch.Quantity),
			Reason: fmt.Sprintf("seat quota conflict %d: %d seat(s) could not be held", e.Conflict, ch.Quantity),
		})
		if e.Kind == registrations.ResolveWaitlist {
			cmds = append(cmds, WaitlistSeats{ConferenceID: e.ConferenceID, OrderID: ch.OrderID, Conflict: e.Conflict,
				SeatType: e.SeatType, Quantity: ch.Quantity})
		}
	}
	return cmds, nil
}

// seatsPrice is what n seats of seatType cost in quote: their share of the
// line's total (after a seat-type promo; an order-wide discount is not
// apportioned).
func seatsPrice(q registrations.Quote, seatType uuid.UUID, n int) registrations.Money {
	for _, l := range q.Lines {
		if l.SeatType == seatType && l.Quantity > 0 {
			return registrations.NewMoney(l.Total.Amount*int64(min(n, l.Quantity))/int64(l.Quantity), l.Total.Currency)
		}
	}
	return registrations.NewMoney(0, q.Total.Currency)
}

// onRefundSeats hands a refund to the port, which is idempotent by
// RefundID.
func (a *App) onRefundSeats(ctx context.Context, m eventstore.Message) error {
	cmd, err := a.commands.Decode(m)
	if err != nil {
		return err
	}
	return wrap(a.refunds.RefundSeats(ctx, cmd.(RefundSeats)), "handle %s %s", m.Type, m.ID)
}

// onWaitlistSeats puts the holder of seats taken back in line for them,
// with the bus's processed mark in the waitlist's batch. A holder the hub
// cannot contact (a walk-up buyer who gave no email) or who is waiting
// already is not added again.
func (a *App) onWaitlistSeats(ctx context.Context, m eventstore.Message) error {
	cmd, err := a.commands.Decode(m)
	if err != nil {
		return err
	}
	w := cmd.(WaitlistSeats)
	o, err := a.orders.Load(ctx, registrations.OrderStreamID(w.OrderID))
	if err != nil {
		return wrap(notFound(err), "handle %s %s", m.Type, m.ID)
	}
	name, email := o.Registrant()
	if email == "" {
		a.log.Warn("conflict resolution: seats holder has no email, not put on the waitlist", "order", w.OrderID, "conflict", w.Conflict)
		return nil
	}
	entryID := conflictID("waitlist", w.ConferenceID, w.Conflict, w.OrderID)
	conversation := WaitlistConversation(w.ConferenceID)
	err = a.waitlists.Update(ctx, registrations.WaitlistStreamID(w.ConferenceID),
		eventsourcing.Metadata{CorrelationID: conversation, CausationID: m.ID, Processed: messaging.Processed(ctx)},
		func(wl *registrations.Waitlist) error {
			if _, ok := wl.Entry(entryID); ok {
				return nil
			}
			err := wl.Join(w.ConferenceID, entryID, name, email, w.SeatType, w.Quantity, a.now())
			if errors.Is(err, registrations.ErrAlreadyWaiting) {
				return nil
			}
			if registrations.ErrorCode(err) == registrations.CodeInvalid {
				// A walk-up buyer's details the waitlist does not take:
				// retrying cannot help; the refund went out regardless.
				a.log.Warn("conflict resolution: seats holder not put on the waitlist", "order", w.OrderID, "err", err)
				return nil
			}
			return err
		})
	return wrap(err, "handle %s %s", m.Type, m.ID)
}
