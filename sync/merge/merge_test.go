package merge_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/sync/digest"
	"conference/sync/merge"
	"conference/sync/merge/mergetest"
	"conference/sync/scope"
)

var ctx = context.Background()

func seats(t uuid.UUID, n int) registrations.Seats {
	return registrations.Seats{{SeatType: t, Quantity: n}}
}

// world is one hub and its kiosks on real SQLite files.
type world struct {
	t      *testing.T
	dir    string
	hub    eventstore.Store
	merger *merge.Merger
	pager  *scope.Pager
	alloc  *merge.Allocations
	conf   mergetest.Conference
	kiosks map[string]*kiosk
}

type kiosk struct {
	id         string
	store      eventstore.Store
	checkpoint int64
}

func newWorld(t *testing.T, fullPass, workshop int, kioskIDs ...string) *world {
	t.Helper()
	dir := t.TempDir()
	hub := mergetest.Open(t, dir, "hub")
	w := &world{t: t, dir: dir, hub: hub, merger: merge.New(hub), pager: scope.New(hub), alloc: merge.NewAllocations(hub),
		conf: mergetest.NewConference(t, hub, fullPass, workshop), kiosks: map[string]*kiosk{}}
	for _, id := range kioskIDs {
		w.kiosks[id] = &kiosk{id: id, store: mergetest.Open(t, dir, id)}
	}
	return w
}

// sync exchanges both ways: the kiosk uploads, then catches up.
func (w *world) sync(id string) {
	w.t.Helper()
	k := w.kiosks[id]
	mergetest.Upload(w.t, w.merger, k.store, id, 7)
	k.checkpoint = mergetest.Download(w.t, w.pager, k.store, w.conf, k.checkpoint, 5)
}

