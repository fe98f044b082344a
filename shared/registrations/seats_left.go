package registrations

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// ErrSeatsUnavailable refuses an order asking for more seats of a seat type
// than are left when it arrives. Match it with errors.Is; the
// *SeatsUnavailableError in the chain says what is left of each.
var ErrSeatsUnavailable = sentinel(CodeConflict, "fewer seats left than asked for")

// SeatsShort is a seat type of a request that asks for more than is left.
type SeatsShort struct {
	SeatType  uuid.UUID
	Requested int
	// Left is how many seats of the type could be reserved now.
	Left int
	// Held is how many are held for orders not paid yet (and waitlist
	// offers not taken yet): seats that come back if those lapse.
	Held int
}

// SeatsUnavailableError lists the seat types a request asks too many of.
// It unwraps to ErrSeatsUnavailable.
type SeatsUnavailableError struct {
	Short []SeatsShort
}

func (e *SeatsUnavailableError) Error() string {
	parts := make([]string, 0, len(e.Short))
	for _, s := range e.Short {
		parts = append(parts, fmt.Sprintf("only %d left of seat type %s (%d asked)", s.Left, s.SeatType, s.Requested))
	}
	return strings.Join(parts, "; ")
}

// Unwrap makes the error match ErrSeatsUnavailable and carry its code.
func (e *SeatsUnavailableError) Unwrap() error { return ErrSeatsUnavailable }

// Left is how many seats of seatType a reservation could hold now: the
// seats free, plus those reservationID holds already (asking again
// replaces a reservation, see MakeReservation).
func (a *SeatsAvailability) Left(reservationID, seatType uuid.UUID) int {
	held := a.s.Reservations[reservationID]
	return a.s.SeatTypes[seatType].remaining() + held.Get(seatType)
}

// CheckLeft refuses wanted, with a *SeatsUnavailableError listing every
// seat type it asks too many of, unless MakeReservation for reservationID
// would hold all of it now. It records nothing: callers check before they
// record an order, so a request for more than is left changes nothing. A
// seat type the inventory does not know has none left.
func (a *SeatsAvailability) CheckLeft(reservationID uuid.UUID, wanted Seats) error {
	var short []SeatsShort
	for _, q := range wanted.Normalize() {
		if left := a.Left(reservationID, q.SeatType); q.Quantity > left {
			short = append(short, SeatsShort{SeatType: q.SeatType, Requested: q.Quantity, Left: left, Held: a.ReservedCount(q.SeatType)})
		}
	}
	if len(short) == 0 {
		return nil
	}
	return &SeatsUnavailableError{Short: short}
}
