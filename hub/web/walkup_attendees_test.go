package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"conference/hub/conferences"
	"conference/hub/hubapp/hubtest"
	"conference/kiosk"
	"conference/shared/registrations"
)

// TestWalkUpBuyersWithoutAnEmailAreAttendees sells workshop seats at a
// real kiosk paired with and syncing to the hub, to two cash buyers who
// give a name and no email (both called Ana Silva), and checks the
// organizer finds both in the attendee list, the CSV and the badge PDF.
func TestWalkUpBuyersWithoutAnEmailAreAttendees(t *testing.T) {
	th := startHub(t, Options{})
	v := th.venue(t, "Door Summit", "door-summit")
	ctx, cancel := context.WithCancel(context.Background())
	org := th.conference(v.conf)
	sts, err := th.hub.Conferences.ListSeatTypes(ctx, org, v.conf)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.ID == v.workshop {
			d := st.SeatTypeDetails
			d.OnSite = conferences.OnSitePolicy{SellableAtKiosks: true, KioskAllocationSize: 2}
			if _, err := th.hub.Conferences.UpdateSeatType(ctx, org, v.conf, st.ID, d, th.hub.Sold); err != nil {
				t.Fatal(err)
			}
		}
	}
	created, err := th.hub.Kiosks.CreateKiosk(ctx, org, v.conf, "Door 1")
	if err != nil {
		t.Fatal(err)
	}

	// The kiosk program's steps: pair, reopen under the kiosk's id, sync.
	path := filepath.Join(t.TempDir(), "kiosk.db")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	k, err := kiosk.Open(ctx, kiosk.Config{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Pair(ctx, th.srv.URL, created.PairingCode); err != nil {
		t.Fatalf("pair: %v", err)
	}
	k.Close()
	if k, err = kiosk.Open(ctx, kiosk.Config{Path: path, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	synced := make(chan error, 1)
	go func() {
		synced <- k.RunSync(ctx, kiosk.SyncOptions{TopUpEvery: 50 * time.Millisecond, MinBackoff: 10 * time.Millisecond})
	}()
	t.Cleanup(func() {
		cancel()
		<-synced
		k.Close()
	})
	hubtest.Eventually(t, 10*time.Second, "two workshop seats leased to the kiosk", func() error {
		st, err := k.Status(ctx)
		if err != nil {
			return err
		}
		for _, l := range st.Allocation[v.conf] {
			if l.SeatType == v.workshop && l.AllocationLeft == 2 {
				return nil
			}
		}
		return fmt.Errorf("allocation %+v", st.Allocation)
	})

	for range 2 {
		if _, err := k.WalkUpSale(ctx, kiosk.WalkUpRequest{
			ConferenceID: v.conf, Seats: registrations.Seats{{SeatType: v.workshop, Quantity: 1}},
			Name: "Ana Silva", Payment: registrations.PaymentCash, Staff: "Rui",
		}); err != nil {
			t.Fatalf("walk-up sale: %v", err)
		}
	}
	hubtest.Eventually(t, 10*time.Second, "the sales uploaded", func() error {
		st, err := k.Status(ctx)
		if err != nil {
			return err
		}
		if st.PendingUpload != 0 {
			return fmt.Errorf("%d events waiting to upload", st.PendingUpload)
		}
		return nil
	})
	caughtUp(t, th.hub)

	// The attendee list.
	list := v.org.Get(confURL(v.conf, "/attendees"))
	list.Want(t, http.StatusOK, "Ana Silva")
	if n := strings.Count(list.Body, "Ana Silva"); n != 2 {
		t.Fatalf("attendee list shows Ana Silva %d times, want both buyers:\n%s", n, list.Body)
	}
	v.org.Get(confURL(v.conf, "/attendees?q=silva")).Want(t, http.StatusOK, "Ana Silva")

	// The CSV: a row per buyer, with the seat type and no email.
	p := v.org.Get(confURL(v.conf, "/attendees.csv"))
	p.Want(t, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, p.Body)
	}
	var anas int
	for _, r := range rows[1:] {
		if r[0] == "Ana Silva" && r[1] == "" && r[4] == "Workshop" {
			anas++
		}
	}
	if len(rows) != 3 || anas != 2 {
		t.Fatalf("CSV rows: %q, want both buyers", rows)
	}

	// The badges: one per buyer, though they share a name.
	v.org.Get(confURL(v.conf, "/badges")).Want(t, http.StatusOK, "2 attendees")
	text := pdfText(t, v.org.badgesPDF(t, v))
	if n := strings.Count(text, "Ana Silva"); n != 2 {
		t.Fatalf("badge PDF names Ana Silva %d times, want 2:\n%s", n, text)
	}
}
