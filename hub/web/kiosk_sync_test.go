package web

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"conference/hub/hubapp/hubtest"
	"conference/hub/kiosks"
)

// The organizer's kiosk list says where each paired kiosk stands with
// the hub: not compared yet, in sync, behind by N events (uploads it
// holds, the hub's events it lacks), or differs since when and in what.
func TestTheKioskListShowsEachKiosksSyncState(t *testing.T) {
	th := startHub(t, Options{})
	v := th.venue(t, "Sync Conf", "syncconf")
	ctx := context.Background()
	organizer := th.conference(v.conf)
	created, err := th.hub.Kiosks.CreateKiosk(ctx, organizer, v.conf, "Front desk")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	p, err := th.hub.Kiosks.Pair(ctx, created.PairingCode, pub)
	if err != nil {
		t.Fatal(err)
	}
	id := p.Kiosk.KioskID
	// The hub records the kiosk's name as an event of the conference:
	// the kiosk stands past it.
	hubtest.WaitForMessagesDelivered(t, th.hub)
	head, err := th.hub.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cell := regexp.MustCompile(`(?s)<td data-label="Sync" data-sync>(.*?)</td>`)
	syncCell := func() string {
		t.Helper()
		page := v.org.Get(confURL(v.conf, "/kiosks")).Want(t, http.StatusOK, "Front desk")
		m := cell.FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatalf("no sync cell:\n%s", page.Body)
		}
		return regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], " ")
	}
	presence := func(pending int64) {
		t.Helper()
		if err := th.hub.Kiosks.RecordPresence(ctx, []kiosks.Presence{{KioskID: id, At: time.Now(), DownCheckpoint: head, PendingUploads: pending}}); err != nil {
			t.Fatal(err)
		}
	}
	presence(0)
	if got := syncCell(); !strings.Contains(got, "not compared yet") {
		t.Fatalf("before any comparison: %q", got)
	}
	if err := th.hub.Kiosks.RecordConvergence(ctx, id, time.Now(), head, nil); err != nil {
		t.Fatal(err)
	}
	if got := syncCell(); !strings.Contains(got, "in sync") {
		t.Fatalf("after an agreeing comparison: %q", got)
	}
	presence(3)
	if got := syncCell(); !strings.Contains(got, "behind  by 3 events") {
		t.Fatalf("with 3 uploads waiting: %q", got)
	}
	// The hub's own events after the kiosk's position count too.
	presence(0)
	th.confirmedOrder(t, v, "syncconf", 1)
	if got := syncCell(); !regexp.MustCompile(`behind  by [1-9][0-9]* events?`).MatchString(got) {
		t.Fatalf("after an order the kiosk has not received: %q", got)
	}
	since := time.Now().Add(time.Hour)
	if err := th.hub.Kiosks.RecordConvergence(ctx, id, since, head, []string{"checkins", "orders"}); err != nil {
		t.Fatal(err)
	}
	conf, err := th.hub.Conferences.GetConference(ctx, organizer, v.conf)
	if err != nil {
		t.Fatal(err)
	}
	when := since.In(conf.Location()).Format("Mon 2 Jan 2006, 15:04 MST")
	if got := syncCell(); !strings.Contains(got, "differs  since "+when) || !strings.Contains(got, "in checkins, orders") {
		t.Fatalf("after a differing comparison: %q", got)
	}
}
