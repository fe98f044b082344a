package readmodel_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/kiosk/readmodel"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// kioskLog feeds a model events as a kiosk's log holds them, and keeps
// them so a second model can replay the same log (a restart).
type kioskLog struct {
	t      *testing.T
	me     string
	codec  *eventsourcing.Registry
	m      *readmodel.Model
	events []eventstore.Event
}

func newKioskLog(t *testing.T, me string) *kioskLog {
	codec := eventsourcing.NewRegistry()
	registrations.RegisterEvents(codec)
	onsite.RegisterEvents(codec)
	return &kioskLog{t: t, me: me, codec: codec, m: readmodel.New(me, codec)}
}

func (l *kioskLog) append(stream, origin string, e eventsourcing.Event) {
	l.t.Helper()
	name, schema, data, err := l.codec.Encode(e)
	if err != nil {
		l.t.Fatal(err)
	}
	l.appendRaw(eventstore.Event{EventID: ids.New(), StreamID: stream, Type: name, Schema: schema, Data: data, Origin: origin})
}

func (l *kioskLog) appendRaw(e eventstore.Event) {
	l.t.Helper()
	e.Position = int64(len(l.events) + 1)
	l.events = append(l.events, e)
	if err := l.m.Apply(e); err != nil {
		l.t.Fatal(err)
	}
}

// seatType publishes a seat type sold at kiosks past their allocation.
func (l *kioskLog) seatType(conf, st uuid.UUID, name string) {
	l.t.Helper()
	info, _ := json.Marshal(conferences.SeatTypeInfo{ConferenceID: conf, SeatType: st, Name: name,
		Price: registrations.NewMoney(1500, "EUR"), Quota: 10,
		OnSite: conferences.OnSitePolicy{SellableAtKiosks: true, SellPastAllocation: true, KioskAllocationSize: 1}})
	l.appendRaw(eventstore.Event{EventID: ids.New(), StreamID: "conference-" + conf.String(), Type: conferences.TypeSeatTypeCreated, Data: info, Origin: "hub"})
	l.append(registrations.AvailabilityStreamID(conf), "hub", registrations.SeatTypeAdded{ConferenceID: conf, SeatType: st, Quota: 10})
}

// sale is a walk-up sale of this kiosk, of one seat of st.
func (l *kioskLog) sale(conf, st uuid.UUID, name string) onsite.Seat {
	id := ids.New()
	l.append(registrations.OrderStreamID(id), l.me, registrations.WalkUpOrderPlaced{OrderID: id, ConferenceID: conf, KioskID: l.me,
		Seats: registrations.Seats{{SeatType: st, Quantity: 1}}, Name: name, Method: registrations.PaymentCash})
	return onsite.Seat{OrderID: id}
}

// replayed is a fresh model of the same log.
func (l *kioskLog) replayed() *readmodel.Model {
	l.t.Helper()
	m := readmodel.New(l.me, l.codec)
	if err := m.Apply(l.events...); err != nil {
		l.t.Fatal(err)
	}
	return m
}

