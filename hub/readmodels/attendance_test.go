package readmodels

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// arrivalsWorld is a conference with a workshop sold at a kiosk (a
// walk-up order of two seats) and a main hall sold online (one seat).
type arrivalsWorld struct {
	conf, workshop, hall, walkUp, online uuid.UUID
}

func newArrivalsWorld(t *testing.T, f *fixture) arrivalsWorld {
	t.Helper()
	w := arrivalsWorld{conf: uuid.New(), workshop: uuid.New(), hall: uuid.New(), walkUp: uuid.New(), online: uuid.New()}
	f.published(
		conferences.ConferenceCreated{ConferenceInfo: conferenceInfo(w.conf, "attend", true)},
		conferences.SeatTypeCreated{SeatTypeInfo: conferences.SeatTypeInfo{ConferenceID: w.conf, SeatType: w.workshop, Name: "Workshop", Price: eur(5000), Quota: 10}},
		conferences.SeatTypeCreated{SeatTypeInfo: conferences.SeatTypeInfo{ConferenceID: w.conf, SeatType: w.hall, Name: "Main hall", Price: eur(5000), Quota: 10}},
	)
	f.given(registrations.AvailabilityStreamID(w.conf),
		registrations.SeatTypeAdded{ConferenceID: w.conf, SeatType: w.workshop, Quota: 10},
		registrations.SeatTypeAdded{ConferenceID: w.conf, SeatType: w.hall, Quota: 10},
		registrations.OnSiteSeatsSold{ConferenceID: w.conf, KioskID: "k1", OrderID: w.walkUp, Seats: seats(w.workshop, 2)},
		registrations.SeatsReserved{ConferenceID: w.conf, ReservationID: w.online, Reserved: seats(w.hall, 1)},
		registrations.SeatReservationCommitted{ConferenceID: w.conf, ReservationID: w.online, Seats: seats(w.hall, 1)},
	)
	f.given(registrations.OrderStreamID(w.walkUp), registrations.WalkUpOrderPlaced{OrderID: w.walkUp, ConferenceID: w.conf, KioskID: "k1",
		Seats: seats(w.workshop, 2), Quote: quote(t, seats(w.workshop, 2), eur(5000), registrations.PromoCode{}), AccessCode: "WALK-UP22", Name: "Ann Walker"})
	f.given(registrations.AssignmentsStreamID(w.walkUp), registrations.SeatAssignmentsCreated{OrderID: w.walkUp, ConferenceID: w.conf,
		Positions: []registrations.SeatPosition{
			{Position: 0, SeatType: w.workshop, Attendee: registrations.Attendee{Name: "Ann Walker", Email: "ann@example.org"}},
			{Position: 1, SeatType: w.workshop, Attendee: registrations.Attendee{Name: "Μαρία Παπαδοπούλου"}}}})
	f.given(registrations.OrderStreamID(w.online),
		registrations.OrderPlaced{OrderID: w.online, ConferenceID: w.conf, Seats: seats(w.hall, 1), AccessCode: "ONLI-NE33"},
		registrations.OrderConfirmed{OrderID: w.online, ConferenceID: w.conf})
	f.given(registrations.AssignmentsStreamID(w.online), registrations.SeatAssignmentsCreated{OrderID: w.online, ConferenceID: w.conf,
		Positions: []registrations.SeatPosition{{Position: 0, SeatType: w.hall, Attendee: registrations.Attendee{Name: "李小龍"}}}})
	return w
}

func (w arrivalsWorld) checkIn(f *fixture, order uuid.UUID, position int, kiosk string, at time.Time) {
	f.given(onsite.AttendanceStreamID(onsite.Seat{OrderID: order, Position: position}),
		onsite.AttendeeCheckedIn{ConferenceID: w.conf, OrderID: order, Position: position, KioskID: kiosk, Staff: "Rita", At: at})
}

func attendanceOf(t *testing.T, f *fixture, conf uuid.UUID) map[string][2]int {
	t.Helper()
	v, err := f.m.Attendance(context.Background(), conf)
	f.must(err)
	out := map[string][2]int{"total": {v.Sold, v.CheckedIn}}
	for _, l := range v.SeatTypes {
		out[l.Name] = [2]int{l.Sold, l.CheckedIn}
	}
	return out
}

