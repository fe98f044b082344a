package registrations

import (
	"testing"

	"conference/shared/eventsourcing"
)

var (
	ann = Attendee{Name: "Ann Lee", Email: "ann@example.org", Company: "Acme", Role: "CTO"}
	bo  = Attendee{Name: "Bo Berg", Email: "bo@example.org"}
)

func created() SeatAssignmentsCreated {
	return SeatAssignmentsCreated{OrderID: orderA, ConferenceID: conference, Positions: []SeatPosition{
		{Position: 0, SeatType: fullPass}, {Position: 1, SeatType: fullPass}, {Position: 2, SeatType: workshop},
	}}
}

func givenAssignments(events ...eventsourcing.Event) *SeatAssignments {
	s := NewSeatAssignments()
	eventsourcing.Replay(s, AssignmentsStreamID(orderA), 0, events...)
	return s
}

func TestAssignmentsHaveOnePositionPerPurchasedSeat(t *testing.T) {
	s := NewSeatAssignments()
	must(t, s.Create(orderA, conference, seats(workshop, 1, fullPass, 2)))
	thenEvents(t, s, created())
	if s.ID() != "assignments-"+orderA.String() || len(s.Positions()) != 3 {
		t.Fatalf("id %q, %d positions", s.ID(), len(s.Positions()))
	}
	s = givenAssignments(created())
	thenError(t, s, s.Create(orderA, conference, seats(fullPass, 1)), ErrAssignmentsExist)
}

func TestAssignSeat(t *testing.T) {
	s := givenAssignments(created())
	must(t, s.AssignSeat(1, Attendee{Name: " Ann Lee ", Email: "ann@example.org", Company: "Acme", Role: "CTO"}))
	thenEvents(t, s, SeatAssigned{OrderID: orderA, Position: 1, SeatType: fullPass, Attendee: ann})
	if s.Positions()[1].Attendee != ann {
		t.Fatalf("position 1 holds %+v", s.Positions()[1].Attendee)
	}
}

func TestAssigningAnotherPersonReassignsTheSeat(t *testing.T) {
	s := givenAssignments(created(), SeatAssigned{OrderID: orderA, Position: 0, SeatType: fullPass, Attendee: ann})
	must(t, s.AssignSeat(0, bo))
	thenEvents(t, s,
		SeatUnassigned{OrderID: orderA, Position: 0, SeatType: fullPass, Previous: ann},
		SeatAssigned{OrderID: orderA, Position: 0, SeatType: fullPass, Attendee: bo})
}

func TestCorrectingTheSamePersonUpdatesTheirDetails(t *testing.T) {
	s := givenAssignments(created(), SeatAssigned{OrderID: orderA, Position: 0, SeatType: fullPass, Attendee: ann})
	fixed := ann
	fixed.Name = "Ann Leigh"
	must(t, s.AssignSeat(0, fixed))
	thenEvents(t, s, SeatAssigneeUpdated{OrderID: orderA, Position: 0, SeatType: fullPass, Attendee: fixed})

	s = givenAssignments(created(), SeatAssigned{OrderID: orderA, Position: 0, SeatType: fullPass, Attendee: ann})
	must(t, s.AssignSeat(0, ann))
	thenEvents(t, s)
}

func TestUnassignSeat(t *testing.T) {
	s := givenAssignments(created(), SeatAssigned{OrderID: orderA, Position: 2, SeatType: workshop, Attendee: bo})
	must(t, s.UnassignSeat(2))
	thenEvents(t, s, SeatUnassigned{OrderID: orderA, Position: 2, SeatType: workshop, Previous: bo})
	if !s.Positions()[2].Attendee.IsZero() {
		t.Fatal("position still assigned")
	}
	s = givenAssignments(created())
	must(t, s.UnassignSeat(2))
	thenEvents(t, s)
}

func TestAssignmentValidation(t *testing.T) {
	tests := map[string]struct {
		position int
		attendee Attendee
		invalid  bool
	}{
		"empty name":       {0, Attendee{Email: "x@example.org"}, true},
		"bad email":        {0, Attendee{Name: "X", Email: "x@"}, true},
		"missing email":    {0, Attendee{Name: "X"}, true},
		"position too big": {3, bo, false},
		"negative":         {-1, bo, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := givenAssignments(created())
			err := s.AssignSeat(tt.position, tt.attendee)
			if tt.invalid {
				thenInvalid(t, s, err)
			} else {
				thenError(t, s, err, ErrUnknownPosition)
			}
		})
	}
	s := NewSeatAssignments()
	thenError(t, s, s.AssignSeat(0, bo), ErrNoAssignments)
}
