package registrations

import (
	"reflect"
	"testing"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

func givenAvailability(events ...eventsourcing.Event) *SeatsAvailability {
	a := NewSeatsAvailability()
	eventsourcing.Replay(a, AvailabilityStreamID(conference), 0, events...)
	return a
}

func added(seatType uuid.UUID, quota int) SeatTypeAdded {
	return SeatTypeAdded{ConferenceID: conference, SeatType: seatType, Quota: quota}
}

func reserved(id uuid.UUID, requested, got Seats) SeatsReserved {
	return SeatsReserved{ConferenceID: conference, ReservationID: id, Requested: requested, Reserved: got}
}

// thenCounts checks quota, reserved, sold, allocated and remaining of a seat type.
func thenCounts(t *testing.T, a *SeatsAvailability, seatType uuid.UUID, quota, res, sold, alloc, remaining int) {
	t.Helper()
	got := []int{a.Quota(seatType), a.ReservedCount(seatType), a.SoldCount(seatType), a.AllocatedCount(seatType), a.Remaining(seatType)}
	want := []int{quota, res, sold, alloc, remaining}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("quota/reserved/sold/allocated/remaining = %v, want %v", got, want)
	}
}

func TestAddSeatTypeNamesTheStreamAndSetsTheQuota(t *testing.T) {
	a := NewSeatsAvailability()
	must(t, a.AddSeatType(conference, fullPass, 100))
	thenEvents(t, a, added(fullPass, 100))
	if a.ID() != "availability-"+conference.String() || a.Remaining(fullPass) != 100 {
		t.Fatalf("id %q remaining %d", a.ID(), a.Remaining(fullPass))
	}
	a = givenAvailability(added(fullPass, 100))
	thenError(t, a, a.AddSeatType(conference, fullPass, 5), ErrSeatTypeExists)
	thenInvalid(t, a, a.AddSeatType(uuid.New(), workshop, 5))
	thenInvalid(t, a, a.AddSeatType(conference, workshop, -1))
}

func TestQuotaCanGrowAndShrinkButNotBelowSeatsInUse(t *testing.T) {
	a := givenAvailability(added(fullPass, 10), reserved(orderA, seats(fullPass, 6), seats(fullPass, 6)))
	must(t, a.IncreaseQuota(fullPass, 5))
	thenEvents(t, a, SeatQuotaIncreased{ConferenceID: conference, SeatType: fullPass, By: 5, Quota: 15})

	a = givenAvailability(added(fullPass, 10), reserved(orderA, seats(fullPass, 6), seats(fullPass, 6)))
	must(t, a.DecreaseQuota(fullPass, 4))
	thenEvents(t, a, SeatQuotaDecreased{ConferenceID: conference, SeatType: fullPass, By: 4, Quota: 6})

	a = givenAvailability(added(fullPass, 10), reserved(orderA, seats(fullPass, 6), seats(fullPass, 6)))
	thenError(t, a, a.DecreaseQuota(fullPass, 5), ErrQuotaBelowUsage)
	thenError(t, a, a.IncreaseQuota(workshop, 1), ErrUnknownSeatType)
	thenInvalid(t, a, a.IncreaseQuota(fullPass, 0))
}

func TestSetQuotaAddsOrAdjustsAsNeeded(t *testing.T) {
	a := givenAvailability(added(fullPass, 10))
	must(t, a.SetQuota(conference, fullPass, 12))
	must(t, a.SetQuota(conference, fullPass, 12))
	must(t, a.SetQuota(conference, workshop, 3))
	thenEvents(t, a,
		SeatQuotaIncreased{ConferenceID: conference, SeatType: fullPass, By: 2, Quota: 12},
		added(workshop, 3))
}

func TestMakeReservationHoldsWhatIsFree(t *testing.T) {
	tests := []struct {
		name   string
		wanted Seats
		want   Seats
	}{
		{"everything free", seats(fullPass, 2, workshop, 1), seats(fullPass, 2, workshop, 1)},
		{"partly free", seats(fullPass, 2, workshop, 5), seats(fullPass, 2, workshop, 3)},
		{"sold out type", seats(reception, 2), nil},
		{"unknown seat type reserves nothing", seats(uuid.MustParse("00000000-0000-0000-0000-000000000999"), 1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := givenAvailability(added(fullPass, 10), added(workshop, 3), added(reception, 0))
			must(t, a.MakeReservation(orderA, tt.wanted))
			thenEvents(t, a, reserved(orderA, tt.wanted, tt.want))
		})
	}
}