func TestEveryBadgePrintIsProjectedWithWhoWhereWhyAndWhetherItPrinted(t *testing.T) {
	l := newKioskLog(t, "k1")
	conf, st := ids.New(), ids.New()
	l.seatType(conf, st, "Reception")
	s := l.sale(conf, st, "Ivo")
	stream := onsite.AttendanceStreamID(s)
	t0 := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	printed := func(kiosk, staff string, n int, reason string, at time.Time) onsite.BadgePrinted {
		return onsite.BadgePrinted{ConferenceID: conf, OrderID: s.OrderID, KioskID: kiosk, Staff: staff, Reprint: n, Reason: reason, IssuedAt: at, At: at}
	}

	// Given a badge printed ahead of arrival, a check-in, a reprint that the
	// printer refused, and another kiosk's reprint relayed by the hub.
	l.append(stream, "k1", printed("k1", "Rita", 0, "", t0))
	l.append(stream, "k1", onsite.AttendeeCheckedIn{ConferenceID: conf, OrderID: s.OrderID, KioskID: "k1", Staff: "Rita", At: t0.Add(time.Minute)})
	l.append(stream, "k1", printed("k1", "Rui", 1, "lost", t0.Add(2*time.Minute)))
	l.append(stream, "k1", onsite.BadgePrintFailed{ConferenceID: conf, OrderID: s.OrderID, KioskID: "k1", Staff: "Rui", Reprint: 1, Error: "paper out", At: t0.Add(2 * time.Minute)})
	l.append(stream, "hub", printed("k2", "Sam", 1, "damaged", t0.Add(3*time.Minute)))

	// Then the attendee lists the three prints in that order.
	want := []readmodel.PrintRecord{
		{Reprint: 0, KioskID: "k1", Staff: "Rita", At: t0, CheckedIn: false, IssuedAt: t0},
		{Reprint: 1, KioskID: "k1", Staff: "Rui", Reason: "lost", At: t0.Add(2 * time.Minute), CheckedIn: true, Failed: true, Error: "paper out",
			IssuedAt: t0.Add(2 * time.Minute)},
		{Reprint: 1, KioskID: "k2", Staff: "Sam", Reason: "damaged", At: t0.Add(3 * time.Minute), CheckedIn: true, IssuedAt: t0.Add(3 * time.Minute)},
	}
	for name, m := range map[string]*readmodel.Model{"live": l.m, "after restart": l.replayed()} {
		a, ok := m.Attendee(s)
		if !ok {
			t.Fatalf("%s: attendee unknown", name)
		}
		if !reflect.DeepEqual(a.PrintLog, want) || a.Prints != 3 || a.FailedPrints() != 1 {
			t.Fatalf("%s: %d prints (%d failed), log\n got  %+v\n want %+v", name, a.Prints, a.FailedPrints(), a.PrintLog, want)
		}
	}
}

func TestAWalkUpSoldPastTheAllocationIsPendingUntilTheHubAppliesIt(t *testing.T) {
	l := newKioskLog(t, "k1")
	conf, st := ids.New(), ids.New()
	l.seatType(conf, st, "Reception")
	avail := registrations.AvailabilityStreamID(conf)
	l.append(avail, "hub", registrations.SeatAllocationGranted{ConferenceID: conf, KioskID: "k1", SeatType: st, Quantity: 1})

	inside := l.sale(conf, st, "Ivo") // takes the one seat of the allocation
	past := l.sale(conf, st, "Jo")    // sold beyond it
	pending := func(m *readmodel.Model, s onsite.Seat) registrations.Seats {
		t.Helper()
		a, ok := m.Attendee(s)
		if !ok {
			t.Fatalf("attendee %s unknown", s)
		}
		return a.PendingHub
	}
	wantPast := registrations.Seats{{SeatType: st, Quantity: 1}}
	for name, m := range map[string]*readmodel.Model{"live": l.m, "after restart": l.replayed()} {
		if got := pending(m, inside); got != nil {
			t.Fatalf("%s: a sale inside the allocation is pending: %v", name, got)
		}
		if got := pending(m, past); !reflect.DeepEqual(got, wantPast) {
			t.Fatalf("%s: sale past the allocation pending %v, want %v", name, got, wantPast)
		}
	}

	// When the hub's merge of the sale arrives, it is settled.
	l.append(avail, "hub", registrations.OnSiteSeatsSold{ConferenceID: conf, KioskID: "k1", OrderID: inside.OrderID,
		Seats: wantPast, FromAllocation: wantPast})
	l.append(avail, "hub", registrations.OnSiteSeatsSold{ConferenceID: conf, KioskID: "k1", OrderID: past.OrderID,
		Seats: wantPast, PastAllocation: wantPast})
	if got := pending(l.m, past); got != nil {
		t.Fatalf("still pending after the hub applied it: %v", got)
	}
	if got := pending(l.replayed(), past); got != nil {
		t.Fatalf("pending again after a restart: %v", got)
	}
}
