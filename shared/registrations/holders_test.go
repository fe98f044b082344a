package registrations_test

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"conference/shared/registrations"
)

func TestSeatHoldersGroupAnOrdersSeatsByThePersonHoldingThem(t *testing.T) {
	full, workshop := uuid.New(), uuid.New()
	ana := registrations.Attendee{Name: "Ana Silva", Email: "ana@example.com"}
	anaAgain := registrations.Attendee{Name: "Ana S.", Email: "ANA@example.com"}
	bo := registrations.Attendee{Name: "Bo Chen", Email: "bo@example.com"}
	reserved := registrations.Seats{{SeatType: full, Quantity: 2}, {SeatType: workshop, Quantity: 3}}
	cases := []struct {
		name      string
		positions []registrations.SeatPosition
		want      string
	}{
		{"nobody named yet: the registrant holds every reserved seat at position 0", nil,
			fmt.Sprintf("[{0 [0] registrant %v}]", reserved.SeatTypes())},
		{"unnamed positions stay the registrant's, named ones group by email in any case", []registrations.SeatPosition{
			{Position: 0, SeatType: full}, {Position: 1, SeatType: full, Attendee: ana},
			{Position: 2, SeatType: workshop, Attendee: anaAgain}, {Position: 3, SeatType: workshop, Attendee: bo},
			{Position: 4, SeatType: workshop},
		}, fmt.Sprintf("[{0 [0 4] registrant [%s %s]} {1 [1 2] Ana Silva [%s %s]} {3 [3] Bo Chen [%s]}]", full, workshop, full, workshop, workshop)},
		{"a registrant who named everyone holds nothing", []registrations.SeatPosition{
			{Position: 0, SeatType: full, Attendee: bo}, {Position: 1, SeatType: full, Attendee: ana},
		}, fmt.Sprintf("[{0 [0] Bo Chen [%s]} {1 [1] Ana Silva [%s]}]", full, full)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, h := range registrations.SeatHolders(c.positions, reserved) {
				who := "registrant"
				if !h.Attendee.IsZero() {
					who = h.Attendee.Name
				}
				got = append(got, fmt.Sprintf("{%d %v %s %v}", h.Seat, h.Positions, who, h.SeatTypes))
			}
			if s := fmt.Sprint(got); s != c.want {
				t.Fatalf("got  %s\nwant %s", s, c.want)
			}
		})
	}
}
