package registrations

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

var _ eventsourcing.Snapshotter = (*SeatsAvailability)(nil)

// GrantAllocation leases n free seats of seatType to a kiosk so it can sell
// them offline without risk. The seats leave availability like a reservation.
func (a *SeatsAvailability) GrantAllocation(kioskID string, seatType uuid.UUID, n int) error {
	c, err := a.counts(seatType)
	if err != nil {
		return err
	}
	if kioskID == "" || n <= 0 {
		return invalidf("kiosk id and a positive quantity are required")
	}
	if n > c.remaining() {
		return fmt.Errorf("%d seats asked, %d free: %w", n, c.remaining(), ErrNotEnoughSeats)
	}
	a.Record(a, SeatAllocationGranted{ConferenceID: a.s.ConferenceID, KioskID: kioskID, SeatType: seatType, Quantity: n})
	return nil
}

// ReturnAllocation gives n unsold leased seats back to availability.
func (a *SeatsAvailability) ReturnAllocation(kioskID string, seatType uuid.UUID, n int) error {
	if n <= 0 {
		return invalidf("a positive quantity is required")
	}
	if have := a.AllocationOf(kioskID, seatType); n > have {
		return fmt.Errorf("kiosk %s holds %d seats, cannot return %d: %w", kioskID, have, n, ErrAllocationExhausted)
	}
	a.Record(a, SeatAllocationReturned{ConferenceID: a.s.ConferenceID, KioskID: kioskID, SeatType: seatType, Quantity: n})
	return nil
}

// AllocationOf is how many leased seats of seatType a kiosk has left to sell.
func (a *SeatsAvailability) AllocationOf(kioskID string, seatType uuid.UUID) int {
	return a.s.Allocations[kioskID][seatType]
}

// SellFromAllocation records a kiosk sale that must fit in the kiosk's
// allocation: the check a kiosk makes when its seat type's policy refuses
// to sell past the allocation.
func (a *SeatsAvailability) SellFromAllocation(kioskID string, orderID uuid.UUID, seats Seats) error {
	if err := a.checkSale(kioskID, orderID, seats); err != nil {
		return err
	}
	if _, done := a.s.Sold[orderID]; done {
		return nil
	}
	seats = seats.Normalize()
	for _, q := range seats {
		if have := a.AllocationOf(kioskID, q.SeatType); q.Quantity > have {
			return fmt.Errorf("seat type %s: %d asked, %d left: %w", q.SeatType, q.Quantity, have, ErrAllocationExhausted)
		}
	}
	a.Record(a, OnSiteSeatsSold{ConferenceID: a.s.ConferenceID, KioskID: kioskID, OrderID: orderID, Seats: seats, FromAllocation: seats})
	return nil
}

// RecordOnSiteSale applies a sale a kiosk already made and was paid for. It
// is never refused for lack of seats: the sale uses the kiosk's allocation
// first, then free seats, and for whatever the quota cannot hold it records
// SeatQuotaConflictRaised for the organizer to resolve. Recording the same
// order twice records nothing, so replicated facts can be re-applied.
func (a *SeatsAvailability) RecordOnSiteSale(kioskID string, orderID uuid.UUID, seats Seats) error {
	if err := a.checkSale(kioskID, orderID, seats); err != nil {
		return err
	}
	if _, done := a.s.Sold[orderID]; done {
		return nil
	}
	seats = seats.Normalize()
	from, past, over := map[uuid.UUID]int{}, map[uuid.UUID]int{}, map[uuid.UUID]int{}
	for _, q := range seats {
		f := min(q.Quantity, max(0, a.AllocationOf(kioskID, q.SeatType))) // never below zero: a negative "from" would create seats
		p := q.Quantity - f
		from[q.SeatType], past[q.SeatType] = f, p
		over[q.SeatType] = max(0, p-a.s.SeatTypes[q.SeatType].remaining())
	}
	a.Record(a, OnSiteSeatsSold{
		ConferenceID: a.s.ConferenceID, KioskID: kioskID, OrderID: orderID, Seats: seats,
		FromAllocation: seatsFromMap(from), PastAllocation: seatsFromMap(past),
	})
	for _, q := range seatsFromMap(over) {
		a.Record(a, SeatQuotaConflictRaised{
			ConferenceID: a.s.ConferenceID, Conflict: len(a.s.Conflicts) + 1, SeatType: q.SeatType,
			Over: q.Quantity, OrderIDs: []uuid.UUID{orderID}, KioskID: kioskID,
		})
	}
	return nil
}

