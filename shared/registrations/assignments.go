package registrations

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

// Attendee is the person who will sit in a seat and wear its badge.
type Attendee struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Company string `json:"company,omitempty"`
	Role    string `json:"role,omitempty"`
}

// IsZero reports an empty position.
func (a Attendee) IsZero() bool { return a == Attendee{} }

// Validate reports every problem with the attendee's details as
// AssignSeat would (one *Error per field at fault, joined),
// so a form can check all its seats at once before saving any.
func (a Attendee) Validate() error {
	_, err := a.validate()
	return err
}

// validate checks every field and returns the attendee trimmed.
func (a Attendee) validate() (Attendee, error) {
	var err error
	a.Name, a.Email, err = validPerson(a.Name, a.Email, true)
	errs := []error{err}
	a.Company, a.Role = strings.TrimSpace(a.Company), strings.TrimSpace(a.Role)
	for _, f := range []struct{ field, value string }{{"company", a.Company}, {"role", a.Role}} {
		if len([]rune(f.value)) > maxNameLength {
			errs = append(errs, invalidField(f.field, "%s is longer than %d characters", f.field, maxNameLength))
		}
	}
	return a, errors.Join(errs...)
}

// SeatPosition is one purchased seat within an order, numbered from 0.
type SeatPosition struct {
	Position int       `json:"position"`
	SeatType uuid.UUID `json:"seat_type"`
	Attendee Attendee  `json:"attendee"`
}

// SeatAssignmentsCreated records the positions of a confirmed order, one
// per purchased seat, all unassigned.
type SeatAssignmentsCreated struct {
	OrderID      uuid.UUID      `json:"order_id"`
	ConferenceID uuid.UUID      `json:"conference_id"`
	Positions    []SeatPosition `json:"positions"`
}

// SeatAssigned records an attendee put in an empty position (reassignment
// is SeatUnassigned followed by SeatAssigned, so badge and check-in read
// models see the previous attendee leave).
type SeatAssigned struct {
	OrderID  uuid.UUID `json:"order_id"`
	Position int       `json:"position"`
	SeatType uuid.UUID `json:"seat_type"`
	Attendee Attendee  `json:"attendee"`
}

// SeatAssigneeUpdated records corrected details of the same attendee
// (same email), e.g. a misspelt name before the badge is printed.
type SeatAssigneeUpdated struct {
	OrderID  uuid.UUID `json:"order_id"`
	Position int       `json:"position"`
	SeatType uuid.UUID `json:"seat_type"`
	Attendee Attendee  `json:"attendee"`
}

// SeatUnassigned records a position emptied.
type SeatUnassigned struct {
	OrderID  uuid.UUID `json:"order_id"`
	Position int       `json:"position"`
	SeatType uuid.UUID `json:"seat_type"`
	Previous Attendee  `json:"previous"`
}

// EventType implements eventsourcing.Event.
func (SeatAssignmentsCreated) EventType() string { return "registrations.SeatAssignmentsCreated" }

// EventType implements eventsourcing.Event.
func (SeatAssigned) EventType() string { return "registrations.SeatAssigned" }

// EventType implements eventsourcing.Event.
func (SeatAssigneeUpdated) EventType() string { return "registrations.SeatAssigneeUpdated" }

// EventType implements eventsourcing.Event.
func (SeatUnassigned) EventType() string { return "registrations.SeatUnassigned" }

// SeatAssignments names the attendees of one confirmed order's seats.
type SeatAssignments struct {
	eventsourcing.Root
	orderID      uuid.UUID
	conferenceID uuid.UUID
	positions    []SeatPosition
}

// NewSeatAssignments returns an empty aggregate for the repository.
func NewSeatAssignments() *SeatAssignments { return &SeatAssignments{} }

// StreamType implements eventsourcing.Aggregate.
func (s *SeatAssignments) StreamType() string { return "registrations.SeatAssignments" }

