package scope_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/sync/merge/mergetest"
	"conference/sync/scope"
)

var ctx = context.Background()

func open(t *testing.T, path string) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// record appends one event to stream; conf names its conference in the
// data, or uuid.Nil for an event that does not.
func record(t *testing.T, s eventstore.Store, stream string, conf uuid.UUID) eventstore.Event {
	t.Helper()
	data := `{"order_id":"` + ids.New().String() + `"}`
	if conf != uuid.Nil {
		data = `{"order_id":"x","conference_id":"` + conf.String() + `"}`
	}
	e := eventstore.Event{EventID: ids.New(), Type: "test.Happened", Schema: 1, Data: []byte(data)}
	res, err := s.Append(ctx, eventstore.Stream{ID: stream, Type: "test"}, eventstore.AnyVersion, []eventstore.Event{e})
	if err != nil {
		t.Fatal(err)
	}
	e.Position = res.LastPosition
	return e
}

func positions(evs []eventstore.Event) []int64 {
	var out []int64
	for _, e := range evs {
		out = append(out, e.Position)
	}
	return out
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAPageHoldsTheConferencesEventsInHubOrderIncludingThoseThatDoNotNameIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	s := open(t, path)
	c1, c2 := ids.New(), ids.New()
	var want []int64
	want = append(want, record(t, s, "order-1", c1).Position)
	record(t, s, "order-2", c2)
	want = append(want, record(t, s, "order-1", uuid.Nil).Position) // names no conference
	record(t, s, "order-2", uuid.Nil)
	record(t, s, "stray", uuid.Nil) // belongs to no conference
	want = append(want, record(t, s, "checkin-9", c1).Position)

	p := scope.New(s)
	got, next, err := p.Page(ctx, 0, []uuid.UUID{c1}, 100)
	if err != nil || !equal(positions(got), want) || next != 6 {
		t.Fatalf("page = %v next %d err %v, want %v next 6", positions(got), next, err, want)
	}
	// Paging by two: the second page continues where the first stopped.
	first, next, _ := p.Page(ctx, 0, []uuid.UUID{c1}, 2)
	second, last, _ := p.Page(ctx, next, []uuid.UUID{c1}, 2)
	if !equal(append(positions(first), positions(second)...), want) || next != want[1] || last != 6 {
		t.Fatalf("pages %v + %v (next %d, %d)", positions(first), positions(second), next, last)
	}
	// At the head: an empty page that stays put.
	if evs, n, err := p.Page(ctx, 6, []uuid.UUID{c1}, 2); err != nil || len(evs) != 0 || n != 6 {
		t.Fatalf("at head: %d events, next %d, err %v", len(evs), n, err)
	}

	// After a restart, from a position past the events naming the
	// conference, a stream's later events are still in scope.
	s.Close()
	s = open(t, path)
	defer s.Close()
	record(t, s, "order-1", uuid.Nil)
	got, _, err = scope.New(s).Page(ctx, 3, []uuid.UUID{c1}, 100)
	if err != nil || !equal(positions(got), []int64{6, 7}) {
		t.Fatalf("after restart: %v, err %v, want [6 7]", positions(got), err)
	}
	// Both conferences at once.
	got, _, _ = scope.New(s, scope.WithoutPersistence()).Page(ctx, 0, []uuid.UUID{c1, c2}, 100)
	if !equal(positions(got), []int64{1, 2, 3, 4, 6, 7}) {
		t.Fatalf("two conferences: %v", positions(got))
	}
}

func TestAPageStopsAfterScanningItsShareOfOtherConferences(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "hub.db"))
	defer s.Close()
	mine, other := ids.New(), ids.New()
	for range 300 {
		record(t, s, "o", other)
	}
	record(t, s, "m", mine)
	p := scope.New(s, scope.WithMaxScan(256))
	evs, next, err := p.Page(ctx, 0, []uuid.UUID{mine}, 10)
	if err != nil || len(evs) != 0 || next != 256 {
		t.Fatalf("first page: %d events, next %d, err %v; want none, next 256", len(evs), next, err)
	}
	evs, next, _ = p.Page(ctx, next, []uuid.UUID{mine}, 10)
	if len(evs) != 1 || next != 301 {
		t.Fatalf("second page: %d events, next %d", len(evs), next)
	}
}

