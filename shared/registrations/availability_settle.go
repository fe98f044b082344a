package registrations

import "github.com/google/uuid"

// SettleOnSiteSale makes the hub's counts hold a kiosk sale that arrived as
// the kiosk's own OnSiteSeatsSold (replicated, already applied here) rather
// than through RecordOnSiteSale. Two things can be wrong with such a fact
// when it lands, and both are settled here, deterministically from state:
//
//   - the kiosk sold from an allocation the hub has since taken back (the
//     organizer closed on-site sales while the kiosk was offline): its
//     allocation went negative, which would hide sold seats from the
//     counts. The seats are re-granted (SeatAllocationGranted) so the
//     allocation is back at zero and the sold seats count fully;
//   - the quota cannot hold the sale: a SeatQuotaConflictRaised for the
//     overbooking not yet covered by an open conflict, at most the order's
//     quantity of that seat type.
//
// Settling the same order again records nothing, so a re-sent batch never
// raises a second conflict. An order with no sale here records nothing.
func (a *SeatsAvailability) SettleOnSiteSale(kioskID string, orderID uuid.UUID) error {
	a.s.init()
	if kioskID == "" || orderID == uuid.Nil {
		return invalidf("kiosk and order ids are required")
	}
	seats, ok := a.s.Sold[orderID]
	if !ok {
		return nil
	}
	for _, q := range seats.Normalize() {
		if owed := -a.AllocationOf(kioskID, q.SeatType); owed > 0 {
			a.Record(a, SeatAllocationGranted{ConferenceID: a.s.ConferenceID, KioskID: kioskID, SeatType: q.SeatType, Quantity: owed})
		}
		if over := min(a.UncoveredOverbooking(q.SeatType), q.Quantity); over > 0 {
			a.Record(a, SeatQuotaConflictRaised{
				ConferenceID: a.s.ConferenceID, Conflict: len(a.s.Conflicts) + 1, SeatType: q.SeatType,
				Over: over, OrderIDs: []uuid.UUID{orderID}, KioskID: kioskID,
			})
		}
	}
	return nil
}

// UncoveredOverbooking is by how many seats a seat type is overbooked
// beyond what its open conflicts already account for: the overflow nobody
// has told the organizer about yet. It is 0 when every overflow has its
// conflict.
func (a *SeatsAvailability) UncoveredOverbooking(seatType uuid.UUID) int {
	over := a.Overbooked(seatType)
	for _, c := range a.s.Conflicts {
		if !c.Resolved && c.SeatType == seatType {
			over -= c.Over
		}
	}
	return max(0, over)
}
