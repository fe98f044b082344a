package registrations

import (
	"testing"

	"github.com/google/uuid"
)

func granted(kiosk string, seatType uuid.UUID, n int) SeatAllocationGranted {
	return SeatAllocationGranted{ConferenceID: conference, KioskID: kiosk, SeatType: seatType, Quantity: n}
}

func TestAllocationIsTakenFromAvailabilityLikeAReservation(t *testing.T) {
	a := givenAvailability(added(workshop, 10))
	must(t, a.GrantAllocation("k1", workshop, 4))
	thenEvents(t, a, granted("k1", workshop, 4))
	thenCounts(t, a, workshop, 10, 0, 0, 4, 6)
	if a.AllocationOf("k1", workshop) != 4 {
		t.Fatalf("k1 allocation = %d", a.AllocationOf("k1", workshop))
	}

	a = givenAvailability(added(workshop, 10), reserved(orderA, seats(workshop, 8), seats(workshop, 8)))
	thenError(t, a, a.GrantAllocation("k1", workshop, 3), ErrNotEnoughSeats)
}

func TestReturnAllocationGivesUnsoldSeatsBack(t *testing.T) {
	a := givenAvailability(added(workshop, 10), granted("k1", workshop, 4))
	must(t, a.ReturnAllocation("k1", workshop, 3))
	thenEvents(t, a, SeatAllocationReturned{ConferenceID: conference, KioskID: "k1", SeatType: workshop, Quantity: 3})
	thenCounts(t, a, workshop, 10, 0, 0, 1, 9)

	a = givenAvailability(added(workshop, 10), granted("k1", workshop, 4))
	thenError(t, a, a.ReturnAllocation("k2", workshop, 1), ErrAllocationExhausted)
	thenError(t, a, a.ReturnAllocation("k1", workshop, 5), ErrAllocationExhausted)
}

func TestSellFromAllocationStaysInsideTheLease(t *testing.T) {
	a := givenAvailability(added(workshop, 10), granted("k1", workshop, 2))
	must(t, a.SellFromAllocation("k1", orderB, seats(workshop, 2)))
	thenEvents(t, a, OnSiteSeatsSold{ConferenceID: conference, KioskID: "k1", OrderID: orderB, Seats: seats(workshop, 2), FromAllocation: seats(workshop, 2)})
	thenCounts(t, a, workshop, 10, 0, 2, 0, 8)

	a = givenAvailability(added(workshop, 10), granted("k1", workshop, 2))
	thenError(t, a, a.SellFromAllocation("k1", orderB, seats(workshop, 3)), ErrAllocationExhausted)
}

func TestOnSiteSalePastTheAllocationTakesFreeSeats(t *testing.T) {
	a := givenAvailability(added(workshop, 10), granted("k1", workshop, 2))
	must(t, a.RecordOnSiteSale("k1", orderB, seats(workshop, 5)))
	thenEvents(t, a, OnSiteSeatsSold{ConferenceID: conference, KioskID: "k1", OrderID: orderB, Seats: seats(workshop, 5),
		FromAllocation: seats(workshop, 2), PastAllocation: seats(workshop, 3)})
	thenCounts(t, a, workshop, 10, 0, 5, 0, 5)
	if len(a.OpenConflicts()) != 0 {
		t.Fatal("a sale that fits raised a conflict")
	}
}

func TestOnSiteSaleBeyondTheQuotaIsRecordedWithAConflictNotRefused(t *testing.T) {
	// 4 seats: 2 leased to k1, 2 reserved online. k1 sold 5 offline.
	a := givenAvailability(added(workshop, 4), granted("k1", workshop, 2), reserved(orderA, seats(workshop, 2), seats(workshop, 2)))
	must(t, a.RecordOnSiteSale("k1", orderB, seats(workshop, 5)))
	thenEvents(t, a,
		OnSiteSeatsSold{ConferenceID: conference, KioskID: "k1", OrderID: orderB, Seats: seats(workshop, 5),
			FromAllocation: seats(workshop, 2), PastAllocation: seats(workshop, 3)},
		SeatQuotaConflictRaised{ConferenceID: conference, Conflict: 1, SeatType: workshop, Over: 3, OrderIDs: []uuid.UUID{orderB}, KioskID: "k1"})
	thenCounts(t, a, workshop, 4, 2, 5, 0, 0)
	if a.Overbooked(workshop) != 3 {
		t.Fatalf("overbooked by %d, want 3", a.Overbooked(workshop))
	}
}

func TestTheSameOnSiteSaleAppliedTwiceCountsOnce(t *testing.T) {
	a := givenAvailability(added(workshop, 4),
		OnSiteSeatsSold{ConferenceID: conference, KioskID: "k1", OrderID: orderB, Seats: seats(workshop, 1), PastAllocation: seats(workshop, 1)})
	must(t, a.RecordOnSiteSale("k1", orderB, seats(workshop, 1)))
	thenEvents(t, a)
	thenCounts(t, a, workshop, 4, 0, 1, 0, 3)
}

