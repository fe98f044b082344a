package readmodel

import (
	"github.com/google/uuid"

	"conference/shared/registrations"
)

// ownSale is one of this kiosk's walk-up sales as the kiosk counted it
// before the hub applied it. from is what the local count took out of the
// allocation; the hub may split the sale differently (a grant still on its
// way here when the kiosk sold), and the hub's split is the one that holds.
type ownSale struct {
	conference uuid.UUID
	seats      registrations.Seats
	from       map[uuid.UUID]int
	applied    bool // the hub's OnSiteSeatsSold arrived
}

// countOwnSale counts a sale of this kiosk against its allocation now,
// with the rule the hub will apply when the sale lands. The scratch
// changes RecordOnSiteSale queues are never saved.
func (m *Model) countOwnSale(e registrations.WalkUpOrderPlaced) {
	avail := m.conference(e.ConferenceID).avail
	s := &ownSale{conference: e.ConferenceID, seats: e.Seats.Normalize(), from: map[uuid.UUID]int{}}
	for _, q := range s.seats {
		s.from[q.SeatType] = max(0, min(q.Quantity, avail.AllocationOf(m.kioskID, q.SeatType)))
	}
	if avail.RecordOnSiteSale(e.KioskID, e.OrderID, e.Seats) != nil {
		return // a sale of nothing: the hub's event, if any, counts it
	}
	m.ownSales[e.OrderID] = s
}

// settleOwnSale brings the hub's split of a sale this kiosk counted
// already into the allocation: what the hub took from it beyond the local
// count is gone from it too. It reports false for any other sale.
func (m *Model) settleOwnSale(e registrations.OnSiteSeatsSold) bool {
	s, ok := m.ownSales[e.OrderID]
	if !ok || s.applied {
		return ok
	}
	s.applied = true
	avail := m.conference(s.conference).avail
	hubFrom := map[uuid.UUID]int{}
	for _, q := range e.FromAllocation {
		hubFrom[q.SeatType] += q.Quantity
	}
	for _, q := range s.seats {
		switch d := hubFrom[q.SeatType] - s.from[q.SeatType]; {
		case d > 0:
			avail.Apply(registrations.SeatAllocationReturned{ConferenceID: s.conference, KioskID: m.kioskID, SeatType: q.SeatType, Quantity: d})
		case d < 0:
			avail.Apply(registrations.SeatAllocationGranted{ConferenceID: s.conference, KioskID: m.kioskID, SeatType: q.SeatType, Quantity: -d})
		}
	}
	return true
}

// unsettled is how many seats of a seat type this kiosk sold past its
// allocation that the hub has not applied yet. Until it does, a grant
// arriving meanwhile may be what the hub covers them with, so those seats
// are held against the allocation: "certain" must stay certain.
func (m *Model) unsettled(conference, seatType uuid.UUID) int {
	n := 0
	for _, s := range m.ownSales {
		if !s.applied && s.conference == conference {
			n += s.seats.Get(seatType) - s.from[seatType]
		}
	}
	return n
}
