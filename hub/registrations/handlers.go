package registrationsapp

import (
	"context"
	"fmt"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/messaging"
	"conference/shared/registrations"
)

// Bus is the part of messaging.Bus the handlers register on.
type Bus interface {
	HandleCommand(commandType string, h messaging.Handler) error
}

var _ Bus = (*messaging.Bus)(nil)

// BatchBus is a Bus that also takes handlers of command batches
// (messaging.Bus is one).
type BatchBus interface {
	Bus
	HandleCommandBatch(commandTypes []string, lane func(eventstore.Message) string, h messaging.BatchHandler) error
}

var _ BatchBus = (*messaging.Bus)(nil)

// RegisterHandlers registers a handler on bus for every command the
// RegistrationProcess sends. On a BatchBus the availability commands of
// one conference travel in one lane and reach the desk in batches, in
// outbox order.
func (a *App) RegisterHandlers(bus Bus) error {
	handlers := a.CommandHandlers()
	if bb, ok := bus.(BatchBus); ok {
		var types []string
		for name := range availabilityRules {
			types = append(types, name)
			delete(handlers, name)
		}
		desk := newAvailabilityDesk(a)
		if err := bb.HandleCommandBatch(types, a.availabilityLane, desk.batchHandler); err != nil {
			return fmt.Errorf("register availability commands: %w", err)
		}
	}
	for name, h := range handlers {
		if err := bus.HandleCommand(name, h); err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	return nil
}

// CommandHandlers returns the handler of every command the process sends,
// by command type. Aggregate handlers save their effect with the bus's
// processed mark (messaging.Processed) in one batch, so handling and
// marking are atomic; port handlers (payments, notifications) rely on the
// port being idempotent.
func (a *App) CommandHandlers() map[string]messaging.Handler {
	handlers := map[string]messaging.Handler{
		registrations.MarkSeatsAsReserved{}.CommandType(): a.onOrder(func(c registrations.Command, o *registrations.Order) error {
			m := c.(registrations.MarkSeatsAsReserved)
			return o.MarkSeatsReserved(m.Seats, m.ExpiresAt)
		}),
		registrations.ReinstateOrder{}.CommandType(): a.onOrder(func(c registrations.Command, o *registrations.Order) error {
			m := c.(registrations.ReinstateOrder)
			return o.Reinstate(m.Seats, m.ExpiresAt)
		}),
		registrations.ConfirmOrder{}.CommandType(): a.onOrder(func(_ registrations.Command, o *registrations.Order) error {
			return o.Confirm(a.now())
		}),
		registrations.ExpireOrder{}.CommandType(): a.onOrder(func(_ registrations.Command, o *registrations.Order) error {
			return o.Expire(a.now())
		}),
		registrations.RejectOrder{}.CommandType(): a.onOrder(func(c registrations.Command, o *registrations.Order) error {
			return o.Reject(c.(registrations.RejectOrder).Reason, a.now())
		}),
		registrations.InitiatePayment{}.CommandType(): a.onPort(func(ctx context.Context, c registrations.Command) error {
			return a.payments.Initiate(ctx, c.(registrations.InitiatePayment))
		}),
		registrations.RefundPayment{}.CommandType(): a.onPort(func(ctx context.Context, c registrations.Command) error {
			return a.payments.Refund(ctx, c.(registrations.RefundPayment))
		}),
		registrations.NotifyRegistrant{}.CommandType(): a.onPort(func(ctx context.Context, c registrations.Command) error {
			return a.notifier.Notify(ctx, c.(registrations.NotifyRegistrant))
		}),
		registrations.ReservationTimeout{}.CommandType(): a.onTimeout,
		WaitlistOfferDue{}.CommandType():                 a.onOfferDue,
		RefundSeats{}.CommandType():                      a.onRefundSeats,
		WaitlistSeats{}.CommandType():                    a.onWaitlistSeats,
	}
	desk := newAvailabilityDesk(a)
	for name := range availabilityRules {
		handlers[name] = desk.handler(name)
	}
	return handlers
}

// availabilityRules are the SeatsAvailability commands, served by the
// availabilityDesk, with what each does to the inventory.
var availabilityRules = map[string]func(registrations.Command, *registrations.SeatsAvailability) error{
	registrations.MakeSeatReservation{}.CommandType(): func(c registrations.Command, s *registrations.SeatsAvailability) error {
		m := c.(registrations.MakeSeatReservation)
		return s.MakeReservation(m.ReservationID, m.Seats)
	},
	registrations.CommitSeatReservation{}.CommandType(): func(c registrations.Command, s *registrations.SeatsAvailability) error {
		return s.CommitReservation(c.(registrations.CommitSeatReservation).ReservationID)
	},
	registrations.CancelSeatReservation{}.CommandType(): func(c registrations.Command, s *registrations.SeatsAvailability) error {
		return s.CancelReservation(c.(registrations.CancelSeatReservation).ReservationID)
	},
	registrations.CancelSoldSeats{}.CommandType(): func(c registrations.Command, s *registrations.SeatsAvailability) error {
		return s.CancelSoldSeats(c.(registrations.CancelSoldSeats).OrderID)
	},
	registrations.RecordOnSiteSale{}.CommandType(): func(c registrations.Command, s *registrations.SeatsAvailability) error {
		m := c.(registrations.RecordOnSiteSale)
		return s.RecordOnSiteSale(m.KioskID, m.OrderID, m.Seats)
	},
}

// streamOf names the aggregate a command targets.
func streamOf(c registrations.Command) string {
	switch m := c.(type) {
	case registrations.MakeSeatReservation:
		return registrations.AvailabilityStreamID(m.ConferenceID)
	case registrations.CommitSeatReservation:
		return registrations.AvailabilityStreamID(m.ConferenceID)
	case registrations.CancelSeatReservation:
		return registrations.AvailabilityStreamID(m.ConferenceID)
	case registrations.CancelSoldSeats:
		return registrations.AvailabilityStreamID(m.ConferenceID)
	case registrations.RecordOnSiteSale:
		return registrations.AvailabilityStreamID(m.ConferenceID)
	case registrations.MarkSeatsAsReserved:
		return registrations.OrderStreamID(m.OrderID)
	case registrations.ReinstateOrder:
		return registrations.OrderStreamID(m.OrderID)
	case registrations.ConfirmOrder:
		return registrations.OrderStreamID(m.OrderID)
	case registrations.ExpireOrder:
		return registrations.OrderStreamID(m.OrderID)
	case registrations.RejectOrder:
		return registrations.OrderStreamID(m.OrderID)
	}
	return ""
}

func (a *App) onOrder(do func(registrations.Command, *registrations.Order) error) messaging.Handler {
	return func(ctx context.Context, m eventstore.Message) error {
		cmd, err := a.commands.Decode(m)
		if err != nil {
			return err
		}
		err = a.orders.Update(ctx, streamOf(cmd), metaFor(ctx, m), func(o *registrations.Order) error { return do(cmd, o) })
		return wrap(err, "handle %s %s", m.Type, m.ID)
	}
}

func (a *App) onPort(do func(context.Context, registrations.Command) error) messaging.Handler {
	return func(ctx context.Context, m eventstore.Message) error {
		cmd, err := a.commands.Decode(m)
		if err != nil {
			return err
		}
		return wrap(do(ctx, cmd), "handle %s %s", m.Type, m.ID)
	}
}

// onTimeout delivers a due ReservationTimeout back to its process, with the
// bus's processed mark in the process's batch.
func (a *App) onTimeout(ctx context.Context, m eventstore.Message) error {
	cmd, err := a.commands.Decode(m)
	if err != nil {
		return err
	}
	err = a.Process.handle(ctx, m.ID, cmd.(registrations.ReservationTimeout), messaging.Processed(ctx))
	return wrap(err, "handle %s %s", m.Type, m.ID)
}

func metaFor(ctx context.Context, m eventstore.Message) eventsourcing.Metadata {
	return eventsourcing.Metadata{CorrelationID: m.CorrelationID, CausationID: m.ID, Processed: messaging.Processed(ctx)}
}