func (w *world) availability(t *testing.T, store eventstore.Store) *registrations.SeatsAvailability {
	t.Helper()
	a, err := eventsourcing.NewRepository(store, merge.Registry(), registrations.NewSeatsAvailability).
		Load(ctx, registrations.AvailabilityStreamID(w.conf.ID))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// agree fails the test unless the kiosk's digests of the conference are
// the hub's.
func (w *world) agree(t *testing.T, id string) {
	t.Helper()
	hub, err := digest.Compute(ctx, w.hub, w.conf.ID)
	if err != nil {
		t.Fatal(err)
	}
	k, err := digest.Compute(ctx, w.kiosks[id].store, w.conf.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := digest.Diff(hub, k); len(d) > 0 {
		t.Fatalf("%s and the hub disagree in %v", id, d)
	}
}

func countType(t *testing.T, store eventstore.Store, typ string) int {
	t.Helper()
	evs, err := mergetest.Pending(ctx, store, "", -1)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func head(t *testing.T, s eventstore.Store) int64 {
	t.Helper()
	h, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func pending(t *testing.T, k *kiosk) []eventstore.Event {
	t.Helper()
	evs, err := mergetest.Pending(ctx, k.store, k.id, 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestAcceptStoresEachEventOnceHoweverOftenItIsSent(t *testing.T) {
	w := newWorld(t, 100, 10, "k1")
	k := w.kiosks["k1"]
	mergetest.WalkUp(t, k.store, "k1", w.conf, seats(w.conf.FullPass, 1), "Ada")
	mergetest.WalkUp(t, k.store, "k1", w.conf, seats(w.conf.FullPass, 2), "Bo")
	evs := pending(t, k)

	acked, err := w.merger.Accept(ctx, "k1", evs)
	if err != nil || acked != evs[len(evs)-1].OriginSeq {
		t.Fatalf("accept: acked %d, err %v", acked, err)
	}
	before := head(t, w.hub)
	for _, again := range [][]eventstore.Event{evs, evs[1:], evs[:1]} {
		if acked, err = w.merger.Accept(ctx, "k1", again); err != nil || acked != 2 {
			t.Fatalf("re-sent batch: acked %d, err %v", acked, err)
		}
	}
	if after := head(t, w.hub); after != before {
		t.Fatalf("re-sending wrote %d events", after-before)
	}
	if got := w.availability(t, w.hub).SoldCount(w.conf.FullPass); got != 3 {
		t.Fatalf("full passes sold at the hub = %d, want 3", got)
	}
}

func TestABatchThatSkipsAheadIsRefusedAsAGapAndNothingIsWritten(t *testing.T) {
	w := newWorld(t, 100, 10, "k1")
	k := w.kiosks["k1"]
	for range 3 {
		mergetest.WalkUp(t, k.store, "k1", w.conf, seats(w.conf.FullPass, 1), "Ada")
	}
	evs := pending(t, k)
	before := head(t, w.hub)

	// The second batch arrives first (reordered on the way).
	_, err := w.merger.Accept(ctx, "k1", evs[1:])
	var gap *merge.GapError
	if !errors.As(err, &gap) || !errors.Is(err, merge.ErrGap) || gap.Expected != 1 {
		t.Fatalf("reordered batch: err %v, want a gap expecting 1", err)
	}
	if head(t, w.hub) != before {
		t.Fatal("a refused batch wrote events")
	}
	for _, b := range [][]eventstore.Event{evs[:1], evs[1:]} {
		if _, err := w.merger.Accept(ctx, "k1", b); err != nil {
			t.Fatalf("in order: %v", err)
		}
	}
	if acked, _ := w.merger.Acked(ctx, "k1"); acked != 3 {
		t.Fatalf("acked %d, want 3", acked)
	}
}

func TestMalformedOrForeignBatchesAreRefusedAndNothingIsWritten(t *testing.T) {
	w := newWorld(t, 100, 10, "k1", "k2")
	k1 := w.kiosks["k1"]
	mergetest.WalkUp(t, k1.store, "k1", w.conf, seats(w.conf.FullPass, 1), "Ada")
	mergetest.WalkUp(t, k1.store, "k1", w.conf, seats(w.conf.FullPass, 1), "Bo")
	good := pending(t, k1)
	edit := func(f func(e []eventstore.Event)) []eventstore.Event {
		out := append([]eventstore.Event(nil), good...)
		f(out)
		return out
	}
	hubOnly, _ := json.Marshal(registrations.SeatQuotaConflictRaised{ConferenceID: w.conf.ID, Conflict: 1, SeatType: w.conf.Workshop, Over: 1})
	cases := map[string]struct {
		kiosk string
		batch []eventstore.Event
	}{
		"another kiosk's events":   {"k2", good},
		"as the hub":               {"hub", good},
		"no event id":              {"k1", edit(func(e []eventstore.Event) { e[1].EventID = uuid.Nil })},
		"data that is not JSON":    {"k1", edit(func(e []eventstore.Event) { e[1].Data = []byte("{oops") })},
		"a walk-up without order":  {"k1", edit(func(e []eventstore.Event) { e[1].Data = []byte(`{"conference_id":"` + w.conf.ID.String() + `"}`) })},
		"a hole inside the batch":  {"k1", edit(func(e []eventstore.Event) { e[1].OriginSeq = 5 })},
		"the same event twice":     {"k1", edit(func(e []eventstore.Event) { e[1].EventID = e[0].EventID })},
		"a conflict from a kiosk":  {"k1", edit(func(e []eventstore.Event) { e[1].Type, e[1].Data = "registrations.SeatQuotaConflictRaised", hubOnly })},
		"a reused origin sequence": {"k1", nil},
	}
	before := head(t, w.hub)
	for name, c := range cases {
		if c.batch == nil {
			continue
		}
		if _, err := w.merger.Accept(ctx, c.kiosk, c.batch); !errors.Is(err, merge.ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}
	if head(t, w.hub) != before {
		t.Fatal("a refused batch wrote events")
	}
	// A stored origin_seq re-sent with another event id is not a re-send.
	if _, err := w.merger.Accept(ctx, "k1", good[:1]); err != nil {
		t.Fatal(err)
	}
	forged := edit(func(e []eventstore.Event) { e[0].EventID = ids.New() })
	if _, err := w.merger.Accept(ctx, "k1", forged); !errors.Is(err, merge.ErrInvalid) {
		t.Fatalf("reused origin_seq: err %v, want ErrInvalid", err)
	}
}

func TestAWalkUpInsideTheAllocationCommitsSeatsWithoutConflict(t *testing.T) {
	w := newWorld(t, 100, 4, "k1")
	granted, err := w.alloc.Request(ctx, "k1", w.conf.ID, w.conf.Workshop, 2)
	if err != nil || granted != 2 {
		t.Fatalf("granted %d, err %v", granted, err)
	}
	mergetest.SellOnline(t, w.hub, w.conf, seats(w.conf.Workshop, 2), "Online")
	w.sync("k1") // the kiosk learns its allocation
	mergetest.WalkUp(t, w.kiosks["k1"].store, "k1", w.conf, seats(w.conf.Workshop, 2), "Walk")
	w.sync("k1")

	a := w.availability(t, w.hub)
	if a.SoldCount(w.conf.Workshop) != 4 || a.AllocationOf("k1", w.conf.Workshop) != 0 || len(a.OpenConflicts()) != 0 {
		t.Fatalf("sold %d, k1 allocation %d, conflicts %v", a.SoldCount(w.conf.Workshop), a.AllocationOf("k1", w.conf.Workshop), a.OpenConflicts())
	}
}

func TestTwoKiosksOversellingOfflineRaiseExactlyOneConflictPerOverflow(t *testing.T) {
	w := newWorld(t, 100, 5, "k1", "k2")
	for _, k := range []string{"k1", "k2"} {
		if n, err := w.alloc.Request(ctx, k, w.conf.ID, w.conf.Workshop, 1); err != nil || n != 1 {
			t.Fatalf("allocate to %s: %d, %v", k, n, err)
		}
		w.sync(k)
	}
	mergetest.SellOnline(t, w.hub, w.conf, seats(w.conf.Workshop, 3), "Online") // 3 + 1 + 1 = quota
	// Offline, each kiosk sells its allocated seat and two more.
	o1 := mergetest.WalkUp(t, w.kiosks["k1"].store, "k1", w.conf, seats(w.conf.Workshop, 3), "One")
	o2 := mergetest.WalkUp(t, w.kiosks["k2"].store, "k2", w.conf, seats(w.conf.Workshop, 3), "Two")
	// Both uploads are sent twice (lost acknowledgements).
	for range 2 {
		for _, k := range []string{"k2", "k1"} {
			if _, err := w.merger.Accept(ctx, k, pending(t, w.kiosks[k])); err != nil {
				t.Fatal(err)
			}
		}
	}
	a := w.availability(t, w.hub)
	conflicts := a.OpenConflicts()
	if len(conflicts) != 2 || countType(t, w.hub, "registrations.SeatQuotaConflictRaised") != 2 {
		t.Fatalf("conflicts %+v, want one per overselling sale", conflicts)
	}
	want := map[uuid.UUID]string{o1: "k1", o2: "k2"}
	for _, c := range conflicts {
		if c.Over != 2 || c.SeatType != w.conf.Workshop || len(c.OrderIDs) != 1 || want[c.OrderIDs[0]] != c.KioskID {
			t.Fatalf("conflict %+v does not name seat type, overflow 2 and its kiosk's order", c)
		}
	}
	if a.SoldCount(w.conf.Workshop) != 9 || a.Overbooked(w.conf.Workshop) != 4 {
		t.Fatalf("sold %d overbooked %d", a.SoldCount(w.conf.Workshop), a.Overbooked(w.conf.Workshop))
	}
}

func TestTheOrganizersResolutionFlowsBackToTheKiosks(t *testing.T) {
	// Given the workshop's one seat sold online and again offline by k1,
	// when the organizer resolves the conflict, then both kiosks hold the
	// resolution and its effect, and agree with the hub by digest.
	for _, tc := range []struct {
		kind registrations.ResolutionKind
		// workshop and fullPass are the seats sold afterwards; quota the
		// workshop's quota.
		workshop, fullPass, quota int
	}{
		{kind: registrations.ResolveRaiseQuota, workshop: 2, fullPass: 0, quota: 2},
		{kind: registrations.ResolveMoveSeats, workshop: 1, fullPass: 1, quota: 1},
		{kind: registrations.ResolveWaitlist, workshop: 1, fullPass: 0, quota: 1},
		{kind: registrations.ResolveRefund, workshop: 1, fullPass: 0, quota: 1},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			w := newWorld(t, 100, 1, "k1", "k2")
			mergetest.SellOnline(t, w.hub, w.conf, seats(w.conf.Workshop, 1), "Online")
			mergetest.WalkUp(t, w.kiosks["k1"].store, "k1", w.conf, seats(w.conf.Workshop, 1), "Late")
			w.sync("k1")
			res := registrations.Resolution{Kind: tc.kind}
			if tc.kind == registrations.ResolveMoveSeats {
				res.ToSeatType = w.conf.FullPass
			}
			repo := eventsourcing.NewRepository(w.hub, merge.Registry(), registrations.NewSeatsAvailability)
			err := repo.Update(ctx, registrations.AvailabilityStreamID(w.conf.ID), eventsourcing.Metadata{}, func(a *registrations.SeatsAvailability) error {
				return a.ResolveConflict(1, res)
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"k1", "k2"} {
				w.sync(k)
				a := w.availability(t, w.kiosks[k].store)
				c, ok := a.Conflict(1)
				if !ok || !c.Resolved || c.Resolution != tc.kind {
					t.Fatalf("%s sees conflict %+v (found %v), want resolved by %s", k, c, ok, tc.kind)
				}
				if got := [3]int{a.SoldCount(w.conf.Workshop), a.SoldCount(w.conf.FullPass), a.Quota(w.conf.Workshop)}; got != [3]int{tc.workshop, tc.fullPass, tc.quota} {
					t.Fatalf("%s sees workshop sold, full pass sold, workshop quota %v; want %v", k, got, [3]int{tc.workshop, tc.fullPass, tc.quota})
				}
				if a.Overbooked(w.conf.Workshop) != 0 {
					t.Fatalf("%s sees the workshop overbooked by %d after the resolution", k, a.Overbooked(w.conf.Workshop))
				}
				w.agree(t, k)
			}
		})
	}
}

func TestTheSameAttendeeCheckedInOnTwoKiosksWarnsOnceAboutTheLaterOne(t *testing.T) {
	for _, first := range []string{"k1", "k2"} { // arrival order at the hub must not matter
		t.Run("k1 then k2 checks in, "+first+" uploads first", func(t *testing.T) {
			w := newWorld(t, 100, 10, "k1", "k2")
			order, _ := mergetest.SellOnline(t, w.hub, w.conf, seats(w.conf.FullPass, 1), "Ada")
			w.sync("k1")
			w.sync("k2")
			seat := onsite.Seat{OrderID: order, Position: 0}
			mergetest.CheckIn(t, w.kiosks["k1"].store, "k1", w.conf, seat)
			mergetest.CheckIn(t, w.kiosks["k2"].store, "k2", w.conf, seat)
			second := map[string]string{"k1": "k2", "k2": "k1"}[first]
			for _, k := range []string{first, second, first, second} {
				w.sync(k)
			}
			if n := countType(t, w.hub, "registrations.DuplicateCheckInDetected"); n != 1 {
				t.Fatalf("%d duplicate warnings, want 1", n)
			}
			if n := countType(t, w.hub, "onsite.AttendeeCheckedIn"); n != 2 {
				t.Fatalf("%d check-ins kept, want both", n)
			}
			warnings, err := eventsourcing.NewRepository(w.hub, merge.Registry(), registrations.NewCheckInWarnings).
				Load(ctx, registrations.CheckInWarningsStreamID(w.conf.ID))
			if err != nil {
				t.Fatal(err)
			}
			later := pending(t, w.kiosks["k2"])
			if !warnings.Flagged(later[len(later)-1].EventID) {
				t.Fatal("the warning does not name k2's later check-in")
			}
			for _, k := range []string{"k1", "k2"} {
				if n := countType(t, w.kiosks[k].store, "registrations.DuplicateCheckInDetected"); n != 1 {
					t.Fatalf("%s shows %d warnings after sync", k, n)
				}
			}
		})
	}
}

func TestApplyDownKeepsOriginsAndSkipsWhatTheKioskHolds(t *testing.T) {
	w := newWorld(t, 100, 10, "k1", "k2")
	mergetest.WalkUp(t, w.kiosks["k1"].store, "k1", w.conf, seats(w.conf.FullPass, 1), "Ada")
	mergetest.Upload(t, w.merger, w.kiosks["k1"].store, "k1", 10)
	page, _, err := w.pager.Page(ctx, 0, []uuid.UUID{w.conf.ID}, 100)
	if err != nil {
		t.Fatal(err)
	}
	k2 := w.kiosks["k2"].store
	for range 2 {
		if err := merge.ApplyDown(ctx, k2, page); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := k2.ReadLog(ctx, 0, 1000)
	if len(got) != len(page) {
		t.Fatalf("k2 holds %d events, the page had %d", len(got), len(page))
	}
	for i := range got {
		if got[i].EventID != page[i].EventID || got[i].Origin != page[i].Origin || got[i].OriginSeq != page[i].OriginSeq {
			t.Fatalf("event %d: %s %s/%d, want %s %s/%d", i, got[i].EventID, got[i].Origin, got[i].OriginSeq, page[i].EventID, page[i].Origin, page[i].OriginSeq)
		}
	}
	// k1 gets its own walk-up back with the hub's: nothing doubles.
	k1 := w.kiosks["k1"].store
	before := head(t, k1)
	if err := merge.ApplyDown(ctx, k1, page); err != nil {
		t.Fatal(err)
	}
	if added := head(t, k1) - before; added != int64(len(page)-1) {
		t.Fatalf("k1 added %d events, want %d (all but its own)", added, len(page)-1)
	}
	bad := append([]eventstore.Event(nil), page...)
	bad[0], bad[1] = bad[1], bad[0]
	if err := merge.ApplyDown(ctx, w.kiosks["k2"].store, bad); !errors.Is(err, merge.ErrInvalid) {
		t.Fatalf("out of hub order: %v", err)
	}
}

func TestAHubThatCrashedBeforeApplyingEffectsFinishesThemWhenTheBatchComesAgain(t *testing.T) {
	w := newWorld(t, 100, 1, "k1")
	mergetest.SellOnline(t, w.hub, w.conf, seats(w.conf.Workshop, 1), "Online")
	mergetest.WalkUp(t, w.kiosks["k1"].store, "k1", w.conf, seats(w.conf.Workshop, 2), "Late")
	evs := pending(t, w.kiosks["k1"])
	// The crash: the events were stored, their effects never applied and
	// the batch never acknowledged.
	for _, e := range evs {
		if _, err := w.hub.Append(ctx, eventstore.Stream{ID: e.StreamID, Type: e.StreamType}, eventstore.AnyVersion, []eventstore.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	if acked, _ := w.merger.Acked(ctx, "k1"); acked != 0 {
		t.Fatalf("acked %d before the effects were applied", acked)
	}
	for range 2 {
		if _, err := w.merger.Accept(ctx, "k1", evs); err != nil {
			t.Fatal(err)
		}
	}
	a := w.availability(t, w.hub)
	if a.SoldCount(w.conf.Workshop) != 3 || len(a.OpenConflicts()) != 1 || a.OpenConflicts()[0].Over != 2 {
		t.Fatalf("sold %d, conflicts %+v", a.SoldCount(w.conf.Workshop), a.OpenConflicts())
	}
}
