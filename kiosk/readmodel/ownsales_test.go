package readmodel_test

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/kiosk/readmodel"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// A grant still on its way to the kiosk when it sold past its allocation
// covers that sale at the hub: the kiosk must not count the grant as free
// for a "certain" sale (found by the sync chaos test, seed 1).
func TestGrantInFlightCoversAnOfflineSaleAndIsNotSoldTwice(t *testing.T) {
	codec := eventsourcing.NewRegistry()
	registrations.RegisterEvents(codec)
	onsite.RegisterEvents(codec)
	const me = "kiosk-1"
	conf, ws := ids.New(), ids.New()
	m := readmodel.New(me, codec)
	pos := int64(0)
	apply := func(stream, origin string, e eventsourcing.Event) {
		t.Helper()
		name, schema, data, err := codec.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		pos++
		if err := m.Apply(eventstore.Event{EventID: ids.New(), StreamID: stream, Type: name, Schema: schema, Data: data, Origin: origin, Position: pos}); err != nil {
			t.Fatal(err)
		}
	}
	info, _ := json.Marshal(conferences.SeatTypeInfo{ConferenceID: conf, SeatType: ws, Name: "Workshop",
		Price: registrations.NewMoney(4900, "EUR"), Quota: 10,
		OnSite: conferences.OnSitePolicy{SellableAtKiosks: true, SellPastAllocation: true, KioskAllocationSize: 2}})
	pos++
	if err := m.Apply(eventstore.Event{EventID: ids.New(), StreamID: "seat-types", Type: conferences.TypeSeatTypeCreated, Data: info, Origin: "hub", Position: pos}); err != nil {
		t.Fatal(err)
	}
	avail := registrations.AvailabilityStreamID(conf)
	apply(avail, "hub", registrations.SeatTypeAdded{ConferenceID: conf, SeatType: ws, Quota: 10})
	left := func() int {
		l, ok := m.SeatType(conf, ws)
		if !ok {
			t.Fatal("seat type unknown")
		}
		return l.AllocationLeft
	}
	sale := func() uuid.UUID {
		id := ids.New()
		apply(registrations.OrderStreamID(id), me, registrations.WalkUpOrderPlaced{OrderID: id, ConferenceID: conf, KioskID: me,
			Seats: registrations.Seats{{SeatType: ws, Quantity: 1}}, Name: "Walker", Method: registrations.PaymentCash})
		return id
	}
	hubSold := func(id uuid.UUID, from int) {
		e := registrations.OnSiteSeatsSold{ConferenceID: conf, KioskID: me, OrderID: id, Seats: registrations.Seats{{SeatType: ws, Quantity: 1}}}
		if from > 0 {
			e.FromAllocation = registrations.Seats{{SeatType: ws, Quantity: from}}
		} else {
			e.PastAllocation = e.Seats
		}
		apply(avail, "hub", e)
	}

	first := sale() // no allocation here yet: sold past it
	apply(avail, "hub", registrations.SeatAllocationGranted{ConferenceID: conf, KioskID: me, SeatType: ws, Quantity: 2})
	if got := left(); got != 1 {
		t.Fatalf("allocation left with the offline sale not yet applied at the hub: %d, want 1", got)
	}
	hubSold(first, 1) // the hub covered it with the grant
	if got := left(); got != 1 {
		t.Fatalf("allocation left after the hub took the sale from it: %d, want 1", got)
	}
	second := sale()
	if got := left(); got != 0 {
		t.Fatalf("allocation left after a second sale: %d, want 0", got)
	}
	hubSold(second, 1)
	if got := left(); got != 0 {
		t.Fatalf("allocation left once the hub applied both: %d, want 0", got)
	}
}
