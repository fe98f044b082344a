package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/hubapp"
	registrationsapp "conference/hub/registrations"
	"conference/shared/eventsourcing"
	"conference/shared/registrations"
)

// seatAssignments is the SeatAssignments use case the registrant pages
// and the API share.
//
// It lives here until hub/registrations has one (Registrations.AssignSeats
// would be its home): it only loads the aggregate, lets it decide and saves
// it; the rules are SeatAssignments' own.
type seatAssignments struct {
	repo *eventsourcing.Repository[*registrations.SeatAssignments]
}

func newSeatAssignments(h *hubapp.Hub) *seatAssignments {
	return &seatAssignments{repo: eventsourcing.NewRepository(h.Store, h.App.Events(), registrations.NewSeatAssignments)}
}

// positions lists the seats of a confirmed order; before the first
// assignment they are the order's sold seats, all unassigned, numbered as
// SeatAssignments.Create numbers them.
func (s *seatAssignments) positions(ctx context.Context, order registrationsapp.OrderView) ([]registrations.SeatPosition, error) {
	if order.Status != registrations.OrderStatusConfirmed {
		return nil, errNotConfirmed
	}
	agg, err := s.repo.Load(ctx, registrations.AssignmentsStreamID(order.OrderID))
	if errors.Is(err, eventsourcing.ErrNotFound) {
		agg = registrations.NewSeatAssignments()
		if err := agg.Create(order.OrderID, order.ConferenceID, order.Reserved); err != nil {
			return nil, err
		}
		return agg.Positions(), nil
	}
	if err != nil {
		return nil, err
	}
	return agg.Positions(), nil
}

// assignment puts an attendee in a position; a nil attendee empties it.
type assignment struct {
	position int
	attendee *registrations.Attendee
}

// assign applies every assignment to the order's seats in one append: all
// of them or none.
func (s *seatAssignments) assign(ctx context.Context, order registrationsapp.OrderView, changes []assignment) error {
	if order.Status != registrations.OrderStatusConfirmed {
		return errNotConfirmed
	}
	return s.repo.Update(ctx, registrations.AssignmentsStreamID(order.OrderID), eventsourcing.Metadata{CorrelationID: order.OrderID},
		func(agg *registrations.SeatAssignments) error {
			if agg.Version() == 0 {
				if err := agg.Create(order.OrderID, order.ConferenceID, order.Reserved); err != nil {
					return err
				}
			}
			for i, ch := range changes {
				var err error
				if ch.attendee == nil {
					err = agg.UnassignSeat(ch.position)
				} else {
					err = agg.AssignSeat(ch.position, *ch.attendee)
				}
				if err != nil {
					return &fieldError{field: fmt.Sprintf("assignments[%d]", i), err: err}
				}
			}
			return nil
		})
}

var errNotConfirmed = apiErr(http.StatusConflict, CodeNotConfirmed, "", "seats can be assigned once the order is confirmed")

// fieldError names the input a domain error is about, keeping the error
// matchable.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

// seatJSON is one purchased seat and who sits in it.
type seatJSON struct {
	Position int                     `json:"position"`
	SeatType uuid.UUID               `json:"seat_type"`
	Attendee *registrations.Attendee `json:"attendee"`
}

func (a *api) handleGetSeats(c echo.Context) error {
	positions, err := a.seats.positions(c.Request().Context(), orderOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"seats": toSeatsJSON(positions)})
}

func toSeatsJSON(positions []registrations.SeatPosition) []seatJSON {
	out := make([]seatJSON, 0, len(positions))
	for _, p := range positions {
		s := seatJSON{Position: p.Position, SeatType: p.SeatType}
		if !p.Attendee.IsZero() {
			att := p.Attendee
			s.Attendee = &att
		}
		out = append(out, s)
	}
	return out
}

// assignSeatsInput is the body of PUT /orders/{id}/seats.
type assignSeatsInput struct {
	Assignments []assignmentInput `json:"assignments"`
}

type assignmentInput struct {
	Position *int           `json:"position"`
	Attendee *attendeeInput `json:"attendee"`
}

type attendeeInput struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Company string `json:"company"`
	Role    string `json:"role"`
}

// maxAssignments bounds one request; an order has at most this many seats
// of one type anyway.
const maxAssignments = registrations.MaxSeatsPerLine

func (in assignSeatsInput) changes() ([]assignment, error) {
	if len(in.Assignments) == 0 {
		return nil, invalid("assignments", "at least one assignment is required")
	}
	if len(in.Assignments) > maxAssignments {
		return nil, invalid("assignments", "at most %d assignments per request", maxAssignments)
	}
	out := make([]assignment, 0, len(in.Assignments))
	for i, as := range in.Assignments {
		if as.Position == nil {
			return nil, invalid(fmt.Sprintf("assignments[%d].position", i), "is required")
		}
		if *as.Position < 0 {
			return nil, invalid(fmt.Sprintf("assignments[%d].position", i), "must not be negative")
		}
		ch := assignment{position: *as.Position}
		if as.Attendee != nil {
			ch.attendee = &registrations.Attendee{Name: as.Attendee.Name, Email: as.Attendee.Email, Company: as.Attendee.Company, Role: as.Attendee.Role}
		}
		out = append(out, ch)
	}
	return out, nil
}

func (a *api) handleAssignSeats(c echo.Context) error {
	ctx := c.Request().Context()
	order := orderOf(c)
	var in assignSeatsInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	changes, err := in.changes()
	if err != nil {
		return err
	}
	if err := a.seats.assign(ctx, order, changes); err != nil {
		return withField(err)
	}
	positions, err := a.seats.positions(ctx, order)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"seats": toSeatsJSON(positions)})
}

// withField maps err and names the field a *fieldError points at.
func withField(err error) error {
	var fe *fieldError
	if !errors.As(err, &fe) {
		return err
	}
	ae := *toAPIError(fe.err)
	if ae.Status < 500 && (ae.Field == "" || ae.Field == "position") {
		if ae.Field == "position" {
			ae.Field = fe.field + ".position"
		} else {
			ae.Field = fe.field
		}
	}
	return &ae
}
