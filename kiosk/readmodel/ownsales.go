package readmodel

import (
	"github.com/google/uuid"

	"conference/shared/registrations"
)

// The kiosk's allocation left is a promise: a sale inside it must be
// inside the kiosk's allocation at the hub when the sale lands there, or
// "certain" is a lie and the hub may raise a conflict. The hub applies this
// kiosk's sales in the kiosk's order, each after every hub event the
// kiosk had seen when it sold, interleaved with hub events the kiosk had
// not seen yet (grants on their way, the hub's own record of earlier
// sales). Each sale takes min(quantity, allocation) there, so the
// allocation the hub holds for a sale is at least
//
//	max(0, A - sum of the quantities of this kiosk's sales the hub has not applied)
//
// where A is the allocation the hub's events received so far say the
// kiosk has: grants only add to it, and an earlier sale never takes more
// than its quantity, whatever the order. That bound is what the kiosk may
// call its own. Counting a sale into a local allocation at the moment it
// is made instead, and correcting the count when the hub's split arrives,
// drifts: a correction can drive the local count below zero, and the next
// sale then counts from it as if nothing were owed, making up a seat (the
// sync chaos test, seed 3).
//
// So Conference.avail holds the hub's events only, and a sale of this
// kiosk is pending from its WalkUpOrderPlaced until the hub's
// OnSiteSeatsSold for it arrives.

// ownSale is one of this kiosk's walk-up sales the hub has not applied yet.
type ownSale struct {
	conference uuid.UUID
	seats      registrations.Seats
	// past is what the sale took beyond the allocation left when it was
	// made: the seats sold pending hub confirmation.
	past registrations.Seats
}

// countOwnSale holds a sale of this kiosk against its allocation until the
// hub applies it. A sale the hub's rule refuses to apply (a sale of
// nothing) is never applied there, so it holds nothing here either.
func (m *Model) countOwnSale(e registrations.WalkUpOrderPlaced) {
	if _, ok := m.ownSales[e.OrderID]; ok {
		return
	}
	if registrations.NewSeatsAvailability().RecordOnSiteSale(e.KioskID, e.OrderID, e.Seats) != nil {
		return
	}
	s := &ownSale{conference: e.ConferenceID, seats: e.Seats.Normalize()}
	s.past = m.pastAllocation(s)
	m.ownSales[e.OrderID] = s
	m.addPending(s, 1)
}

// settleOwnSale releases what a sale of this kiosk held once the hub's
// OnSiteSeatsSold for it arrives: from then on the hub's event, applied to
// availability like any other, counts it with the hub's split.
func (m *Model) settleOwnSale(e registrations.OnSiteSeatsSold) {
	s, ok := m.ownSales[e.OrderID]
	if !ok {
		return
	}
	delete(m.ownSales, e.OrderID)
	m.addPending(s, -1)
}

// pastAllocation is what a sale takes beyond the allocation left before it
// is held: the same judgement the kiosk made when it sold (it decides on a
// model holding every earlier sale), made again from the log, so the mark
// survives a restart.
func (m *Model) pastAllocation(s *ownSale) registrations.Seats {
	c := m.conferences[s.conference]
	var past registrations.Seats
	for _, q := range s.seats {
		left := 0
		if c != nil {
			left = m.allocationLeft(c, q.SeatType)
		}
		if q.Quantity > left {
			past = append(past, registrations.SeatQuantity{SeatType: q.SeatType, Quantity: q.Quantity - left})
		}
	}
	return past
}

func (m *Model) addPending(s *ownSale, sign int) {
	byType := m.pending[s.conference]
	if byType == nil {
		byType = map[uuid.UUID]int{}
		m.pending[s.conference] = byType
	}
	for _, q := range s.seats {
		byType[q.SeatType] += sign * q.Quantity
		if byType[q.SeatType] == 0 {
			delete(byType, q.SeatType)
		}
	}
}

// allocationLeft is the bound above: the seats of a seat type this kiosk
// may sell with no risk.
func (m *Model) allocationLeft(c *Conference, seatType uuid.UUID) int {
	return max(0, c.avail.AllocationOf(m.kioskID, seatType)-m.pending[c.ID][seatType])
}

// remaining is what the kiosk's copy of availability says is free beyond
// all allocations, less what this kiosk's pending sales take past its own
// allocation.
func (m *Model) remaining(c *Conference, seatType uuid.UUID) int {
	past := max(0, m.pending[c.ID][seatType]-max(0, c.avail.AllocationOf(m.kioskID, seatType)))
	return max(0, c.avail.Remaining(seatType)-past)
}

// WalkUpSale is a walk-up order this kiosk sold, as its receipt shows it.
type WalkUpSale struct {
	OrderID    uuid.UUID
	AccessCode string
	Total      registrations.Money
	Seats      registrations.Seats
}

// WalkUpSale returns one of this kiosk's walk-up sales; ok is false for an
// order it did not sell (or does not know).
func (m *Model) WalkUpSale(orderID uuid.UUID) (WalkUpSale, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ov := m.orders[orderID]
	if ov == nil || m.kioskID == "" || ov.order.KioskID() != m.kioskID {
		return WalkUpSale{}, false
	}
	return WalkUpSale{OrderID: orderID, AccessCode: ov.order.AccessCode(), Total: ov.order.Total(), Seats: ov.order.Requested()}, true
}
