package registrations

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

func TestEveryEventHasAStableUniqueNameAndRoundTrips(t *testing.T) {
	r := eventsourcing.NewRegistry()
	RegisterEvents(r)
	seen := map[string]bool{}
	samples := append(Events(), PaymentCompleted{}, ReservationTimeout{})
	// A populated sample of the richest events, so nested values round-trip too.
	samples = append(samples, placed())
	samples = append(samples,
		SeatQuotaConflictRaised{ConferenceID: conference, Conflict: 1, SeatType: workshop, Over: 2, OrderIDs: []uuid.UUID{orderB}, KioskID: "k1"},
		started(), WaitlistOfferMade{ConferenceID: conference, EntryID: orderA, SeatType: workshop, Quantity: 1, Window: time.Minute, OfferedAt: t0, ExpiresAt: t0.Add(time.Minute)})
	for _, e := range samples {
		name, schema, data, err := r.Encode(e)
		must(t, err)
		if !strings.HasPrefix(name, "registrations.") || schema != 1 {
			t.Errorf("%T: name %q schema %d", e, name, schema)
		}
		back, err := r.Decode(name, schema, data)
		must(t, err)
		if !reflect.DeepEqual(back, e) {
			t.Errorf("%s did not round-trip:\n got  %+v\n want %+v", name, back, e)
		}
		if reflect.ValueOf(e).IsZero() {
			if seen[name] {
				t.Errorf("two events are named %s", name)
			}
			seen[name] = true
		}
	}
}

// TestAvailabilityNeverOversellsWithoutARecordedConflict drives random
// operations and checks the invariant after each: usage above quota only
// ever comes with open conflicts covering it.
func TestAvailabilityNeverOversellsWithoutARecordedConflict(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	types := []uuid.UUID{fullPass, workshop}
	var orderIDs []uuid.UUID
	for i := range 12 {
		orderIDs = append(orderIDs, uuid.NewSHA1(uuid.Nil, []byte{byte(i)}))
	}
	for run := range 200 {
		a := givenAvailability(added(fullPass, 5), added(workshop, 3))
		for range 40 {
			st, id, n := types[rng.IntN(2)], orderIDs[rng.IntN(len(orderIDs))], 1+rng.IntN(4)
			kiosk := []string{"k1", "k2"}[rng.IntN(2)]
			switch rng.IntN(10) {
			case 0:
				_ = a.MakeReservation(id, seats(st, n))
			case 1:
				_ = a.CommitReservation(id)
			case 2:
				_ = a.CancelReservation(id)
			case 3:
				_ = a.CancelSoldSeats(id)
			case 4:
				_ = a.GrantAllocation(kiosk, st, n)
			case 5:
				_ = a.ReturnAllocation(kiosk, st, n)
			case 6:
				_ = a.RecordOnSiteSale(kiosk, id, seats(st, n))
			case 7:
				_ = a.DecreaseQuota(st, n)
			case 8:
				_ = a.IncreaseQuota(st, n)
			case 9:
				if open := a.OpenConflicts(); len(open) > 0 {
					_ = a.ResolveConflict(open[0].Number, Resolution{Kind: []ResolutionKind{ResolveRaiseQuota, ResolveRefund, ResolveWaitlist}[rng.IntN(3)]})
				}
			}
			for _, st := range types {
				c := a.s.SeatTypes[st]
				if c.Reserved < 0 || c.Sold < 0 || c.Allocated < 0 {
					t.Fatalf("run %d: negative counts %+v", run, c)
				}
				openOver := 0
				for _, cf := range a.OpenConflicts() {
					if cf.SeatType == st {
						openOver += cf.Over
					}
				}
				if a.Overbooked(st) > openOver {
					t.Fatalf("run %d: %s overbooked by %d with only %d in open conflicts", run, st, a.Overbooked(st), openOver)
				}
			}
		}
		// A replay of what was recorded reaches the same state: Apply alone
		// carries every decision.
		b := givenAvailability(append([]eventsourcing.Event{added(fullPass, 5), added(workshop, 3)}, a.Changes()...)...)
		if !reflect.DeepEqual(a.s, b.s) {
			t.Fatalf("run %d: replay differs", run)
		}
	}
}

func TestEveryCommandHasAStableUniqueName(t *testing.T) {
	commands := []Command{
		MakeSeatReservation{}, CommitSeatReservation{}, CancelSeatReservation{}, CancelSoldSeats{},
		RecordOnSiteSale{}, MarkSeatsAsReserved{}, ReinstateOrder{}, ConfirmOrder{}, ExpireOrder{},
		RejectOrder{}, InitiatePayment{}, RefundPayment{}, NotifyRegistrant{}, ReservationTimeout{},
	}
	seen := map[string]bool{}
	for _, c := range commands {
		name := c.CommandType()
		if !strings.HasPrefix(name, "registrations.") || seen[name] {
			t.Errorf("%T: name %q is not prefixed or not unique", c, name)
		}
		seen[name] = true
	}
	var timer any = ReservationTimeout{At: t0}
	if d, ok := timer.(Delayed); !ok || !d.NotBefore().Equal(t0) {
		t.Error("the reservation timeout is not delayed until its time")
	}
}

func TestReleasedSeatsTellTheWaitlistWhatCameBack(t *testing.T) {
	tests := []struct {
		event eventsourcing.Event
		want  Seats
	}{
		{SeatQuotaIncreased{SeatType: workshop, By: 3}, seats(workshop, 3)},
		{SeatReservationCancelled{Seats: seats(fullPass, 2)}, seats(fullPass, 2)},
		{SoldSeatsCancelled{Seats: seats(workshop, 1)}, seats(workshop, 1)},
		{SeatAllocationReturned{SeatType: workshop, Quantity: 4}, seats(workshop, 4)},
		{SeatAllocationGranted{SeatType: workshop, Quantity: 4}, nil},
	}
	for _, tt := range tests {
		if got := ReleasedSeats(tt.event); !got.Equal(tt.want) {
			t.Errorf("%s released %v, want %v", tt.event.EventType(), got, tt.want)
		}
	}
}