func TestTheSameReservationAgainReplacesItInsteadOfDoubling(t *testing.T) {
	a := givenAvailability(added(fullPass, 5), reserved(orderA, seats(fullPass, 3), seats(fullPass, 3)))
	must(t, a.MakeReservation(orderA, seats(fullPass, 3)))
	thenEvents(t, a, reserved(orderA, seats(fullPass, 3), seats(fullPass, 3)))
	thenCounts(t, a, fullPass, 5, 3, 0, 0, 2)

	// Growing past what is free keeps the seats held and adds what is left.
	a = givenAvailability(added(fullPass, 5), reserved(orderA, seats(fullPass, 3), seats(fullPass, 3)))
	must(t, a.MakeReservation(orderA, seats(fullPass, 9)))
	thenEvents(t, a, reserved(orderA, seats(fullPass, 9), seats(fullPass, 5)))
	thenCounts(t, a, fullPass, 5, 5, 0, 0, 0)

	// Shrinking frees seats.
	a = givenAvailability(added(fullPass, 5), reserved(orderA, seats(fullPass, 3), seats(fullPass, 3)))
	must(t, a.MakeReservation(orderA, seats(fullPass, 1)))
	thenCounts(t, a, fullPass, 5, 1, 0, 0, 4)
}

func TestCommitTurnsAReservationIntoSoldSeats(t *testing.T) {
	a := givenAvailability(added(fullPass, 5), reserved(orderA, seats(fullPass, 3), seats(fullPass, 2)))
	must(t, a.CommitReservation(orderA))
	thenEvents(t, a, SeatReservationCommitted{ConferenceID: conference, ReservationID: orderA, Seats: seats(fullPass, 2)})
	thenCounts(t, a, fullPass, 5, 0, 2, 0, 3)

	// Committing again is a no-op; reserving a committed order is refused.
	a = givenAvailability(added(fullPass, 5), reserved(orderA, seats(fullPass, 2), seats(fullPass, 2)),
		SeatReservationCommitted{ConferenceID: conference, ReservationID: orderA, Seats: seats(fullPass, 2)})
	must(t, a.CommitReservation(orderA))
	thenEvents(t, a)
	thenError(t, a, a.MakeReservation(orderA, seats(fullPass, 1)), ErrReservationCommitted)
	thenError(t, a, a.CancelReservation(orderA), ErrReservationCommitted)
	thenError(t, a, a.CommitReservation(orderB), ErrReservationNotFound)
}

func TestCancelReservationFreesSeatsAndUnknownReservationsAreNoOps(t *testing.T) {
	a := givenAvailability(added(fullPass, 5), reserved(orderA, seats(fullPass, 3), seats(fullPass, 3)))
	must(t, a.CancelReservation(orderA))
	thenEvents(t, a, SeatReservationCancelled{ConferenceID: conference, ReservationID: orderA, Seats: seats(fullPass, 3)})
	thenCounts(t, a, fullPass, 5, 0, 0, 0, 5)

	a = givenAvailability(added(fullPass, 5))
	must(t, a.CancelReservation(orderA))
	thenEvents(t, a)
}

func TestCancelSoldSeatsPutsThemBackOnSale(t *testing.T) {
	a := givenAvailability(added(fullPass, 5), reserved(orderA, seats(fullPass, 3), seats(fullPass, 3)),
		SeatReservationCommitted{ConferenceID: conference, ReservationID: orderA, Seats: seats(fullPass, 3)})
	must(t, a.CancelSoldSeats(orderA))
	thenEvents(t, a, SoldSeatsCancelled{ConferenceID: conference, OrderID: orderA, Seats: seats(fullPass, 3)})
	thenCounts(t, a, fullPass, 5, 0, 0, 0, 5)
	if got := ReleasedSeats(eventsourcing.Changes(a)[0]); !got.Equal(seats(fullPass, 3)) {
		t.Errorf("released seats = %v", got)
	}

	must(t, givenAvailability(added(fullPass, 5)).CancelSoldSeats(orderB))
}

func TestSnapshotRestoresTheSameState(t *testing.T) {
	a := givenAvailability(added(fullPass, 10), added(workshop, 4),
		reserved(orderA, seats(fullPass, 2), seats(fullPass, 2)),
		SeatAllocationGranted{ConferenceID: conference, KioskID: "k1", SeatType: workshop, Quantity: 3},
		OnSiteSeatsSold{ConferenceID: conference, KioskID: "k1", OrderID: orderB, Seats: seats(workshop, 2), FromAllocation: seats(workshop, 2)},
		SeatQuotaConflictRaised{ConferenceID: conference, Conflict: 1, SeatType: workshop, Over: 1, OrderIDs: []uuid.UUID{orderB}, KioskID: "k1"})
	data, err := a.MarshalSnapshot()
	must(t, err)
	b := NewSeatsAvailability()
	must(t, b.UnmarshalSnapshot(a.SnapshotSchema(), data))
	if !reflect.DeepEqual(a.s, b.s) {
		t.Fatalf("restored state differs:\n got  %+v\n want %+v", b.s, a.s)
	}
	if err := b.UnmarshalSnapshot(99, data); err == nil {
		t.Fatal("unknown snapshot schema accepted")
	}
}