func (a *SeatsAvailability) checkSale(kioskID string, orderID uuid.UUID, seats Seats) error {
	a.s.init()
	if kioskID == "" || orderID == uuid.Nil {
		return invalidf("kiosk and order ids are required")
	}
	return seats.validateRequest()
}

// Resolution is the organizer's decision on a conflict. ToSeatType is the
// destination for ResolveMoveSeats.
type Resolution struct {
	Kind       ResolutionKind
	ToSeatType uuid.UUID
	Note       string
}

// ResolveConflict records the organizer's resolution of an open conflict
// and its effect on the counts. Moving seats needs room in the destination.
func (a *SeatsAvailability) ResolveConflict(number int, r Resolution) error {
	a.s.init()
	c, ok := a.Conflict(number)
	if !ok {
		return fmt.Errorf("conflict %d: %w", number, ErrConflictNotFound)
	}
	if c.Resolved {
		return fmt.Errorf("conflict %d: %w", number, ErrConflictResolved)
	}
	e := SeatQuotaConflictResolved{ConferenceID: a.s.ConferenceID, Conflict: number, SeatType: c.SeatType, Kind: r.Kind, Note: r.Note}
	switch r.Kind {
	case ResolveRaiseQuota:
		e.QuotaRaisedBy = c.Over
	case ResolveMoveSeats:
		if r.ToSeatType == c.SeatType {
			return invalidf("seats must move to another seat type")
		}
		dest, err := a.counts(r.ToSeatType)
		if err != nil {
			return err
		}
		if dest.remaining() < c.Over {
			return fmt.Errorf("%d seats to move, %d free: %w", c.Over, dest.remaining(), ErrNotEnoughSeats)
		}
		e.MovedTo = r.ToSeatType
		e.Orders = a.takeBack(c)
	case ResolveWaitlist, ResolveRefund:
		e.Orders = a.takeBack(c)
	default:
		return invalidf("unknown resolution %q", r.Kind)
	}
	a.Record(a, e)
	return nil
}

// takeBack picks up to c.Over seats of c.SeatType from the conflict's
// orders, latest order first, skipping seats cancelled since.
func (a *SeatsAvailability) takeBack(c Conflict) []OrderSeatChange {
	var out []OrderSeatChange
	need := c.Over
	for i := len(c.OrderIDs) - 1; i >= 0 && need > 0; i-- {
		n := min(need, a.s.Sold[c.OrderIDs[i]].Get(c.SeatType))
		if n > 0 {
			out = append(out, OrderSeatChange{OrderID: c.OrderIDs[i], Quantity: n})
			need -= n
		}
	}
	return out
}

// Conflict returns conflict number n.
func (a *SeatsAvailability) Conflict(n int) (Conflict, bool) {
	if n < 1 || n > len(a.s.Conflicts) {
		return Conflict{}, false
	}
	return a.s.Conflicts[n-1], true
}

// OpenConflicts lists unresolved conflicts, oldest first.
func (a *SeatsAvailability) OpenConflicts() []Conflict {
	var out []Conflict
	for _, c := range a.s.Conflicts {
		if !c.Resolved {
			out = append(out, c)
		}
	}
	return out
}

