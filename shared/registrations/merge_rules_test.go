package registrations

import (
	"testing"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

// kioskSold is a kiosk's own OnSiteSeatsSold, replicated to the hub.
func kioskSold(kiosk string, order uuid.UUID, from, past Seats) OnSiteSeatsSold {
	all := append(append(Seats{}, from...), past...).Normalize()
	return OnSiteSeatsSold{ConferenceID: conference, KioskID: kiosk, OrderID: order, Seats: all, FromAllocation: from, PastAllocation: past}
}

func TestSettlingASaleInsideTheAllocationRecordsNothing(t *testing.T) {
	a := givenAvailability(added(workshop, 10), granted("k1", workshop, 2),
		kioskSold("k1", orderB, seats(workshop, 2), nil))
	must(t, a.SettleOnSiteSale("k1", orderB))
	thenEvents(t, a)
	thenCounts(t, a, workshop, 10, 0, 2, 0, 8)
}

func TestSettlingASaleFromAnAllocationTakenBackRegrantsAndRaisesTheOverflow(t *testing.T) {
	// k1 held 2 seats; the organizer closed on-site sales (returned) and
	// the 10 seats sold online; k1, offline, had sold its 2 seats.
	a := givenAvailability(added(workshop, 10), granted("k1", workshop, 2),
		SeatAllocationReturned{ConferenceID: conference, KioskID: "k1", SeatType: workshop, Quantity: 2},
		reserved(orderA, seats(workshop, 10), seats(workshop, 10)),
		SeatReservationCommitted{ConferenceID: conference, ReservationID: orderA, Seats: seats(workshop, 10)},
		kioskSold("k1", orderB, seats(workshop, 2), nil))
	must(t, a.SettleOnSiteSale("k1", orderB))
	thenEvents(t, a,
		granted("k1", workshop, 2),
		SeatQuotaConflictRaised{ConferenceID: conference, Conflict: 1, SeatType: workshop, Over: 2, OrderIDs: []uuid.UUID{orderB}, KioskID: "k1"})
	thenCounts(t, a, workshop, 10, 0, 12, 0, 0)
	if a.AllocationOf("k1", workshop) != 0 {
		t.Fatalf("k1 allocation = %d, want 0", a.AllocationOf("k1", workshop))
	}
}

func TestSettlingTheSameSaleTwiceRaisesOneConflict(t *testing.T) {
	a := givenAvailability(added(workshop, 1), kioskSold("k1", orderB, nil, seats(workshop, 3)))
	must(t, a.SettleOnSiteSale("k1", orderB))
	first := eventsourcing.Changes(a)
	if len(first) != 1 {
		t.Fatalf("first settle recorded %v", first)
	}
	again := givenAvailability(added(workshop, 1), kioskSold("k1", orderB, nil, seats(workshop, 3)), first[0])
	must(t, again.SettleOnSiteSale("k1", orderB))
	thenEvents(t, again)
	if again.UncoveredOverbooking(workshop) != 0 {
		t.Fatalf("uncovered %d", again.UncoveredOverbooking(workshop))
	}
}

func TestSettlingAnUnknownSaleRecordsNothing(t *testing.T) {
	a := givenAvailability(added(workshop, 1))
	must(t, a.SettleOnSiteSale("k1", orderB))
	thenEvents(t, a)
	thenInvalid(t, a, a.SettleOnSiteSale("", orderB))
}

func TestAResolvedConflictNoLongerCoversOverbooking(t *testing.T) {
	a := oversold()
	if got := a.UncoveredOverbooking(workshop); got != 0 {
		t.Fatalf("uncovered = %d with an open conflict", got)
	}
	a.Apply(SeatQuotaConflictResolved{ConferenceID: conference, Conflict: 1, SeatType: workshop, Kind: ResolveRaiseQuota, QuotaRaisedBy: 2})
	if got := a.UncoveredOverbooking(workshop); got != 0 {
		t.Fatalf("uncovered = %d after raising the quota", got)
	}
}

var (
	checkIn1 = CheckInRef{EventID: uuid.MustParse("00000000-0000-0000-0000-0000000c1001"), KioskID: "k1"}
	checkIn2 = CheckInRef{EventID: uuid.MustParse("00000000-0000-0000-0000-0000000c1002"), KioskID: "k2"}
)

func TestADuplicateCheckInIsWarnedOnce(t *testing.T) {
	w := NewCheckInWarnings()
	must(t, w.RecordDuplicate(conference, "attendee-1", checkIn2, checkIn1))
	want := DuplicateCheckInDetected{ConferenceID: conference, Attendee: "attendee-1", CheckIn: checkIn2, Earlier: checkIn1}
	thenEvents(t, w, want)
	if w.ID() != CheckInWarningsStreamID(conference) || !w.Flagged(checkIn2.EventID) || w.Flagged(checkIn1.EventID) {
		t.Fatalf("id %q, flagged 2 %v, flagged 1 %v", w.ID(), w.Flagged(checkIn2.EventID), w.Flagged(checkIn1.EventID))
	}

	again := NewCheckInWarnings()
	eventsourcing.Replay(again, CheckInWarningsStreamID(conference), 0, want)
	must(t, again.RecordDuplicate(conference, "attendee-1", checkIn2, checkIn1))
	thenEvents(t, again)
}

func TestDuplicateCheckInWarningNeedsTwoCheckIns(t *testing.T) {
	w := NewCheckInWarnings()
	thenInvalid(t, w, w.RecordDuplicate(conference, "attendee-1", checkIn1, checkIn1))
	thenInvalid(t, w, w.RecordDuplicate(conference, "", checkIn2, checkIn1))
	thenInvalid(t, w, w.RecordDuplicate(uuid.Nil, "attendee-1", checkIn2, checkIn1))
}
