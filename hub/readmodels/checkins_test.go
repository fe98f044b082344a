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

// attendanceWorld is a conference with two seat types, three confirmed
// orders (one a walk-up sale whose buyer named no seat) and their seats.
type attendanceWorld struct {
	conf, pass, workshop uuid.UUID
	ann, bob, walkUp     uuid.UUID
	// annFirst is the seat type of Ann's position 0 (a pass or a
	// workshop seat: positions follow the seat types' order).
	annFirst uuid.UUID
}

func (f *fixture) attendanceWorld(t *testing.T) attendanceWorld {
	t.Helper()
	w := attendanceWorld{conf: uuid.New(), pass: uuid.New(), workshop: uuid.New(), ann: uuid.New(), bob: uuid.New(), walkUp: uuid.New()}
	f.published(
		conferences.ConferenceCreated{ConferenceInfo: conferenceInfo(w.conf, "doorcon", true)},
		conferences.SeatTypeCreated{SeatTypeInfo: conferences.SeatTypeInfo{ConferenceID: w.conf, SeatType: w.pass, Name: "Pass", Price: eur(100), Quota: 10}},
		conferences.SeatTypeCreated{SeatTypeInfo: conferences.SeatTypeInfo{ConferenceID: w.conf, SeatType: w.workshop, Name: "Workshop", Price: eur(100), Quota: 5}},
	)
	avail := registrations.AvailabilityStreamID(w.conf)
	f.given(avail,
		registrations.SeatTypeAdded{ConferenceID: w.conf, SeatType: w.pass, Quota: 10},
		registrations.SeatTypeAdded{ConferenceID: w.conf, SeatType: w.workshop, Quota: 5},
	)
	confirmed := func(id uuid.UUID, code string, s registrations.Seats, people ...registrations.Attendee) {
		f.given(registrations.OrderStreamID(id),
			registrations.OrderPlaced{OrderID: id, ConferenceID: w.conf, Seats: s, Quote: quote(t, s, eur(100), registrations.PromoCode{}), AccessCode: code},
			registrations.OrderReservationCompleted{OrderID: id, Seats: s, Quote: quote(t, s, eur(100), registrations.PromoCode{})},
			registrations.OrderConfirmed{OrderID: id, ConferenceID: w.conf, Seats: s, Total: eur(100)},
		)
		f.given(avail, registrations.SeatReservationCommitted{ConferenceID: w.conf, ReservationID: id, Seats: s})
		var positions []registrations.SeatPosition
		for _, q := range s {
			for range q.Quantity {
				p := registrations.SeatPosition{Position: len(positions), SeatType: q.SeatType}
				if len(people) > len(positions) {
					p.Attendee = people[len(positions)]
				}
				positions = append(positions, p)
			}
		}
		f.given(registrations.AssignmentsStreamID(id), registrations.SeatAssignmentsCreated{OrderID: id, ConferenceID: w.conf, Positions: positions})
	}
	annSeats := registrations.Seats{{SeatType: w.pass, Quantity: 1}, {SeatType: w.workshop, Quantity: 1}}.Normalize()
	w.annFirst = annSeats[0].SeatType
	confirmed(w.ann, "ANNA-0001", annSeats,
		registrations.Attendee{Name: "Ann Archer", Email: "ann@example.org"}, registrations.Attendee{Name: "Ann Archer", Email: "ann@example.org"})
	confirmed(w.bob, "BOBB-0002", seats(w.pass, 1), registrations.Attendee{Name: "Bob Byte", Email: "bob@example.org"})
	s := seats(w.workshop, 1)
	f.given(registrations.OrderStreamID(w.walkUp), registrations.WalkUpOrderPlaced{OrderID: w.walkUp, ConferenceID: w.conf, KioskID: "k1",
		Seats: s, Quote: quote(t, s, eur(100), registrations.PromoCode{}), AccessCode: "WALK-0003", Name: "Wanda Walker", Email: "wanda@example.org"})
	f.given(avail, registrations.OnSiteSeatsSold{ConferenceID: w.conf, KioskID: "k1", OrderID: w.walkUp, Seats: s})
	f.given(registrations.AssignmentsStreamID(w.walkUp), registrations.SeatAssignmentsCreated{OrderID: w.walkUp, ConferenceID: w.conf,
		Positions: []registrations.SeatPosition{{Position: 0, SeatType: w.workshop}}})
	return w
}

var doorsOpen = time.Date(2027, 5, 10, 8, 30, 0, 0, time.UTC)

func (f *fixture) checkedIn(w attendanceWorld, order uuid.UUID, position int, kiosk string, after time.Duration) {
	f.t.Helper()
	seat := onsite.Seat{OrderID: order, Position: position}
	f.given(onsite.AttendanceStreamID(seat), onsite.AttendeeCheckedIn{ConferenceID: w.conf, OrderID: order, Position: position,
		KioskID: kiosk, Staff: "door", At: doorsOpen.Add(after)})
}

