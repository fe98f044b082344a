package merge_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"conference/shared/ids"
	"conference/shared/registrations"
	"conference/sync/merge"
	"conference/sync/merge/mergetest"
)

func TestAnAllocationIsTakenFromAvailabilityAndGivenBack(t *testing.T) {
	w := newWorld(t, 100, 5, "k1")
	alloc := w.alloc
	granted, err := alloc.Request(ctx, "k1", w.conf.ID, w.conf.Workshop, 3)
	if err != nil || granted != 3 {
		t.Fatalf("granted %d, err %v", granted, err)
	}
	// Only what is free is granted.
	if granted, err = alloc.Request(ctx, "k1", w.conf.ID, w.conf.Workshop, 9); err != nil || granted != 2 {
		t.Fatalf("second request granted %d, err %v", granted, err)
	}
	if granted, err = alloc.Request(ctx, "k1", w.conf.ID, w.conf.Workshop, 1); err != nil || granted != 0 {
		t.Fatalf("request when none is free granted %d, err %v", granted, err)
	}
	if a := w.availability(t, w.hub); a.Remaining(w.conf.Workshop) != 0 || a.AllocationOf("k1", w.conf.Workshop) != 5 {
		t.Fatalf("remaining %d, k1 holds %d", a.Remaining(w.conf.Workshop), a.AllocationOf("k1", w.conf.Workshop))
	}
	if err := alloc.Return(ctx, "k1", w.conf.ID, w.conf.Workshop, 2); err != nil {
		t.Fatal(err)
	}
	if err := alloc.Return(ctx, "k1", w.conf.ID, w.conf.Workshop, 4); !errors.Is(err, registrations.ErrAllocationExhausted) {
		t.Fatalf("returning more than held: %v", err)
	}
	if _, err := alloc.Request(ctx, "k1", w.conf.ID, ids.New(), 1); !errors.Is(err, registrations.ErrUnknownSeatType) {
		t.Fatalf("unknown seat type: %v", err)
	}
	if _, err := alloc.Request(ctx, "", w.conf.ID, w.conf.Workshop, 1); !errors.Is(err, merge.ErrInvalid) {
		t.Fatalf("no kiosk: %v", err)
	}
	// The kiosk learns its allocation through scope.
	w.sync("k1")
	if a := w.availability(t, w.kiosks["k1"].store); a.AllocationOf("k1", w.conf.Workshop) != 3 {
		t.Fatalf("the kiosk sees an allocation of %d, want 3", a.AllocationOf("k1", w.conf.Workshop))
	}
}

func TestClosingOnSiteSalesReturnsEveryAllocation(t *testing.T) {
	w := newWorld(t, 100, 10, "k1", "k2")
	for _, k := range []string{"k1", "k2"} {
		if _, err := w.alloc.Request(ctx, k, w.conf.ID, w.conf.Workshop, 2); err != nil {
			t.Fatal(err)
		}
	}
	back, err := w.alloc.CloseOnSiteSales(ctx, w.conf.ID, "")
	if err != nil || back["k1"].Total() != 2 || back["k2"].Total() != 2 {
		t.Fatalf("returned %v, err %v", back, err)
	}
	if a := w.availability(t, w.hub); a.Remaining(w.conf.Workshop) != 10 || len(a.Allocations()) != 0 {
		t.Fatalf("remaining %d, allocations %v", a.Remaining(w.conf.Workshop), a.Allocations())
	}
}

func TestASaleFromAnAllocationTakenBackWhileOfflineIsKeptAndSurfaced(t *testing.T) {
	w := newWorld(t, 100, 4, "k1")
	if _, err := w.alloc.Request(ctx, "k1", w.conf.ID, w.conf.Workshop, 2); err != nil {
		t.Fatal(err)
	}
	w.sync("k1")
	// Offline: the kiosk sells its two seats; meanwhile the organizer
	// closes on-site sales and the seats sell online.
	mergetest.WalkUp(t, w.kiosks["k1"].store, "k1", w.conf, seats(w.conf.Workshop, 2), "Walk")
	if _, err := w.alloc.CloseOnSiteSales(ctx, w.conf.ID, "k1"); err != nil {
		t.Fatal(err)
	}
	mergetest.SellOnline(t, w.hub, w.conf, seats(w.conf.Workshop, 4), "Online")
	w.sync("k1")
	a := w.availability(t, w.hub)
	if a.SoldCount(w.conf.Workshop) != 6 || len(a.OpenConflicts()) != 1 || a.OpenConflicts()[0].Over != 2 {
		t.Fatalf("sold %d, conflicts %+v", a.SoldCount(w.conf.Workshop), a.OpenConflicts())
	}
	// Every node replays the same take-back, sales and conflict.
	w.sync("k1")
	w.agree(t, "k1")
}

func TestClosingASeatTypeTakesBackOnlyItsLeasesAndEveryNodeAgrees(t *testing.T) {
	w := newWorld(t, 100, 10, "k1", "k2")
	for _, l := range []struct {
		kiosk    string
		seatType uuid.UUID
		n        int
	}{{"k2", w.conf.Workshop, 1}, {"k1", w.conf.Workshop, 2}, {"k1", w.conf.FullPass, 3}} {
		if _, err := w.alloc.Request(ctx, l.kiosk, w.conf.ID, l.seatType, l.n); err != nil {
			t.Fatal(err)
		}
	}

	back, err := w.alloc.CloseSeatType(ctx, w.conf.ID, w.conf.Workshop)

	if err != nil || back["k1"].Get(w.conf.Workshop) != 2 || back["k2"].Get(w.conf.Workshop) != 1 || back["k1"].Get(w.conf.FullPass) != 0 {
		t.Fatalf("returned %v, err %v; want the workshop leases only", back, err)
	}
	a := w.availability(t, w.hub)
	if a.Remaining(w.conf.Workshop) != 10 || a.AllocationOf("k1", w.conf.FullPass) != 3 {
		t.Fatalf("workshop %d free, k1 holds %d full passes; want 10 and 3", a.Remaining(w.conf.Workshop), a.AllocationOf("k1", w.conf.FullPass))
	}
	before := head(t, w.hub)
	if back, err := w.alloc.CloseSeatType(ctx, w.conf.ID, w.conf.Workshop); err != nil || len(back) != 0 || head(t, w.hub) != before {
		t.Fatalf("closing again returned %v (%v) and moved the log from %d to %d; want nothing", back, err, before, head(t, w.hub))
	}
	if _, err := w.alloc.CloseSeatType(ctx, w.conf.ID, uuid.Nil); !errors.Is(err, merge.ErrInvalid) {
		t.Fatalf("no seat type: %v, want invalid", err)
	}
	for _, k := range []string{"k1", "k2"} {
		w.sync(k)
		if a := w.availability(t, w.kiosks[k].store); a.AllocationOf(k, w.conf.Workshop) != 0 {
			t.Fatalf("%s still sees a workshop lease of %d", k, a.AllocationOf(k, w.conf.Workshop))
		}
		w.agree(t, k)
	}
}
