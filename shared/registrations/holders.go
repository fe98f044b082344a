package registrations

import (
	"slices"
	"strings"

	"github.com/google/uuid"
)

// SeatHolder is one person holding seats of a confirmed order, as door
// staff meet them: the positions assigned to one email, or the positions
// nobody was assigned to yet, which the order's registrant holds. Seat,
// the first position held, names the person on badges and tickets: a
// kiosk knows an attendee by it, so every node must group alike.
type SeatHolder struct {
	Seat      int
	Positions []int
	// Attendee is who was assigned; zero for the registrant's seats.
	Attendee Attendee
	// SeatTypes held, each once, in position order.
	SeatTypes []uuid.UUID
}

// SeatHolders groups an order's seat positions by the person holding them,
// in the order of their first position. An order with no positions yet
// (nobody named, so no SeatAssignments stream) is its registrant holding
// every reserved seat type at position 0.
func SeatHolders(positions []SeatPosition, reserved Seats) []SeatHolder {
	if len(positions) == 0 {
		return []SeatHolder{{Seat: 0, Positions: []int{0}, SeatTypes: reserved.SeatTypes()}}
	}
	index := map[string]int{}
	var out []SeatHolder
	for _, p := range positions {
		key := "registrant"
		if !p.Attendee.IsZero() {
			key = "email:" + strings.ToLower(p.Attendee.Email)
		}
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, SeatHolder{Seat: p.Position, Attendee: p.Attendee})
		}
		h := &out[i]
		h.Positions = append(h.Positions, p.Position)
		if !slices.Contains(h.SeatTypes, p.SeatType) {
			h.SeatTypes = append(h.SeatTypes, p.SeatType)
		}
	}
	return out
}
