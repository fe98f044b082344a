package hubapp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/kiosks"
	"conference/sync/digest"
	"conference/sync/protocol"
)

// A kiosk's digest comparison reaches the organizer's kiosk list: the hub
// answers with its digests at the kiosk's cut and records whether the
// kiosk's agreed (in sync), or which parts differed and since when (kept
// while later comparisons differ, cleared once they agree). A cut past
// what the hub stored of the kiosk is not answered. Runs on PostgreSQL too.
func TestTheHubRecordsEachKioskComparison(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := hubtest.NewClock()
	h := hubtest.OpenConfig(t, hubapp.Config{Now: clock.Now})
	f := hubtest.PublishedConference(t, h)
	hs := httptest.NewServer(mustHandler(t, h))
	defer hs.Close()
	c, store := connectKiosk(ctx, t, h, f, hs.URL)
	var at int64
	hubtest.Eventually(t, 10*time.Second, "kiosk caught up", func() error {
		st := c.Status()
		if !st.Online || st.DownCheckpoint < st.HubHead || st.DownCheckpoint == 0 {
			return fmt.Errorf("status %+v", st)
		}
		at = st.DownCheckpoint
		return nil
	})
	get := func() kiosks.Convergence {
		t.Helper()
		list, err := h.Kiosks.List(ctx, f.OrganizerID, f.ConferenceID)
		if err != nil || len(list) != 1 {
			t.Fatalf("kiosks: %+v, %v", list, err)
		}
		return list[0].Convergence
	}
	if got := get(); got.Compared() {
		t.Fatalf("before any comparison: %+v", got)
	}
	local, _ := store.Head(ctx)
	mine, err := digest.ComputeCut(ctx, store, f.ConferenceID, digest.Cut{Position: local})
	if err != nil {
		t.Fatal(err)
	}
	hub, err := c.CompareDigest(ctx, f.ConferenceID, at, 0, mine)
	if err != nil {
		t.Fatal(err)
	}
	if d := digest.Diff(hub, mine); len(d) != 0 {
		t.Fatalf("the hub's digests at the kiosk's cut differ in %v", d)
	}
	if got := get(); !got.InSync() || got.Position != at {
		t.Fatalf("after an agreeing comparison: %+v", got)
	}

	wrong := map[string]string{}
	for k, v := range mine {
		wrong[k] = v
	}
	wrong[digest.Orders] = "9:ffffffffffffffff"
	clock.Advance(time.Minute)
	if _, err := c.CompareDigest(ctx, f.ConferenceID, at, 0, wrong); err != nil {
		t.Fatal(err)
	}
	first := get()
	if first.InSync() || !slices.Equal(first.Differs, []string{digest.Orders}) || !first.DiffersSince.Equal(clock.Now().Truncate(time.Millisecond)) {
		t.Fatalf("after a differing comparison: %+v", first)
	}
	clock.Advance(time.Minute)
	if _, err := c.CompareDigest(ctx, f.ConferenceID, at, 0, wrong); err != nil {
		t.Fatal(err)
	}
	if again := get(); !again.DiffersSince.Equal(first.DiffersSince) || !again.CheckedAt.After(first.CheckedAt) {
		t.Fatalf("a second differing comparison: %+v, first %+v", again, first)
	}
	if _, err := c.CompareDigest(ctx, f.ConferenceID, at, 0, mine); err != nil {
		t.Fatal(err)
	}
	if got := get(); !got.InSync() || !got.DiffersSince.IsZero() {
		t.Fatalf("agreeing again: %+v", got)
	}

	// The kiosk cannot name own events the hub has not stored.
	var pe *protocol.Error
	if _, err := c.CompareDigest(ctx, f.ConferenceID, at, 5, mine); !errors.As(err, &pe) || pe.Code != protocol.CodeUnavailable {
		t.Fatalf("a cut past the kiosk's acknowledged events: %v", err)
	}
}
