package registrationsapp

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"conference/shared/registrations"
)

// confirmed places and pays an order for n paid seats.
func (h *hub) confirmed(n int) uuid.UUID {
	h.t.Helper()
	id := h.place(n, h.paid)
	h.settle()
	h.pay(id)
	h.settle()
	h.wantStatus(id, registrations.OrderStatusConfirmed)
	return id
}

// assignmentEvents are the event types of an order's SeatAssignments stream.
func (h *hub) assignmentEvents(orderID uuid.UUID) []string {
	h.t.Helper()
	evs, err := h.store.ReadStream(context.Background(), registrations.AssignmentsStreamID(orderID), 0)
	h.must(err)
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

var (
	ann = registrations.Attendee{Name: "Ann Lee", Email: "ann@example.org", Company: "Acme"}
	bo  = registrations.Attendee{Name: "Bo Berg", Email: "bo@example.org"}
)

func TestSeatsOfAConfirmedOrderAreListedBeforeAnyoneIsNamedWithoutWriting(t *testing.T) {
	h := newHub(t)
	order := h.confirmed(2)
	got, err := h.app.Registrations.Seats(context.Background(), order)
	h.must(err)
	want := []registrations.SeatPosition{{Position: 0, SeatType: h.paid}, {Position: 1, SeatType: h.paid}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("seats: got %+v, want %+v", got, want)
	}
	if evs := h.assignmentEvents(order); len(evs) != 0 {
		t.Fatalf("reading the seats wrote %v", evs)
	}
}

func TestAssignSeatsCreatesTheStreamWithTheFirstAssignment(t *testing.T) {
	h := newHub(t)
	order := h.confirmed(2)
	ctx := context.Background()
	// Given a confirmed order, when two attendees are named, then the
	// positions are created and both assigned, in one append.
	got, err := h.app.Registrations.AssignSeats(ctx, order, []Assignment{{Position: 0, Attendee: &ann}, {Position: 1, Attendee: &bo}})
	h.must(err)
	if got[0].Attendee != ann || got[1].Attendee != bo {
		t.Fatalf("seats after assigning: %+v", got)
	}
	want := []string{"registrations.SeatAssignmentsCreated", "registrations.SeatAssigned", "registrations.SeatAssigned"}
	if evs := h.assignmentEvents(order); !reflect.DeepEqual(evs, want) {
		t.Fatalf("events: got %v, want %v", evs, want)
	}
	// When the second seat is emptied, then one SeatUnassigned follows.
	got, err = h.app.Registrations.UnassignSeats(ctx, order, 1)
	h.must(err)
	if !got[1].Attendee.IsZero() || got[0].Attendee != ann {
		t.Fatalf("seats after unassigning: %+v", got)
	}
	if evs := h.assignmentEvents(order); len(evs) != 4 || evs[3] != "registrations.SeatUnassigned" {
		t.Fatalf("events after unassigning: %v", evs)
	}
	seatsNow, err := h.app.Registrations.Seats(ctx, order)
	h.must(err)
	if !reflect.DeepEqual(seatsNow, got) {
		t.Fatalf("Seats: got %+v, want %+v", seatsNow, got)
	}
}

func TestBadAssignmentChangesNothingAndNamesTheChange(t *testing.T) {
	h := newHub(t)
	order := h.confirmed(2)
	ctx := context.Background()
	bad := registrations.Attendee{Name: "No Mail"}
	_, err := h.app.Registrations.AssignSeats(ctx, order, []Assignment{{Position: 0, Attendee: &ann}, {Position: 1, Attendee: &bad}})
	var ae *AssignmentError
	if !errors.As(err, &ae) || ae.Index != 1 || registrations.ErrorCode(err) != registrations.CodeInvalid {
		t.Fatalf("got %v, want an invalid AssignmentError for index 1", err)
	}
	_, err = h.app.Registrations.AssignSeats(ctx, order, []Assignment{{Position: 7, Attendee: &ann}})
	if !errors.Is(err, registrations.ErrUnknownPosition) || !errors.As(err, &ae) || ae.Index != 0 {
		t.Fatalf("position out of range: got %v", err)
	}
	if _, err := h.app.Registrations.AssignSeats(ctx, order, nil); registrations.ErrorCode(err) != registrations.CodeInvalid {
		t.Fatalf("no assignments: got %v", err)
	}
	if evs := h.assignmentEvents(order); len(evs) != 0 {
		t.Fatalf("refused assignments wrote %v", evs)
	}
}

func TestSeatsAreNamedOnlyOnConfirmedHubOrders(t *testing.T) {
	h := newHub(t)
	ctx := context.Background()
	reserved := h.place(1, h.paid)
	h.settle()
	if _, err := h.app.Registrations.AssignSeats(ctx, reserved, []Assignment{{Attendee: &ann}}); !errors.Is(err, ErrNotConfirmed) {
		t.Fatalf("reserved order: got %v, want ErrNotConfirmed", err)
	}
	if _, err := h.app.Registrations.Seats(ctx, reserved); !errors.Is(err, ErrNotConfirmed) {
		t.Fatalf("seats of a reserved order: got %v, want ErrNotConfirmed", err)
	}
	if _, err := h.app.Registrations.Seats(ctx, uuid.New()); !errors.Is(err, registrations.ErrOrderNotPlaced) {
		t.Fatalf("unknown order: got %v, want ErrOrderNotPlaced", err)
	}
	// A walk-up order's seats come from its kiosk: the hub does not
	// create a competing stream.
	walkUp := h.walkUp("k1", 1, "")
	if _, err := h.app.Registrations.AssignSeats(ctx, walkUp, []Assignment{{Attendee: &ann}}); !errors.Is(err, ErrAssignedAtKiosk) {
		t.Fatalf("walk-up order: got %v, want ErrAssignedAtKiosk", err)
	}
	if evs := h.assignmentEvents(walkUp); len(evs) != 0 {
		t.Fatalf("walk-up assignment wrote %v", evs)
	}
}
