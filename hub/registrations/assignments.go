package registrationsapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/registrations"
)

// Errors of the seat assignment use cases, beyond the domain's.
var (
	// ErrNotConfirmed: seats are named once the order is confirmed.
	ErrNotConfirmed = &registrations.Error{Code: registrations.CodeConflict, Message: "seats can be assigned once the order is confirmed"}
	// ErrAssignedAtKiosk: a walk-up order's seats are created by the kiosk
	// that sold it; the hub waits for them to arrive through sync rather
	// than create a second, competing stream.
	ErrAssignedAtKiosk = &registrations.Error{Code: registrations.CodeConflict,
		Message: "this order was sold at a kiosk; its seats can be named once the kiosk has synced"}
)

// Assignment is one change to an order's seats: Attendee goes into the
// seat at Position, or, when Attendee is nil, the seat is emptied.
type Assignment struct {
	Position int
	Attendee *registrations.Attendee
}

// AssignmentError names which assignment of a call a domain refusal is
// about (its index in the list), keeping the refusal matchable.
type AssignmentError struct {
	Index int
	Err   error
}

func (e *AssignmentError) Error() string { return fmt.Sprintf("assignment %d: %v", e.Index, e.Err) }
func (e *AssignmentError) Unwrap() error { return e.Err }

// Seats lists the seats of a confirmed order with who sits in each. Before
// anyone is named, the positions are those SeatAssignments.Create would
// record (one per sold seat, in seat type order), all empty: nothing is
// written by reading. An order not confirmed is ErrNotConfirmed.
func (r *Registrations) Seats(ctx context.Context, orderID uuid.UUID) ([]registrations.SeatPosition, error) {
	s, err := r.app.assignments.Load(ctx, registrations.AssignmentsStreamID(orderID))
	if err == nil {
		return s.Positions(), nil
	}
	if !errors.Is(err, eventsourcing.ErrNotFound) {
		return nil, wrap(err, "seats of order %s", orderID)
	}
	o, err := r.confirmedOrder(ctx, orderID)
	if err != nil {
		return nil, err
	}
	s = registrations.NewSeatAssignments()
	if err := s.Create(orderID, o.ConferenceID(), o.Reserved()); err != nil {
		return nil, wrap(err, "seats of order %s", orderID)
	}
	return s.Positions(), nil
}

// AssignSeats applies every change to a confirmed order's seats in one
// append: all of them or none. The order's SeatAssignments stream is
// created with the first change (the registration process does not create
// it). The rules (validation, reassignment, corrections of the same
// person) are SeatAssignments'; a refusal is wrapped in *AssignmentError
// naming the change. It returns the seats as they are afterwards.
func (r *Registrations) AssignSeats(ctx context.Context, orderID uuid.UUID, changes []Assignment) ([]registrations.SeatPosition, error) {
	if len(changes) == 0 {
		return nil, &registrations.Error{Code: registrations.CodeInvalid, Message: "at least one assignment is required"}
	}
	var positions []registrations.SeatPosition
	err := r.app.assignments.Update(ctx, registrations.AssignmentsStreamID(orderID), eventsourcing.Metadata{CorrelationID: orderID},
		func(s *registrations.SeatAssignments) error {
			if s.Version() == 0 {
				o, err := r.confirmedOrder(ctx, orderID)
				if err != nil {
					return err
				}
				if o.KioskID() != "" {
					return ErrAssignedAtKiosk
				}
				if err := s.Create(orderID, o.ConferenceID(), o.Reserved()); err != nil {
					return err
				}
			}
			for i, ch := range changes {
				var err error
				if ch.Attendee == nil {
					err = s.UnassignSeat(ch.Position)
				} else {
					err = s.AssignSeat(ch.Position, *ch.Attendee)
				}
				if err != nil {
					return &AssignmentError{Index: i, Err: err}
				}
			}
			positions = s.Positions()
			return nil
		})
	if err != nil {
		return nil, wrap(err, "assign seats of order %s", orderID)
	}
	return positions, nil
}

// UnassignSeats empties the seats at positions (already empty ones stay
// as they are): AssignSeats with no attendees.
func (r *Registrations) UnassignSeats(ctx context.Context, orderID uuid.UUID, positions ...int) ([]registrations.SeatPosition, error) {
	changes := make([]Assignment, len(positions))
	for i, p := range positions {
		changes[i] = Assignment{Position: p}
	}
	return r.AssignSeats(ctx, orderID, changes)
}

// confirmedOrder loads an order whose seats may be named.
func (r *Registrations) confirmedOrder(ctx context.Context, orderID uuid.UUID) (*registrations.Order, error) {
	o, err := r.app.orders.Load(ctx, registrations.OrderStreamID(orderID))
	if err != nil {
		return nil, wrap(notFound(err), "order %s", orderID)
	}
	if o.Status() != registrations.OrderStatusConfirmed {
		return nil, fmt.Errorf("order %s is %s: %w", orderID, o.Status(), ErrNotConfirmed)
	}
	return o, nil
}