// Check-ins reach the attendance counts per seat type, a seat counting
// once however often it is scanned; the first check-in is the earliest
// even when it arrives last (an offline kiosk syncing late); a cancelled
// order's seats leave the counts; and a rebuild gives the same tables.
func TestAttendanceCountsSeatsCheckedInAgainstSoldAndEqualsARebuild(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	w := newArrivalsWorld(t, f)
	t0 := time.Date(2027, 5, 10, 8, 30, 0, 0, time.UTC)
	f.catchUp()
	if got := attendanceOf(t, f, w.conf); !reflect.DeepEqual(got, map[string][2]int{"total": {3, 0}, "Workshop": {2, 0}, "Main hall": {1, 0}}) {
		t.Fatalf("before any check-in: %v", got)
	}

	w.checkIn(f, w.walkUp, 0, "k1", t0)
	w.checkIn(f, w.walkUp, 0, "k1", t0.Add(time.Hour)) // re-entry
	w.checkIn(f, w.online, 0, "k2", t0.Add(10*time.Minute))
	f.catchUp()
	if got := attendanceOf(t, f, w.conf); !reflect.DeepEqual(got, map[string][2]int{"total": {3, 2}, "Workshop": {2, 1}, "Main hall": {1, 1}}) {
		t.Fatalf("after three check-ins of two seats: %v", got)
	}

	// After a restart the rows are loaded back: an earlier check-in of the
	// walk-up seat, uploaded late by an offline kiosk, becomes its first.
	f.restart()
	w.checkIn(f, w.walkUp, 0, "k3", t0.Add(-5*time.Minute))
	w.checkIn(f, w.walkUp, 1, "k3", t0.Add(2*time.Hour))
	f.catchUp()
	list, err := f.m.CheckIns(ctx, w.conf, "", 0, 0)
	f.must(err)
	if len(list) != 3 || list[0].Name != "Μαρία Παπαδοπούλου" || list[1].Name != "李小龍" || list[1].AccessCode != "ONLI-NE33" ||
		list[1].SeatTypeName != "Main hall" || list[2].Name != "Ann Walker" || list[2].KioskID != "k3" || list[2].CheckIns != 3 ||
		!list[2].At.Equal(t0.Add(-5*time.Minute)) || list[2].Staff != "Rita" {
		t.Fatalf("checked-in attendees: %+v", list)
	}

	f.given(registrations.OrderStreamID(w.online), registrations.OrderCancelled{OrderID: w.online, ConferenceID: w.conf, WasConfirmed: true})
	f.given(registrations.AvailabilityStreamID(w.conf), registrations.SoldSeatsCancelled{ConferenceID: w.conf, OrderID: w.online, Seats: seats(w.hall, 1)})
	f.catchUp()
	if got := attendanceOf(t, f, w.conf); !reflect.DeepEqual(got, map[string][2]int{"total": {2, 2}, "Workshop": {2, 2}, "Main hall": {0, 0}}) {
		t.Fatalf("after cancelling the online order: %v", got)
	}
	if other := attendanceOf(t, f, uuid.New()); !reflect.DeepEqual(other, map[string][2]int{"total": {0, 0}}) {
		t.Fatalf("another conference: %v", other)
	}

	live, err := f.m.Digest(ctx)
	f.must(err)
	f.must(Rebuild(ctx, f.store, nil))
	rebuilt, err := New(f.store, Options{})
	f.must(err)
	again, err := rebuilt.Digest(ctx)
	f.must(err)
	if !reflect.DeepEqual(live, again) || live["check_ins"] == "" {
		t.Fatalf("digests differ:\nlive    %v\nrebuilt %v", live, again)
	}
}

// A hub whose read models followed the log before the check-ins table
// existed fills it at its next start: the check-ins already behind the
// checkpoint are replayed once, and later ones add to them.
func TestCheckInsProjectedBeforeTheTableExistedAreReplayedOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	w := newArrivalsWorld(t, f)
	t0 := time.Date(2027, 5, 10, 8, 30, 0, 0, time.UTC)
	w.checkIn(f, w.walkUp, 0, "k1", t0)
	w.checkIn(f, w.walkUp, 0, "k1", t0.Add(time.Minute))
	f.catchUp()
	// What an older hub left: the checkpoint past the check-ins, no rows.
	db := f.store.DB()
	if _, err := db.ExecContext(ctx, `DELETE FROM rm_checkins`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM checkpoints WHERE name = $1`, checkpointCheckIns); err != nil {
		t.Fatal(err)
	}
	f.restart()
	w.checkIn(f, w.online, 0, "k2", t0.Add(time.Hour))
	f.catchUp()
	if got := attendanceOf(t, f, w.conf); !reflect.DeepEqual(got, map[string][2]int{"total": {3, 2}, "Workshop": {2, 1}, "Main hall": {1, 1}}) {
		t.Fatalf("after the replay: %v", got)
	}
	list, err := f.m.CheckIns(ctx, w.conf, "", 0, 0)
	f.must(err)
	if len(list) != 2 || list[1].CheckIns != 2 {
		t.Fatalf("checked-in attendees after the replay: %+v", list)
	}
	// Once only: another restart replays nothing more.
	f.restart()
	f.catchUp()
	if list, _ := f.m.CheckIns(ctx, w.conf, "", 0, 0); len(list) != 2 || list[1].CheckIns != 2 {
		t.Fatalf("after another restart: %+v", list)
	}
}