func TestAnOnSiteSaleOfAnUnknownSeatTypeIsStillRecorded(t *testing.T) {
	a := givenAvailability(added(fullPass, 4))
	must(t, a.RecordOnSiteSale("k1", orderB, seats(workshop, 1)))
	if len(a.OpenConflicts()) != 1 || a.SoldCount(workshop) != 1 {
		t.Fatalf("conflicts %v, sold %d", a.OpenConflicts(), a.SoldCount(workshop))
	}
}

// oversold: workshop quota 4, fully sold online to orderA, then k1 sold 2
// more offline to orderB: conflict 1, over by 2.
func oversold() *SeatsAvailability {
	return givenAvailability(added(workshop, 4), added(fullPass, 10),
		reserved(orderA, seats(workshop, 4), seats(workshop, 4)),
		SeatReservationCommitted{ConferenceID: conference, ReservationID: orderA, Seats: seats(workshop, 4)},
		OnSiteSeatsSold{ConferenceID: conference, KioskID: "k1", OrderID: orderB, Seats: seats(workshop, 2), PastAllocation: seats(workshop, 2)},
		SeatQuotaConflictRaised{ConferenceID: conference, Conflict: 1, SeatType: workshop, Over: 2, OrderIDs: []uuid.UUID{orderB}, KioskID: "k1"})
}

func TestResolvingAConflict(t *testing.T) {
	orders := []OrderSeatChange{{OrderID: orderB, Quantity: 2}}
	tests := []struct {
		name       string
		resolution Resolution
		want       SeatQuotaConflictResolved
		check      func(*testing.T, *SeatsAvailability)
	}{
		{"raise the quota", Resolution{Kind: ResolveRaiseQuota},
			SeatQuotaConflictResolved{ConferenceID: conference, Conflict: 1, SeatType: workshop, Kind: ResolveRaiseQuota, QuotaRaisedBy: 2},
			func(t *testing.T, a *SeatsAvailability) { thenCounts(t, a, workshop, 6, 0, 6, 0, 0) }},
		{"move the seats to another seat type", Resolution{Kind: ResolveMoveSeats, ToSeatType: fullPass},
			SeatQuotaConflictResolved{ConferenceID: conference, Conflict: 1, SeatType: workshop, Kind: ResolveMoveSeats, MovedTo: fullPass, Orders: orders},
			func(t *testing.T, a *SeatsAvailability) {
				thenCounts(t, a, workshop, 4, 0, 4, 0, 0)
				thenCounts(t, a, fullPass, 10, 0, 2, 0, 8)
				if got, _ := a.SoldTo(orderB); !got.Equal(seats(fullPass, 2)) {
					t.Errorf("order B now holds %v", got)
				}
			}},
		{"waitlist the buyers", Resolution{Kind: ResolveWaitlist},
			SeatQuotaConflictResolved{ConferenceID: conference, Conflict: 1, SeatType: workshop, Kind: ResolveWaitlist, Orders: orders},
			func(t *testing.T, a *SeatsAvailability) { thenCounts(t, a, workshop, 4, 0, 4, 0, 0) }},
		{"refund the buyers", Resolution{Kind: ResolveRefund, Note: "sorry"},
			SeatQuotaConflictResolved{ConferenceID: conference, Conflict: 1, SeatType: workshop, Kind: ResolveRefund, Orders: orders, Note: "sorry"},
			func(t *testing.T, a *SeatsAvailability) { thenCounts(t, a, workshop, 4, 0, 4, 0, 0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := oversold()
			must(t, a.ResolveConflict(1, tt.resolution))
			thenEvents(t, a, tt.want)
			tt.check(t, a)
			if len(a.OpenConflicts()) != 0 || a.Overbooked(workshop) != 0 {
				t.Errorf("open conflicts %v, overbooked %d", a.OpenConflicts(), a.Overbooked(workshop))
			}
		})
	}
}

func TestConflictResolutionErrors(t *testing.T) {
	a := oversold()
	thenError(t, a, a.ResolveConflict(7, Resolution{Kind: ResolveRefund}), ErrConflictNotFound)
	thenInvalid(t, a, a.ResolveConflict(1, Resolution{Kind: "ignore"}))
	thenInvalid(t, a, a.ResolveConflict(1, Resolution{Kind: ResolveMoveSeats, ToSeatType: workshop}))
	thenError(t, a, a.ResolveConflict(1, Resolution{Kind: ResolveMoveSeats, ToSeatType: reception}), ErrUnknownSeatType)

	// The destination needs room for every excess seat.
	cramped := oversold()
	cramped.Apply(reserved(orderA, seats(fullPass, 9), seats(fullPass, 9)))
	thenError(t, cramped, cramped.ResolveConflict(1, Resolution{Kind: ResolveMoveSeats, ToSeatType: fullPass}), ErrNotEnoughSeats)

	resolved := oversold()
	resolved.Apply(SeatQuotaConflictResolved{ConferenceID: conference, Conflict: 1, SeatType: workshop, Kind: ResolveRaiseQuota, QuotaRaisedBy: 2})
	thenError(t, resolved, resolved.ResolveConflict(1, Resolution{Kind: ResolveRefund}), ErrConflictResolved)
}
