package kioskclient_test

import (
	"context"
	"crypto/ed25519"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/registrations"
	"conference/sync/digest"
	"conference/sync/hubserver"
	"conference/sync/hubserver/hubservertest"
	"conference/sync/kioskclient"
	"conference/sync/merge/mergetest"
	"conference/sync/protocol"
)

func newID() uuid.UUID { return ids.New() }

func TestHandshakeCatchesUpUploadsAndDigestsAgree(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	for i := 0; i < 3; i++ {
		mergetest.SellOnline(t, h.Store, h.Conference, registrations.Seats{{SeatType: h.Conference.FullPass, Quantity: 2}}, "Online")
	}
	k, p := pairedKiosk(t, h, "Door 1")
	// Recorded offline, before the kiosk ever connected.
	k.walkUps(t, h.Conference, 2)
	k.checkIns(t, h.Conference, 3)
	k.start(t, h, p.Credential, nil)

	hubservertest.Eventually(t, 5*time.Second, "kiosk caught up and uploads acknowledged", func() bool {
		s := k.client.Status()
		return s.Online && s.DownCheckpoint == h.Head(t) && s.Pending() == 0 && s.UpAcked == 5
	})
	if n, distinct := h.OwnEvents(t, k.id); n != 5 || distinct != 5 {
		t.Fatalf("hub holds %d events (%d distinct) of the kiosk, want 5", n, distinct)
	}
	if k.has(t, "hub") == 0 {
		t.Fatal("kiosk received no hub events")
	}
	ctx := context.Background()
	hubDigest, pos, err := k.client.HubDigest(ctx, h.Conference.ID)
	if err != nil {
		t.Fatalf("hub digest: %v", err)
	}
	hubservertest.Eventually(t, 5*time.Second, "kiosk at the digest's position", func() bool {
		return k.client.Status().DownCheckpoint >= pos
	})
	mine, err := digest.Compute(ctx, k.store, h.Conference.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(mine, hubDigest) {
		t.Fatalf("digests differ: %v", digest.Diff(mine, hubDigest))
	}
	hubservertest.Eventually(t, 2*time.Second, "presence recorded", func() bool {
		kk, err := h.Kiosks.Get(ctx, h.Organizer, k.id)
		return err == nil && !kk.LastSeen.IsZero() && kk.UpAcked == 5 && kk.PendingUploads == 0
	})
}

func TestHubEventReachesAConnectedKiosk(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	k, p := pairedKiosk(t, h, "Door 1")
	k.start(t, h, p.Credential, nil)
	hubservertest.Eventually(t, 5*time.Second, "caught up", func() bool {
		return k.client.Status().Online && k.client.Status().DownCheckpoint == h.Head(t)
	})
	before := k.has(t, "hub")
	start := time.Now()
	mergetest.SellOnline(t, h.Store, h.Conference, registrations.Seats{{SeatType: h.Conference.Workshop, Quantity: 1}}, "Late")
	hubservertest.Eventually(t, 2*time.Second, "online sale on the kiosk", func() bool { return k.has(t, "hub") > before })
	t.Logf("hub sale reached the kiosk in %s", time.Since(start))
}

func TestResumeDoesNotResendWhatWasAcknowledged(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	k, p := pairedKiosk(t, h, "Door 1")
	k.checkIns(t, h.Conference, 30)
	small := func(c *kioskclient.Config) { c.BatchSize = 7 }
	k.start(t, h, p.Credential, small)
	hubservertest.Eventually(t, 5*time.Second, "first upload acked", func() bool { return k.client.Status().UpAcked == 30 })
	k.stop()
	firstRun := len(h.Merger.Seen())

	k.checkIns(t, h.Conference, 10)
	k.start(t, h, p.Credential, small)
	hubservertest.Eventually(t, 5*time.Second, "second upload acked", func() bool { return k.client.Status().UpAcked == 40 })
	for _, b := range h.Merger.Seen()[firstRun:] {
		if b.First <= 30 {
			t.Fatalf("after resuming, the kiosk resent %d..%d, already acknowledged up to 30", b.First, b.Last)
		}
	}
	if n, distinct := h.OwnEvents(t, k.id); n != 40 || distinct != 40 {
		t.Fatalf("hub holds %d (%d distinct), want 40", n, distinct)
	}
}

func TestCutConnectionMidUploadResumesAndStoresEachEventOnce(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	k, p := pairedKiosk(t, h, "Door 1")
	const total = 400
	k.checkIns(t, h.Conference, total)
	k.start(t, h, p.Credential, func(c *kioskclient.Config) { c.BatchSize = 20; c.InFlight = 3 })
	hubservertest.Eventually(t, 5*time.Second, "upload under way", func() bool {
		s := k.client.Status()
		return s.UpAcked > 0
	})
	acked := k.client.Status().UpAcked
	k.cut.cutAll()
	if acked >= total {
		t.Fatalf("upload finished before the cut (%d); the test proves nothing", acked)
	}
	hubservertest.Eventually(t, 10*time.Second, "upload resumed and finished", func() bool {
		return k.client.Status().UpAcked == total && k.client.Status().Online
	})
	if n, distinct := h.OwnEvents(t, k.id); n != total || distinct != total {
		t.Fatalf("hub holds %d (%d distinct) of %d events", n, distinct, total)
	}
	// Batches in flight at the cut may be sent again (their ack was
	// lost), but never one the hub had acknowledged before receiving it.
	for _, b := range h.Merger.Seen() {
		if b.Last <= b.AckedBefore {
			t.Fatalf("batch %d..%d sent although %d were acknowledged", b.First, b.Last, b.AckedBefore)
		}
	}
}

func TestRevokedKioskIsDisconnectedWithinASecondAndRefusedAfter(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	k, p := pairedKiosk(t, h, "Door 1")
	k.start(t, h, p.Credential, nil)
	hubservertest.Eventually(t, 5*time.Second, "online", func() bool { return k.client.Status().Online })
	start := time.Now()
	if err := h.Kiosks.Revoke(context.Background(), h.Organizer, k.id); err != nil {
		t.Fatal(err)
	}
	hubservertest.Eventually(t, time.Second, "kiosk disconnected", func() bool { return !k.client.Status().Online })
	t.Logf("disconnected %s after revocation", time.Since(start))
	select {
	case err := <-k.done:
		if !isErr(err, protocol.ErrRevoked) {
			t.Fatalf("Run ended with %v, want revoked", err)
		}
		k.cancel = nil
	case <-time.After(2 * time.Second):
		t.Fatal("Run kept reconnecting after revocation")
	}
	// And refused afterwards, before any WebSocket is opened.
	again := openKiosk(t, t.TempDir(), k.id)
	again.start(t, h, p.Credential, nil)
	select {
	case err := <-again.done:
		if !isErr(err, protocol.ErrRevoked) || !strings.Contains(err.Error(), "pair it again") {
			t.Fatalf("reconnect: %v", err)
		}
		again.cancel = nil
	case <-time.After(3 * time.Second):
		t.Fatal("revoked kiosk was not refused")
	}
	if k.client.Status().Permanent != true {
		t.Fatal("status does not say the refusal is permanent")
	}
}

// A kiosk one protocol version behind (2) is served: it syncs both ways
// and asks for digests without a cut, as it did.
func TestAKioskOneVersionBehindIsServed(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	mergetest.SellOnline(t, h.Store, h.Conference, registrations.Seats{{SeatType: h.Conference.FullPass, Quantity: 1}}, "Online")
	k, p := pairedKiosk(t, h, "Old door")
	k.checkIns(t, h.Conference, 5)
	k.start(t, h, p.Credential, func(c *kioskclient.Config) { c.Protocol = protocol.Oldest; c.BatchSize = 2 })
	hubservertest.Eventually(t, 5*time.Second, "older kiosk synced", func() bool {
		s := k.client.Status()
		return s.Online && s.UpAcked == 5 && s.DownCheckpoint == h.Head(t)
	})
	d, pos, err := k.client.HubDigest(context.Background(), h.Conference.ID)
	if err != nil || pos != h.Head(t) || d["checkins"] == "" {
		t.Fatalf("digest for an older kiosk: %v at %d, %v", d, pos, err)
	}
}

func TestPairingOverHTTPForgedAndReplayedCodesAreRefused(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	ctx := context.Background()
	created := h.NewKiosk(t, "Door 1")
	pub, _, _ := ed25519.GenerateKey(nil)
	if _, err := kioskclient.Pair(ctx, h.URL, "ZZZZ-ZZZZ", pub); !isErr(err, protocol.ErrPairingRefused) {
		t.Fatalf("forged code: %v", err)
	}
	resp, err := kioskclient.Pair(ctx, h.URL, created.PairingCode, pub)
	if err != nil {
		t.Fatalf("pair: %v", err)
	}
	if resp.KioskID != created.Kiosk.ID || len(resp.HubPublicKey) != ed25519.PublicKeySize || resp.Certificate == "" ||
		len(resp.Conferences) != 1 || resp.Conferences[0] != h.Conference.ID {
		t.Fatalf("pair response %+v", resp)
	}
	if _, err := kioskclient.Pair(ctx, h.URL, created.PairingCode, pub); !isErr(err, protocol.ErrPairingRefused) {
		t.Fatalf("replayed code: %v", err)
	}
	// The replay changed nothing: the first credential still works.
	if _, err := h.Kiosks.Authenticate(ctx, resp.Credential); err != nil {
		t.Fatalf("credential after replay: %v", err)
	}
	// And the credential syncs.
	k := openKiosk(t, t.TempDir(), resp.KioskID)
	k.start(t, h, resp.Credential, nil)
	hubservertest.Eventually(t, 5*time.Second, "paired kiosk online", func() bool { return k.client.Status().Online })
}

func TestAllocationGrantedAndReturnedThroughTheConnection(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	k, p := pairedKiosk(t, h, "Door 1")
	ctx := context.Background()
	c := h.Conference
	offline, err := kioskclient.New(kioskclient.Config{HubURL: h.URL, KioskID: k.id, Credential: p.Credential,
		Store: k.store, Apply: func(context.Context, eventstore.Store, []eventstore.Event) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := offline.RequestAllocation(ctx, c.ID, c.Workshop, 1); !isErr(err, kioskclient.ErrOffline) {
		t.Fatalf("request while offline: %v", err)
	}
	k.start(t, h, p.Credential, nil)
	hubservertest.Eventually(t, 5*time.Second, "online", func() bool { return k.client.Status().Online })
	if got, err := k.client.RequestAllocation(ctx, c.ID, c.Workshop, 5); err != nil || got != 5 {
		t.Fatalf("request 5: granted %d, %v", got, err)
	}
	if err := k.client.ReturnAllocation(ctx, c.ID, c.Workshop, 2); err != nil {
		t.Fatalf("return 2: %v", err)
	}
	if got, err := k.client.RequestAllocation(ctx, c.ID, c.Workshop, 1000); err != nil || got != 17 {
		t.Fatalf("request past the quota: granted %d, %v; want the 17 left", got, err)
	}
	if _, err := k.client.RequestAllocation(ctx, newID(), c.Workshop, 1); !isErr(err, protocol.ErrNotFound) {
		t.Fatalf("another conference: %v", err)
	}
	if err := k.client.ReturnAllocation(ctx, c.ID, c.Workshop, 500); !isErr(err, protocol.ErrAllocationRefused) {
		t.Fatalf("returning more than held: %v", err)
	}
	// Grants are hub events of the conference: they flow down.
	hubservertest.Eventually(t, 5*time.Second, "grants on the kiosk", func() bool {
		var n int
		_ = k.store.DB().QueryRow(`SELECT count(*) FROM events WHERE type = $1`,
			registrations.SeatAllocationGranted{}.EventType()).Scan(&n)
		return n == 2
	})
	if !k.client.Status().Online {
		t.Fatal("a refused request closed the connection")
	}
}

// A kiosk acts on its status the moment it turns online (the door app tops
// its allocations up then), so a request made at that moment must reach
// the hub: the client must not report a connection that requests cannot
// use yet. (While the status says offline a request still fails at once
// with ErrOffline, see TestAllocationGrantedAndReturnedThroughTheConnection.)
func TestARequestMadeTheMomentTheStatusTurnsOnlineReachesTheHub(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	k, p := pairedKiosk(t, h, "Door 1")
	c := h.Conference
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type answer struct {
		granted int
		err     error
	}
	answers := make(chan answer, 1)
	var asked atomic.Bool
	k.start(t, h, p.Credential, func(cfg *kioskclient.Config) {
		cfg.OnStatus = func(s kioskclient.Status) {
			if !s.Online || !asked.CompareAndSwap(false, true) {
				return
			}
			go func() {
				n, err := k.client.RequestAllocation(ctx, c.ID, c.Workshop, 3)
				answers <- answer{n, err}
			}()
			// Hold the client inside its report for a moment, as a busy
			// machine would: the request must wait for the connection, not
			// find none.
			select {
			case a := <-answers:
				answers <- a
			case <-time.After(500 * time.Millisecond):
			}
		}
	})
	select {
	case a := <-answers:
		if a.err != nil || a.granted != 3 {
			t.Fatalf("request made when the status turned online: granted %d, %v; want 3", a.granted, a.err)
		}
	case <-ctx.Done():
		t.Fatal("no answer to the request made when the status turned online")
	}

}

// losesFirstBatch is a hub merger that drops the first batch it is given
// without storing it, as a hub that lost a frame would; it still answers
// with what it truly holds.
type losesFirstBatch struct {
	hubserver.Merger
	lost atomic.Bool
}

func (m *losesFirstBatch) Accept(ctx context.Context, kioskID string, batch []eventstore.Event) (int64, error) {
	if len(batch) > 0 && m.lost.CompareAndSwap(false, true) {
		return m.Acked(ctx, kioskID)
	}
	return m.Merger.Accept(ctx, kioskID, batch)
}

func TestAKioskResendsFromWhereTheHubSaysAGapBegins(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{Configure: func(c *hubserver.Config) {
		c.Merger = &losesFirstBatch{Merger: c.Merger}
	}})
	k, p := pairedKiosk(t, h, "Door 1")
	k.checkIns(t, h.Conference, 6)

	// Two batches in flight: the hub loses 1..2, so 3..4 starts past what
	// it holds and is refused with a gap expecting 1.
	k.start(t, h, p.Credential, func(c *kioskclient.Config) { c.BatchSize = 2; c.InFlight = 2 })

	hubservertest.Eventually(t, 10*time.Second, "every event acknowledged", func() bool {
		return k.client.Status().UpAcked == 6
	})
	if n, distinct := h.OwnEvents(t, k.id); n != 6 || distinct != 6 {
		t.Fatalf("hub holds %d (%d distinct) of 6 events", n, distinct)
	}
	seen := h.Merger.Seen()
	if len(seen) < 2 || seen[0].First != 3 || seen[1].First != 1 {
		t.Fatalf("batches the hub merged %+v; want 3..4 (refused as a gap), then 1.. resent", seen)
	}
	if s := k.client.Status(); !s.Online || s.LastError != "" {
		t.Fatalf("the gap cost the connection: online %v, last error %q", s.Online, s.LastError)
	}
}
