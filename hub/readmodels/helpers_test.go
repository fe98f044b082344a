package readmodels

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/eventstore/backendtest"
	"conference/shared/ids"
	"conference/shared/registrations"
)

// fixture is a store on a real database (backendtest's current backend)
// that tests write hand-built events and messages to, and the read models
// following it.
type fixture struct {
	t        *testing.T
	db       *backendtest.Backend
	store    backendtest.Store
	m        *Models
	registry *eventsourcing.Registry
	versions map[string]int64
	last     int64 // position of the last appended event
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, db: backendtest.New(t), registry: newRegistry(), versions: map[string]int64{}}
	f.open()
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	s := f.db.Open(f.t, backendtest.Options{})
	f.store = s
	var err error
	f.m, err = New(s, Options{PageSize: 3})
	f.must(err)
}

// restart closes everything and opens it again: only the database
// survives.
func (f *fixture) restart() {
	f.t.Helper()
	f.must(f.store.Close())
	f.open()
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// given appends events to one stream.
func (f *fixture) given(stream string, events ...eventsourcing.Event) {
	f.t.Helper()
	var evs []eventstore.Event
	v := f.versions[stream]
	for _, e := range events {
		name, schema, data, err := f.registry.Encode(e)
		f.must(err)
		v++
		evs = append(evs, eventstore.Event{EventID: ids.New(), StreamID: stream, StreamType: "test", StreamVersion: v, Type: name, Schema: schema, Data: data})
	}
	res, err := f.store.Append(context.Background(), eventstore.Stream{ID: stream, Type: "test"}, f.versions[stream], evs)
	f.must(err)
	f.versions[stream], f.last = v, res.LastPosition
}

// published writes conference management's integration events to the
// message log, as its service does.
func (f *fixture) published(events ...conferences.Event) {
	f.t.Helper()
	var msgs []eventstore.Message
	for _, e := range events {
		data, err := json.Marshal(e)
		f.must(err)
		msgs = append(msgs, eventstore.Message{ID: ids.New(), Kind: eventstore.KindEvent, Type: e.EventType(), Data: data})
	}
	_, err := f.store.Commit(context.Background(), eventstore.Batch{Outbox: msgs})
	f.must(err)
}

func (f *fixture) catchUp() {
	f.t.Helper()
	f.must(f.m.CatchUp(context.Background()))
}

func (f *fixture) order(id uuid.UUID) OrderView {
	f.t.Helper()
	o, err := f.m.Order(context.Background(), id)
	f.must(err)
	return o
}

func (f *fixture) seatType(conferenceID, seatType uuid.UUID) SeatTypeView {
	f.t.Helper()
	list, err := f.m.SeatTypes(context.Background(), conferenceID)
	f.must(err)
	fromTable, err := f.m.seatTypesFromTable(context.Background(), conferenceID)
	f.must(err)
	if !reflect.DeepEqual(list, fromTable) {
		f.t.Fatalf("seat types in memory differ from the table:\nmemory %+v\ntable  %+v", list, fromTable)
	}
	for _, v := range list {
		if v.SeatTypeID == seatType {
			return v
		}
	}
	f.t.Fatalf("seat type %s not listed for conference %s", seatType, conferenceID)
	return SeatTypeView{}
}

func wantCounts(t *testing.T, v SeatTypeView, quota, reserved, sold, allocated, remaining int) {
	t.Helper()
	if v.Quota != quota || v.Reserved != reserved || v.Sold != sold || v.Allocated != allocated || v.Remaining != remaining {
		t.Fatalf("seat type counts: got quota %d reserved %d sold %d allocated %d remaining %d; want %d %d %d %d %d",
			v.Quota, v.Reserved, v.Sold, v.Allocated, v.Remaining, quota, reserved, sold, allocated, remaining)
	}
}

func eur(cents int64) registrations.Money { return registrations.NewMoney(cents, "EUR") }

func seats(seatType uuid.UUID, n int) registrations.Seats {
	return registrations.Seats{{SeatType: seatType, Quantity: n}}
}

// quote prices seats the way the domain does, for hand-built events.
func quote(t *testing.T, s registrations.Seats, unit registrations.Money, promo registrations.PromoCode) registrations.Quote {
	t.Helper()
	var prices []registrations.SeatPrice
	for _, q := range s {
		prices = append(prices, registrations.SeatPrice{SeatType: q.SeatType, Price: unit})
	}
	q, err := registrations.Price(s, registrations.PricingInput{Prices: prices, Promo: promo}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func conferenceInfo(id uuid.UUID, slug string, published bool) conferences.ConferenceInfo {
	start := time.Date(2027, 5, 10, 9, 0, 0, 0, time.UTC)
	return conferences.ConferenceInfo{
		ConferenceID: id, OrganizerID: uuid.New(), Slug: slug, Name: "Conf " + slug, Tagline: "tag " + slug,
		Venue: "Lisbon", TimeZone: "Europe/Lisbon", StartsAt: start, EndsAt: start.Add(48 * time.Hour),
		ReservationWindowMinutes: 15, Currency: "EUR", Published: published,
	}
}

// rebuildAndCompare rebuilds the models from the logs and fails the test
// unless every model's digest equals the live one; it returns the live
// digests and the rebuilt models.
func (f *fixture) rebuildAndCompare() (map[string]string, *Models) {
	f.t.Helper()
	ctx := context.Background()
	live, err := f.m.Digest(ctx)
	f.must(err)
	f.must(Rebuild(ctx, f.store, nil))
	rebuilt, err := New(f.store, Options{})
	f.must(err)
	again, err := rebuilt.Digest(ctx)
	f.must(err)
	if !reflect.DeepEqual(live, again) {
		f.t.Fatalf("digests differ:\nlive    %v\nrebuilt %v", live, again)
	}
	return live, rebuilt
}
