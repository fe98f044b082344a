package venuefile_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/sync/digest"
	"conference/sync/merge/mergetest"
	"conference/sync/venuefile"
)

var ctx = context.Background()

// exported builds a hub with one conference's sales and another
// conference's, and returns the first's venue file.
func exported(t *testing.T) (*mergetest.World, []byte) {
	t.Helper()
	w := mergetest.NewWorld(t, 100, 10, "k1", "k2")
	c := w.Conference
	other := mergetest.NewConference(t, w.Hub, 5, 5)
	order, _ := mergetest.SellOnline(t, w.Hub, c, registrations.Seats{{SeatType: c.FullPass, Quantity: 2}}, "Ada")
	mergetest.SellOnline(t, w.Hub, other, registrations.Seats{{SeatType: other.FullPass, Quantity: 1}}, "Elsewhere")
	mergetest.CheckIn(t, w.Kiosks["k2"].Store, "k2", c, onsite.Seat{OrderID: order})
	w.Sync("k2")
	var buf bytes.Buffer
	if err := venuefile.Export(ctx, w.Hub, c.ID, &buf); err != nil {
		t.Fatal(err)
	}
	return w, buf.Bytes()
}

func TestAKioskLoadedFromAVenueFileHasTheHubsState(t *testing.T) {
	w, file := exported(t)
	k1 := w.Kiosks["k1"].Store
	h, err := venuefile.Import(ctx, k1, bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	hubHead, _ := w.Hub.Head(ctx)
	if h.ConferenceID != w.Conference.ID || h.HubPosition != hubHead || h.Version != venuefile.Version {
		t.Fatalf("header %+v", h)
	}
	hub, _ := digest.Compute(ctx, w.Hub, w.Conference.ID)
	got, _ := digest.Compute(ctx, k1, w.Conference.ID)
	if diff := digest.Diff(hub, got); len(diff) != 0 {
		t.Fatalf("kiosk differs from the hub in %v", diff)
	}
	// Importing again, then syncing from the header's position, adds nothing.
	before, _ := k1.Head(ctx)
	if _, err := venuefile.Import(ctx, k1, bytes.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	w.Kiosks["k1"].Checkpoint = h.HubPosition
	w.Download("k1")
	if after, _ := k1.Head(ctx); after != before {
		t.Fatalf("a second import or sync added %d events", after-before)
	}
	// The other conference stayed out.
	if d, _ := digest.Compute(ctx, k1, uuid.Nil); d != nil {
		t.Fatal("digest of no conference")
	}
}

func TestBadVenueFilesAreRefusedAndNothingIsWritten(t *testing.T) {
	w, file := exported(t)
	lines := strings.Split(strings.TrimSuffix(string(file), "\n"), "\n")
	join := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	n := len(lines)
	cases := map[string]string{
		"empty":                 "",
		"not JSON":              "hello\n",
		"another format":        `{"format":"csv","version":1}` + "\n",
		"a newer version":       strings.Replace(lines[0], `"version":1`, `"version":9`, 1) + "\n",
		"no conference":         strings.Replace(lines[0], w.Conference.ID.String(), uuid.Nil.String(), 1) + "\n",
		"truncated":             join(lines[:n-2]...),
		"an event missing":      join(append(append([]string{}, lines[:2]...), lines[3:]...)...),
		"an event edited":       join(append([]string{lines[0], strings.Replace(lines[1], `"schema":1`, `"schema":2`, 1)}, lines[2:]...)...),
		"content after the end": string(file) + lines[1] + "\n",
		"events out of order":   join(append([]string{lines[0], lines[2], lines[1]}, lines[3:]...)...),
	}
	k1 := w.Kiosks["k1"].Store
	for name, content := range cases {
		if _, err := venuefile.Import(ctx, k1, strings.NewReader(content)); !errors.Is(err, venuefile.ErrBadFile) {
			t.Errorf("%s: err %v, want ErrBadFile", name, err)
		}
	}
	if h, _ := k1.Head(ctx); h != 0 {
		t.Fatalf("refused files wrote %d events", h)
	}
	_, err := venuefile.Import(ctx, k1, strings.NewReader(cases["a newer version"]))
	if err == nil || !strings.Contains(err.Error(), "update this kiosk") {
		t.Fatalf("a newer file should tell staff to update: %v", err)
	}
}