func TestCheckInsAndAttendanceFollowTheLogAndEqualARebuild(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	w := f.attendanceWorld(t)
	f.checkedIn(w, w.ann, 0, "k1", time.Minute)
	f.checkedIn(w, w.walkUp, 0, "k2", 2*time.Minute)
	f.catchUp()

	// Ann is let in again on another kiosk after a restart: her row is
	// loaded back and counts two check-ins, the first one's kiosk kept.
	f.restart()
	f.checkedIn(w, w.ann, 0, "k2", 3*time.Minute)
	f.catchUp()

	list, err := f.m.CheckIns(ctx, w.conf, "", 0, 0)
	f.must(err)
	want := []CheckInView{
		{OrderID: w.walkUp, AccessCode: "WALK-0003", SeatType: w.workshop, SeatTypeName: "Workshop", Name: "Wanda Walker",
			Email: "wanda@example.org", Registrant: "Wanda Walker", KioskID: "k2", Staff: "door", At: doorsOpen.Add(2 * time.Minute), CheckIns: 1},
		{OrderID: w.ann, AccessCode: "ANNA-0001", SeatType: w.annFirst, SeatTypeName: f.seatType(w.conf, w.annFirst).Name, Name: "Ann Archer",
			Email: "ann@example.org", KioskID: "k1", Staff: "door", At: doorsOpen.Add(time.Minute), CheckIns: 2},
	}
	if !reflect.DeepEqual(list, want) {
		t.Fatalf("check-ins:\ngot  %+v\nwant %+v", list, want)
	}
	if found, _ := f.m.CheckIns(ctx, w.conf, "anna-", 10, 0); len(found) != 1 || found[0].OrderID != w.ann {
		t.Fatalf("check-ins matching an access code: %+v", found)
	}
	if found, _ := f.m.CheckIns(ctx, w.conf, "WANDA", 10, 0); len(found) != 1 || found[0].OrderID != w.walkUp {
		t.Fatalf("check-ins matching a walk-up buyer: %+v", found)
	}
	if other, _ := f.m.CheckIns(ctx, uuid.New(), "", 0, 0); len(other) != 0 {
		t.Fatalf("another conference's check-ins: %+v", other)
	}

	counts, err := f.m.Attendance(ctx, w.conf)
	f.must(err)
	// Both seat types sold two; Ann's first seat and Wanda's workshop seat
	// were checked in.
	checkedIn := map[uuid.UUID]int{w.annFirst: 1}
	checkedIn[w.workshop]++
	for _, c := range counts.SeatTypes {
		if c.Sold != 2 || c.CheckedIn != checkedIn[c.SeatType] || c.Name == "" {
			t.Fatalf("attendance: got %+v, want 2 sold of each and checked in %v", counts, checkedIn)
		}
	}
	if len(counts.SeatTypes) != 2 {
		t.Fatalf("attendance: got %+v, want both seat types", counts)
	}

	// A cancelled order's seats are no longer sold: its check-in stays
	// listed but is not counted.
	f.given(registrations.OrderStreamID(w.ann), registrations.OrderCancelled{OrderID: w.ann, ConferenceID: w.conf,
		Seats: registrations.Seats{{SeatType: w.pass, Quantity: 1}, {SeatType: w.workshop, Quantity: 1}}.Normalize(), WasConfirmed: true})
	f.given(registrations.AvailabilityStreamID(w.conf), registrations.SoldSeatsCancelled{ConferenceID: w.conf,
		Seats: registrations.Seats{{SeatType: w.pass, Quantity: 1}, {SeatType: w.workshop, Quantity: 1}}.Normalize()})
	f.catchUp()
	counts, err = f.m.Attendance(ctx, w.conf)
	f.must(err)
	for _, c := range counts.SeatTypes {
		if want := map[uuid.UUID]int{w.workshop: 1}[c.SeatType]; c.Sold != 1 || c.CheckedIn != want {
			t.Fatalf("after the cancellation: %+v, want 1 sold of each and only Wanda checked in", counts)
		}
	}

	if live, _ := f.rebuildAndCompare(); live["check_ins"] == "" {
		t.Fatal("no digest of the check-ins")
	}
}

// A hub whose read models followed the log before the check-ins table
// existed finds the check-ins already in its log projected at start, once.
func TestCheckInsRecordedBeforeTheTableExistedAreProjectedOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	w := f.attendanceWorld(t)
	f.checkedIn(w, w.ann, 0, "k1", time.Minute)
	f.checkedIn(w, w.bob, 0, "k1", 2*time.Minute)
	f.catchUp()
	// As such a hub's database is: the events applied, the table empty
	// and no marker.
	for _, q := range []string{`DELETE FROM rm_checkins`, `DELETE FROM checkpoints WHERE name = 'readmodels.checkins'`} {
		if _, err := f.store.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	for range 2 {
		f.restart()
		f.checkedIn(w, w.bob, 0, "k2", 3*time.Minute)
		f.catchUp()
	}
	list, err := f.m.CheckIns(ctx, w.conf, "", 0, 0)
	f.must(err)
	if len(list) != 2 || list[0].OrderID != w.bob || list[0].CheckIns != 3 || list[1].OrderID != w.ann || list[1].CheckIns != 1 {
		t.Fatalf("check-ins after the upgrade: %+v, want Bob three times and Ann once", list)
	}
}
