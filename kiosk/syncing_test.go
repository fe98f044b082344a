package kiosk_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"conference/hub/hubapp/hubtest"
	"conference/hub/server"
	"conference/kiosk"
	"conference/shared/registrations"
	"conference/sync/digest"
)

// TestPairedKioskSyncsWithARealHub runs the whole link over loopback: a
// hub with a published conference, a kiosk paired with a one-time code,
// the conference arriving at the kiosk, an allocation leased, a walk-up
// sale inside it uploaded, and both ends agreeing by digest.
func TestPairedKioskSyncsWithARealHub(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	handler, err := server.New(h)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(handler)
	defer hs.Close()
	created, err := h.Kiosks.CreateKiosk(ctx, f.OrganizerID, f.ConferenceID, "Door 1")
	if err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "kiosk.db")
	k, err := kiosk.Open(ctx, kiosk.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	id, err := k.Pair(ctx, hs.URL, created.PairingCode)
	if err != nil {
		t.Fatalf("pair: %v", err)
	}
	if _, err := k.Pair(ctx, hs.URL, created.PairingCode); err == nil {
		t.Fatal("a pairing code worked twice")
	}
	k.Close()
	// The kiosk id stamps every event it records: it applies from a restart.
	k, err = kiosk.Open(ctx, kiosk.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	synced := make(chan error, 1)
	go func() {
		synced <- k.RunSync(ctx, kiosk.SyncOptions{TopUpEvery: 50 * time.Millisecond, MinBackoff: 10 * time.Millisecond})
	}()

	hubtest.Eventually(t, 10*time.Second, "workshop allocation leased to the kiosk", func() error {
		st, err := k.Status(ctx)
		if err != nil {
			return err
		}
		if !st.Online {
			return fmt.Errorf("kiosk offline")
		}
		for _, l := range st.Allocation[f.ConferenceID] {
			if l.SeatType == f.Workshop && l.AllocationLeft > 0 {
				return nil
			}
		}
		return fmt.Errorf("allocation %+v", st.Allocation)
	})

	sale, err := k.WalkUpSale(ctx, kiosk.WalkUpRequest{
		ConferenceID: f.ConferenceID, Seats: registrations.Seats{{SeatType: f.Workshop, Quantity: 1}},
		Name: "Zoë Walkup", Email: "zoe@example.org", Payment: registrations.PaymentCash, Staff: "Ana",
	})
	if err != nil {
		t.Fatalf("walk-up sale: %v", err)
	}
	if sale.Outcome != kiosk.SaleCertain {
		t.Fatalf("sale inside the allocation is %q, want certain", sale.Outcome)
	}
	hubtest.Eventually(t, 10*time.Second, "walk-up uploaded and both ends agree", func() error {
		st, err := k.Status(ctx)
		if err != nil {
			return err
		}
		if st.PendingUpload != 0 {
			return fmt.Errorf("%d events waiting to upload", st.PendingUpload)
		}
		hubDigest, err := digest.Compute(ctx, h.Store, f.ConferenceID)
		if err != nil {
			return err
		}
		kioskDigest, err := digest.Compute(ctx, k.Store(), f.ConferenceID)
		if err != nil {
			return err
		}
		if d := digest.Diff(hubDigest, kioskDigest); len(d) > 0 {
			return fmt.Errorf("digests differ in %v", d)
		}
		return nil
	})
	var fromKiosk int
	if err := h.Store.DB().QueryRow(`SELECT count(*) FROM events WHERE origin = ? AND type = 'registrations.WalkUpOrderPlaced'`, id.KioskID).Scan(&fromKiosk); err != nil || fromKiosk != 1 {
		t.Fatalf("hub holds %d walk-up orders from the kiosk (%v), want 1", fromKiosk, err)
	}

	// Revoked at the hub: the kiosk is cut off and told so.
	if err := h.Kiosks.Revoke(ctx, f.OrganizerID, id.KioskID); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-synced:
		if err == nil {
			t.Fatal("sync ended without saying the kiosk was revoked")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("revoked kiosk still syncing after 5 s")
	}
}
