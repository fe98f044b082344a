package registrations

import (
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"
)

func TestAskingForMoreThanIsLeftIsRefusedWithWhatIsLeftAndRecordsNothing(t *testing.T) {
	a := givenAvailability(added(fullPass, 10), added(workshop, 3),
		reserved(orderA, seats(fullPass, 2), seats(fullPass, 2)))

	err := a.CheckLeft(orderB, Seats{{SeatType: fullPass, Quantity: 50}, {SeatType: workshop, Quantity: 3}})
	var short *SeatsUnavailableError
	if !errors.As(err, &short) || !errors.Is(err, ErrSeatsUnavailable) || ErrorCode(err) != CodeConflict {
		t.Fatalf("got %v, want a *SeatsUnavailableError matching ErrSeatsUnavailable", err)
	}
	want := []SeatsShort{{SeatType: fullPass, Requested: 50, Left: 8, Held: 2}}
	if !reflect.DeepEqual(short.Short, want) {
		t.Fatalf("got %+v, want only the full pass short with 8 left", short.Short)
	}
	thenEvents(t, a)
}

func TestWhatIsLeftCountsTheSeatsTheSameReservationHoldsAlready(t *testing.T) {
	// A waitlist offer holds 3 seats under the entry id; the order taking
	// the offer up reuses that id and may ask for all 3 although none are
	// free to anyone else.
	a := givenAvailability(added(workshop, 3), reserved(orderA, seats(workshop, 3), seats(workshop, 3)))
	must(t, a.CheckLeft(orderA, seats(workshop, 3)))
	err := a.CheckLeft(orderB, seats(workshop, 1))
	var short *SeatsUnavailableError
	if !errors.As(err, &short) || short.Short[0].Left != 0 || short.Short[0].Held != 3 {
		t.Fatalf("got %v, want none left, all 3 held", err)
	}
}

func TestASeatTypeTheInventoryDoesNotKnowHasNoneLeft(t *testing.T) {
	a := givenAvailability(added(fullPass, 10))
	if err := a.CheckLeft(orderA, seats(uuid.New(), 1)); !errors.Is(err, ErrSeatsUnavailable) {
		t.Fatalf("got %v, want ErrSeatsUnavailable", err)
	}
	must(t, a.CheckLeft(orderA, seats(fullPass, 10)))
}
