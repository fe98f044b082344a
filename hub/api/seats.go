package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

var errNotConfirmed = apiErr(http.StatusConflict, CodeNotConfirmed, "", "seats can be assigned once the order is confirmed")

// seatsError maps the assignment use case's refusals: the order state to
// errNotConfirmed, a refused change to the field of its index.
func seatsError(err error) error {
	if errors.Is(err, registrationsapp.ErrNotConfirmed) {
		return errNotConfirmed
	}
	var ae *registrationsapp.AssignmentError
	if !errors.As(err, &ae) {
		return err
	}
	out := *toAPIError(ae.Err)
	if out.Status >= 500 {
		return &out
	}
	field := fmt.Sprintf("assignments[%d]", ae.Index)
	switch out.Field {
	case "":
	case "position":
		field += ".position"
	default: // an attendee's detail: name, email, company, role
		field += ".attendee." + out.Field
	}
	out.Field = field
	return &out
}

// seatJSON is one purchased seat and who sits in it.
type seatJSON struct {
	Position int                     `json:"position"`
	SeatType uuid.UUID               `json:"seat_type"`
	Attendee *registrations.Attendee `json:"attendee"`
}

func (a *api) handleGetSeats(c echo.Context) error {
	positions, err := a.h.Registrations.Seats(c.Request().Context(), orderOf(c).OrderID)
	if err != nil {
		return seatsError(err)
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

func (in assignSeatsInput) changes() ([]registrationsapp.Assignment, error) {
	if len(in.Assignments) == 0 {
		return nil, invalid("assignments", "at least one assignment is required")
	}
	if len(in.Assignments) > maxAssignments {
		return nil, invalid("assignments", "at most %d assignments per request", maxAssignments)
	}
	out := make([]registrationsapp.Assignment, 0, len(in.Assignments))
	for i, as := range in.Assignments {
		if as.Position == nil {
			return nil, invalid(fmt.Sprintf("assignments[%d].position", i), "is required")
		}
		if *as.Position < 0 {
			return nil, invalid(fmt.Sprintf("assignments[%d].position", i), "must not be negative")
		}
		ch := registrationsapp.Assignment{Position: *as.Position}
		if as.Attendee != nil {
			ch.Attendee = &registrations.Attendee{Name: as.Attendee.Name, Email: as.Attendee.Email, Company: as.Attendee.Company, Role: as.Attendee.Role}
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
	positions, err := a.h.Registrations.AssignSeats(ctx, order.OrderID, changes)
	if err != nil {
		return seatsError(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"seats": toSeatsJSON(positions)})
}