func TestBadPageRequestsAreRefused(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "hub.db"))
	defer s.Close()
	p := scope.New(s)
	if _, _, err := p.Page(ctx, -1, []uuid.UUID{ids.New()}, 1); !errors.Is(err, scope.ErrInvalid) {
		t.Fatalf("negative position: %v", err)
	}
	if _, _, err := p.Page(ctx, 0, nil, 1); !errors.Is(err, scope.ErrInvalid) {
		t.Fatalf("no conference: %v", err)
	}
}

func TestConferenceOfReadsAnyJSONSpelling(t *testing.T) {
	c := ids.New()
	for _, data := range []string{
		`{"conference_id":"` + c.String() + `"}`,
		`{"a":1, "conference_id" : "` + c.String() + `"}`,
		`{"nested":{"x":2},"conference_id":"` + c.String() + `"}`,
	} {
		if got, ok := scope.ConferenceOf([]byte(data)); !ok || got != c {
			t.Errorf("%s: %s %v", data, got, ok)
		}
	}
	for _, data := range []string{`{}`, `{"conference_id":""}`, `{"note":"conference_id"}`, `not json "conference_id"`,
		`{"conference_id":"00000000-0000-0000-0000-000000000000"}`} {
		if got, ok := scope.ConferenceOf([]byte(data)); ok {
			t.Errorf("%s: found %s", data, got)
		}
	}
}

// Behind counts what a kiosk still has to receive of its conference: the
// events after its position, not its own, not other conferences'.
func TestBehindCountsTheConferencesEventsAKioskHasNotReceived(t *testing.T) {
	ctx := context.Background()
	w := mergetest.NewWorld(t, 10, 10, "k1")
	other := mergetest.NewConference(t, w.Hub, 5, 5)
	w.Sync("k1")
	at := w.Kiosks["k1"].Checkpoint
	if n, complete, err := w.Pager.Behind(ctx, at, w.Conference.ID, "k1", 1000); err != nil || n != 0 || !complete {
		t.Fatalf("caught up: %d (complete %v), %v", n, complete, err)
	}
	mergetest.SellOnline(t, w.Hub, w.Conference, registrations.Seats{{SeatType: w.Conference.FullPass, Quantity: 1}}, "Ada")
	mergetest.SellOnline(t, w.Hub, other, registrations.Seats{{SeatType: other.FullPass, Quantity: 1}}, "Bo")
	mergetest.CheckIn(t, w.Kiosks["k1"].Store, "k1", w.Conference, onsite.Seat{OrderID: ids.New()})
	w.Upload("k1")
	head, err := w.Hub.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := w.Pager.Behind(ctx, at, w.Conference.ID, "", head)
	if err != nil {
		t.Fatal(err)
	}
	n, complete, err := w.Pager.Behind(ctx, at, w.Conference.ID, "k1", head)
	if err != nil || !complete || n == 0 || n != want-1 {
		t.Fatalf("behind by %d (complete %v, %v); %d counting the kiosk's own check-in", n, complete, err, want)
	}
	if n, complete, _ := w.Pager.Behind(ctx, at, w.Conference.ID, "k1", 1); complete || n > 1 {
		t.Fatalf("looking one position ahead: %d (complete %v)", n, complete)
	}
	w.Download("k1")
	if n, _, _ := w.Pager.Behind(ctx, w.Kiosks["k1"].Checkpoint, w.Conference.ID, "k1", head); n != 0 {
		t.Fatalf("after downloading: behind by %d", n)
	}
}