// Create records one unassigned position per seat of a confirmed order, in
// seat type order, so positions are numbered the same on every node.
func (s *SeatAssignments) Create(orderID, conferenceID uuid.UUID, seats Seats) error {
	if s.orderID != uuid.Nil {
		return ErrAssignmentsExist
	}
	if orderID == uuid.Nil || conferenceID == uuid.Nil {
		return invalidf("order and conference ids are required")
	}
	if err := seats.validateRequest(); err != nil {
		return err
	}
	var positions []SeatPosition
	for _, q := range seats.Normalize() {
		for range q.Quantity {
			positions = append(positions, SeatPosition{Position: len(positions), SeatType: q.SeatType})
		}
	}
	s.SetID(AssignmentsStreamID(orderID))
	s.Record(s, SeatAssignmentsCreated{OrderID: orderID, ConferenceID: conferenceID, Positions: positions})
	return nil
}

// AssignSeat puts attendee in position. The same attendee (by email) gets
// their details updated; a different one replaces whoever sat there; an
// identical assignment records nothing.
func (s *SeatAssignments) AssignSeat(position int, attendee Attendee) error {
	p, err := s.position(position)
	if err != nil {
		return err
	}
	if attendee, err = attendee.validate(); err != nil {
		return err
	}
	switch {
	case p.Attendee == attendee:
		return nil
	case p.Attendee.IsZero():
		s.Record(s, SeatAssigned{OrderID: s.orderID, Position: position, SeatType: p.SeatType, Attendee: attendee})
	case strings.EqualFold(p.Attendee.Email, attendee.Email):
		s.Record(s, SeatAssigneeUpdated{OrderID: s.orderID, Position: position, SeatType: p.SeatType, Attendee: attendee})
	default:
		s.Record(s, SeatUnassigned{OrderID: s.orderID, Position: position, SeatType: p.SeatType, Previous: p.Attendee})
		s.Record(s, SeatAssigned{OrderID: s.orderID, Position: position, SeatType: p.SeatType, Attendee: attendee})
	}
	return nil
}

// UnassignSeat empties a position; an empty one records nothing.
func (s *SeatAssignments) UnassignSeat(position int) error {
	p, err := s.position(position)
	if err != nil {
		return err
	}
	if p.Attendee.IsZero() {
		return nil
	}
	s.Record(s, SeatUnassigned{OrderID: s.orderID, Position: position, SeatType: p.SeatType, Previous: p.Attendee})
	return nil
}

func (s *SeatAssignments) position(n int) (SeatPosition, error) {
	if s.orderID == uuid.Nil {
		return SeatPosition{}, ErrNoAssignments
	}
	if n < 0 || n >= len(s.positions) {
		return SeatPosition{}, fmt.Errorf("position %d of %d: %w", n, len(s.positions), ErrUnknownPosition)
	}
	return s.positions[n], nil
}

// Apply implements eventsourcing.Aggregate.
func (s *SeatAssignments) Apply(e eventsourcing.Event) {
	switch e := e.(type) {
	case SeatAssignmentsCreated:
		s.orderID, s.conferenceID = e.OrderID, e.ConferenceID
		s.positions = append([]SeatPosition(nil), e.Positions...)
	case SeatAssigned:
		s.setAttendee(e.Position, e.Attendee)
	case SeatAssigneeUpdated:
		s.setAttendee(e.Position, e.Attendee)
	case SeatUnassigned:
		s.setAttendee(e.Position, Attendee{})
	}
}

func (s *SeatAssignments) setAttendee(position int, a Attendee) {
	if position >= 0 && position < len(s.positions) {
		s.positions[position].Attendee = a
	}
}

// OrderID is the order whose seats these are.
func (s *SeatAssignments) OrderID() uuid.UUID { return s.orderID }

// ConferenceID is the conference of the order.
func (s *SeatAssignments) ConferenceID() uuid.UUID { return s.conferenceID }

// Positions lists every seat with its attendee (zero when unassigned).
func (s *SeatAssignments) Positions() []SeatPosition {
	return append([]SeatPosition(nil), s.positions...)
}
