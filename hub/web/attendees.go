package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/readmodels"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

// attendeesPage lets the registrant name who sits in each seat.
type attendeesPage struct {
	OrderID string
	Seats   []readmodels.SeatPosition
	Form    *form
}

// orderSeats lists a confirmed order's seats with their seat type names,
// from the registrations context (the read models only hold seats once
// the first one is named).
func (s *site) orderSeats(ctx context.Context, o registrationsapp.OrderView) ([]readmodels.SeatPosition, error) {
	positions, err := s.hub.Registrations.Seats(ctx, o.OrderID)
	if err != nil {
		return nil, err
	}
	_, _, names := s.seatNames(ctx, o.ConferenceID)
	for _, p := range positions {
		if names[p.SeatType] == "" {
			// The read models have not described the seat type yet.
			if sts, err := s.hub.Conferences.ListPublishedSeatTypes(ctx, o.ConferenceID); err == nil {
				for _, st := range sts {
					names[st.ID] = st.Name
				}
			}
			break
		}
	}
	out := make([]readmodels.SeatPosition, 0, len(positions))
	for _, p := range positions {
		out = append(out, readmodels.SeatPosition{Position: p.Position, SeatType: p.SeatType, SeatTypeName: names[p.SeatType], Attendee: p.Attendee})
	}
	return out, nil
}

// confirmedFor is orderFor for the attendee pages: an order not confirmed
// yet sends the registrant back to it.
func (s *site) confirmedFor(c echo.Context) (registrationsapp.OrderView, bool, error) {
	o, ok, err := s.orderFor(c)
	if !ok || err != nil {
		return o, false, err
	}
	if o.Status != registrations.OrderStatusConfirmed {
		s.flash.Set(c, "Attendees can be named once the order is confirmed.")
		return o, false, redirect(c, "/orders/"+o.OrderID.String())
	}
	return o, true, nil
}

func (s *site) attendeesForm(c echo.Context) error {
	o, ok, err := s.confirmedFor(c)
	if !ok || err != nil {
		return err
	}
	seats, err := s.orderSeats(c.Request().Context(), o)
	if err != nil {
		return s.attendeesUnavailable(c, o.OrderID, err)
	}
	f := newForm(nil)
	for _, p := range seats {
		k := strconv.Itoa(p.Position)
		f.Values.Set("name_"+k, p.Attendee.Name)
		f.Values.Set("email_"+k, p.Attendee.Email)
		f.Values.Set("company_"+k, p.Attendee.Company)
		f.Values.Set("role_"+k, p.Attendee.Role)
	}
	return s.renderAttendees(c, http.StatusOK, o.OrderID, seats, f)
}

func (s *site) renderAttendees(c echo.Context, status int, orderID uuid.UUID, seats []readmodels.SeatPosition, f *form) error {
	return s.render(c, status, "attendees", view{Title: "Attendees", Section: "home",
		Data: attendeesPage{OrderID: orderID.String(), Seats: seats, Form: f}})
}

// attendeesUnavailable explains a refusal that is not about a field (a
// walk-up order whose seats come from its kiosk).
func (s *site) attendeesUnavailable(c echo.Context, orderID uuid.UUID, err error) error {
	var de *registrations.Error
	if !errors.As(err, &de) {
		return err
	}
	s.flash.Set(c, capitalize(de.Message)+".")
	return redirect(c, "/orders/"+orderID.String())
}

// attendeeHints say what an empty field of a named seat needs.
var attendeeHints = map[string]string{
	"name":  "Enter the attendee's name, or clear the seat's fields to leave it unnamed.",
	"email": "Enter the attendee's email.",
}

// assignAttendees saves the attendee form: a seat with a name or an email
// typed is assigned, a seat left entirely empty is emptied. Every change
// goes in one append, so a refused field saves nothing and the form comes
// back with what was typed and the message by the field.
func (s *site) assignAttendees(c echo.Context) error {
	o, ok, err := s.confirmedFor(c)
	if !ok || err != nil {
		return err
	}
	ctx := c.Request().Context()
	seats, err := s.orderSeats(ctx, o)
	if err != nil {
		return s.attendeesUnavailable(c, o.OrderID, err)
	}
	f := newForm(formValues(c))
	var changes []registrationsapp.Assignment
	var keys []string // form key of each change
	for _, p := range seats {
		k := strconv.Itoa(p.Position)
		a := registrations.Attendee{
			Name: strings.TrimSpace(f.Get("name_" + k)), Email: strings.TrimSpace(f.Get("email_" + k)),
			Company: strings.TrimSpace(f.Get("company_" + k)), Role: strings.TrimSpace(f.Get("role_" + k)),
		}
		switch {
		case a.IsZero() && p.Attendee.IsZero():
			continue
		case a.IsZero():
			changes = append(changes, registrationsapp.Assignment{Position: p.Position})
		default:
			// Every seat is checked, so the form shows all its errors.
			if err := a.Validate(); err != nil {
				if !failFields(f, err, attendeeHints, "_"+k) {
					return err
				}
				continue
			}
			changes = append(changes, registrationsapp.Assignment{Position: p.Position, Attendee: &a})
		}
		keys = append(keys, k)
	}
	if f.OK() && len(changes) == 0 {
		s.flash.Set(c, "Nothing to save.")
		return redirect(c, "/orders/"+o.OrderID.String()+"/attendees")
	}
	if f.OK() {
		_, err = s.hub.Registrations.AssignSeats(ctx, o.OrderID, changes)
		var ae *registrationsapp.AssignmentError
		switch {
		case err == nil:
			s.flash.Set(c, "Attendees saved. Their badges will show these names.")
			return redirect(c, "/orders/"+o.OrderID.String())
		case errors.As(err, &ae) && ae.Index < len(keys) && failFields(f, err, attendeeHints, "_"+keys[ae.Index]):
			// The refused seat's fields are marked; the form comes back.
		default:
			return s.attendeesUnavailable(c, o.OrderID, err)
		}
	}
	return s.renderAttendees(c, http.StatusUnprocessableEntity, o.OrderID, seats, f)
}
