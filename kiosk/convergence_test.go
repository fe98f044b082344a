package kiosk_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"conference/hub/conferences"
	"conference/hub/hubapp/hubtest"
	"conference/kiosk"
	"conference/shared/registrations"
	"conference/sync/hubserver"
	"conference/sync/hubserver/hubservertest"
	"conference/sync/merge/mergetest"
)

// The kiosk compares its digests with the hub's once caught up and then on
// its timer: in sync while they agree; a difference is shown with the time
// it was first seen, which later differing comparisons keep, and it clears
// once they agree again. The kiosk keeps working throughout.
func TestTheKioskComparesDigestsWithTheHubAndShowsWhenTheyDiffer(t *testing.T) {
	ctx := context.Background()
	var tamper atomic.Bool
	h := hubservertest.Start(t, hubservertest.Options{Configure: func(c *hubserver.Config) {
		honest := c.Digest
		c.Digest = func(ctx context.Context, q hubserver.DigestQuery) (map[string]string, error) {
			d, err := honest(ctx, q)
			if err == nil && tamper.Load() {
				d["checkins"] = "1:0000000000000000" // as if the hub held a check-in the kiosk lacks
			}
			return d, err
		}
	}})
	h.Describe(t, conferences.OnSitePolicy{SellableAtKiosks: true, KioskAllocationSize: 2})
	k, _ := syncingKiosk(t, h, kiosk.SyncOptions{TopUpEvery: 50 * time.Millisecond, MinBackoff: 10 * time.Millisecond,
		DigestEvery: 100 * time.Millisecond})
	waitFor := func(what string, ok func(kiosk.Convergence) bool) kiosk.Convergence {
		t.Helper()
		var c kiosk.Convergence
		hubtest.Eventually(t, 15*time.Second, what, func() error {
			if c = k.Convergence(); !ok(c) {
				return fmt.Errorf("convergence %+v", c)
			}
			return nil
		})
		return c
	}
	first := waitFor("in sync after catching up", kiosk.Convergence.InSync)
	if first.Position == 0 || first.Digests[h.Conference.ID]["events"] == "" {
		t.Fatalf("first comparison: %+v", first)
	}
	// Activity on both sides keeps it in sync once exchanged.
	waitForLease(t, k, h, 2, "a lease of 2")
	if _, err := sellWorkshop(ctx, k, h, 1, "Walk-up Wanda"); err != nil {
		t.Fatal(err)
	}
	mergetest.SellOnline(t, h.Store, h.Conference, registrations.Seats{{SeatType: h.Conference.FullPass, Quantity: 2}}, "Online Olga")
	hubtest.Eventually(t, 15*time.Second, "a later comparison past the sales, in sync", func() error {
		c := k.Convergence()
		st, err := k.Status(ctx)
		if err != nil {
			return err
		}
		if !c.InSync() || c.Position < h.Head(t) || st.PendingUpload != 0 {
			return fmt.Errorf("convergence %+v at hub head %d, %d pending", c, h.Head(t), st.PendingUpload)
		}
		return nil
	})

	tamper.Store(true)
	differs := waitFor("differs", func(c kiosk.Convergence) bool { return c.Compared() && !c.InSync() })
	if !slices.Equal(differs.Differs, []string{"checkins"}) || differs.DiffersSince.IsZero() {
		t.Fatalf("differing comparison: %+v", differs)
	}
	later := waitFor("a later differing comparison", func(c kiosk.Convergence) bool { return c.CheckedAt.After(differs.CheckedAt) })
	if !later.DiffersSince.Equal(differs.DiffersSince) || later.InSync() {
		t.Fatalf("a later comparison moved 'differs since' from %v to %v: %+v", differs.DiffersSince, later.DiffersSince, later)
	}
	if st, err := k.Status(ctx); err != nil || !st.CanRecord || !st.Online || st.Convergence.DiffersSince != differs.DiffersSince {
		t.Fatalf("status while differing: %+v, %v", st, err)
	}
	tamper.Store(false)
	if c := waitFor("in sync again", kiosk.Convergence.InSync); !c.DiffersSince.IsZero() {
		t.Fatalf("in sync but 'differs since' kept: %+v", c)
	}
}
