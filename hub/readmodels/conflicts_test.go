package readmodels

import (
	"context"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

func TestConflictsAndDuplicateCheckInsFollowTheLogAndEqualARebuild(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	conf, small, big := uuid.New(), uuid.New(), uuid.New()
	walkA, walkB := uuid.New(), uuid.New()
	f.published(
		conferences.ConferenceCreated{ConferenceInfo: conferenceInfo(conf, "gophercon", true)},
		conferences.SeatTypeCreated{SeatTypeInfo: conferences.SeatTypeInfo{ConferenceID: conf, SeatType: small, Name: "Workshop", Price: eur(5000), Quota: 1}},
		conferences.SeatTypeCreated{SeatTypeInfo: conferences.SeatTypeInfo{ConferenceID: conf, SeatType: big, Name: "Main hall", Price: eur(5000), Quota: 10}},
	)
	f.given(registrations.OrderStreamID(walkA), registrations.WalkUpOrderPlaced{OrderID: walkA, ConferenceID: conf, KioskID: "k1",
		Seats: seats(small, 2), Quote: quote(t, seats(small, 2), eur(5000), registrations.PromoCode{}), AccessCode: "AAAA-BBBB", Name: "Ann Walker"})
	f.given(registrations.AssignmentsStreamID(walkA), registrations.SeatAssignmentsCreated{OrderID: walkA, ConferenceID: conf,
		Positions: []registrations.SeatPosition{{Position: 0, SeatType: small, Attendee: registrations.Attendee{Name: "Ann Walker", Email: "ann@example.org"}}, {Position: 1, SeatType: small}}})
	avail := registrations.AvailabilityStreamID(conf)
	f.given(avail,
		registrations.SeatTypeAdded{ConferenceID: conf, SeatType: small, Quota: 1},
		registrations.SeatTypeAdded{ConferenceID: conf, SeatType: big, Quota: 10},
		registrations.OnSiteSeatsSold{ConferenceID: conf, KioskID: "k1", OrderID: walkA, Seats: seats(small, 2), PastAllocation: seats(small, 2)},
		registrations.SeatQuotaConflictRaised{ConferenceID: conf, Conflict: 1, SeatType: small, Over: 1, OrderIDs: []uuid.UUID{walkA}, KioskID: "k1"},
		registrations.OnSiteSeatsSold{ConferenceID: conf, KioskID: "k2", OrderID: walkB, Seats: seats(small, 1), PastAllocation: seats(small, 1)},
		registrations.SeatQuotaConflictRaised{ConferenceID: conf, Conflict: 2, SeatType: small, Over: 1, OrderIDs: []uuid.UUID{walkB}, KioskID: "k2"},
	)
	later, earlier := uuid.New(), uuid.New()
	f.given(registrations.CheckInWarningsStreamID(conf), registrations.DuplicateCheckInDetected{ConferenceID: conf,
		Attendee: onsite.Seat{OrderID: walkA, Position: 0}.String(),
		CheckIn:  registrations.CheckInRef{EventID: later, KioskID: "k2"}, Earlier: registrations.CheckInRef{EventID: earlier, KioskID: "k1"}})
	f.catchUp()

	list, err := f.m.SeatConflicts(ctx, conf)
	f.must(err)
	if len(list) != 2 || !list[0].Open() || list[0].Number != 1 || list[0].SeatTypeName != "Workshop" || list[0].Over != 1 ||
		len(list[0].Orders) != 1 || list[0].Orders[0].AccessCode != "AAAA-BBBB" || list[0].Orders[0].Seats != 2 || list[1].Orders[0].AccessCode != "" {
		t.Fatalf("open conflicts: %+v", list)
	}
	dups, err := f.m.DuplicateCheckIns(ctx, conf)
	f.must(err)
	if len(dups) != 1 || dups[0].Name != "Ann Walker" || dups[0].OrderID != walkA || dups[0].Position != 0 ||
		dups[0].CheckIn != (registrations.CheckInRef{EventID: later, KioskID: "k2"}) || dups[0].Earlier.KioskID != "k1" || dups[0].AccessCode != "AAAA-BBBB" {
		t.Fatalf("duplicate check-ins: %+v", dups)
	}

	// The resolution lands in a later batch, after a restart: the
	// conflict is loaded back from its row.
	f.restart()
	f.given(avail, registrations.SeatQuotaConflictResolved{ConferenceID: conf, Conflict: 1, SeatType: small, Kind: registrations.ResolveMoveSeats,
		MovedTo: big, Orders: []registrations.OrderSeatChange{{OrderID: walkA, Quantity: 1}}, Note: "moved"})
	f.catchUp()
	list, err = f.m.SeatConflicts(ctx, conf)
	f.must(err)
	if len(list) != 2 || list[0].Number != 2 || list[1].Open() || list[1].Resolution != registrations.ResolveMoveSeats ||
		list[1].MovedToName != "Main hall" || !reflect.DeepEqual(list[1].TakenBack, []registrations.OrderSeatChange{{OrderID: walkA, Quantity: 1}}) || list[1].Note != "moved" {
		t.Fatalf("after resolution: %+v", list)
	}
	if c, d, err := f.m.OpenConflicts(ctx, conf); err != nil || c != 1 || d != 1 {
		t.Fatalf("open counts: %d conflicts, %d duplicates, %v", c, d, err)
	}
	wantCounts(t, f.seatType(conf, big), 10, 0, 1, 0, 9)
	if other, _ := f.m.SeatConflicts(ctx, uuid.New()); len(other) != 0 {
		t.Fatalf("another conference's conflicts: %+v", other)
	}

	live, rebuilt := f.rebuildAndCompare()
	if live["seat_conflicts"] == "" || live["checkin_warnings"] == "" {
		t.Fatalf("digests %v lack the conflicts or the warnings", live)
	}
	if got, _ := rebuilt.SeatConflicts(ctx, conf); !reflect.DeepEqual(got, list) {
		t.Fatalf("rebuilt conflicts: %+v, want %+v", got, list)
	}
}