func (a *SeatsAvailability) applyOnSite(e eventsourcing.Event) {
	s := &a.s
	switch e := e.(type) {
	case SeatAllocationGranted:
		s.allocate(e.KioskID, e.SeatType, e.Quantity)
	case SeatAllocationReturned:
		s.allocate(e.KioskID, e.SeatType, -e.Quantity)
	case OnSiteSeatsSold:
		for _, q := range e.FromAllocation {
			s.allocate(e.KioskID, q.SeatType, -q.Quantity)
		}
		for _, q := range e.Seats {
			s.adjust(q.SeatType, func(c *seatCounts) { c.Sold += q.Quantity })
		}
		s.Sold[e.OrderID] = e.Seats
	case SeatQuotaConflictRaised:
		s.Conflicts = append(s.Conflicts, Conflict{Number: e.Conflict, SeatType: e.SeatType, Over: e.Over, OrderIDs: e.OrderIDs, KioskID: e.KioskID})
	case SeatQuotaConflictResolved:
		s.applyResolution(e)
	}
}

func (s *availabilityState) allocate(kioskID string, seatType uuid.UUID, n int) {
	if s.Allocations[kioskID] == nil {
		s.Allocations[kioskID] = map[uuid.UUID]int{}
	}
	s.Allocations[kioskID][seatType] += n
	if s.Allocations[kioskID][seatType] == 0 {
		delete(s.Allocations[kioskID], seatType)
	}
	s.adjust(seatType, func(c *seatCounts) { c.Allocated += n })
}

func (s *availabilityState) applyResolution(e SeatQuotaConflictResolved) {
	if i := e.Conflict - 1; i >= 0 && i < len(s.Conflicts) {
		s.Conflicts[i].Resolved, s.Conflicts[i].Resolution = true, e.Kind
	}
	if e.QuotaRaisedBy > 0 {
		s.adjust(e.SeatType, func(c *seatCounts) { c.Quota += e.QuotaRaisedBy })
	}
	for _, o := range e.Orders {
		s.adjust(e.SeatType, func(c *seatCounts) { c.Sold -= o.Quantity })
		m := map[uuid.UUID]int{}
		for _, q := range s.Sold[o.OrderID] {
			m[q.SeatType] = q.Quantity
		}
		m[e.SeatType] -= o.Quantity
		if e.MovedTo != uuid.Nil {
			s.adjust(e.MovedTo, func(c *seatCounts) { c.Sold += o.Quantity })
			m[e.MovedTo] += o.Quantity
		}
		s.Sold[o.OrderID] = seatsFromMap(m)
	}
}

// SnapshotSchema implements eventsourcing.Snapshotter.
func (a *SeatsAvailability) SnapshotSchema() int { return 1 }

// MarshalSnapshot implements eventsourcing.Snapshotter.
func (a *SeatsAvailability) MarshalSnapshot() ([]byte, error) { return json.Marshal(a.s) }

// UnmarshalSnapshot implements eventsourcing.Snapshotter.
func (a *SeatsAvailability) UnmarshalSnapshot(schema int, data []byte) error {
	if schema != 1 {
		return fmt.Errorf("seats availability snapshot schema %d unknown", schema)
	}
	var s availabilityState
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("seats availability snapshot: %w", err)
	}
	s.init()
	a.s = s
	return nil
}

// ReleasedSeats are the seats an availability event put back on sale, for
// the handler that offers them to the waitlist. Seats freed while a seat
// type is overbooked do not become free, so offer at most Remaining.
func ReleasedSeats(e eventsourcing.Event) Seats {
	switch e := e.(type) {
	case SeatQuotaIncreased:
		return Seats{{SeatType: e.SeatType, Quantity: e.By}}
	case SeatReservationCancelled:
		return e.Seats
	case SoldSeatsCancelled:
		return e.Seats
	case SeatAllocationReturned:
		return Seats{{SeatType: e.SeatType, Quantity: e.Quantity}}
	}
	return nil
}

// Allocations lists every kiosk's unsold leased seats.
func (a *SeatsAvailability) Allocations() map[string]Seats {
	out := map[string]Seats{}
	for k, m := range a.s.Allocations {
		if len(m) > 0 {
			out[k] = seatsFromMap(m)
		}
	}
	return out
}
