package hubapp_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/server"
	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/registrations"
	"conference/sync/kioskclient"
	"conference/sync/merge"
	"conference/sync/merge/mergetest"
	"conference/sync/protocol"
)

// lease grants kiosk n seats of seatType straight through the allocation
// use case, as the sync server does for a kiosk's request.
func lease(t *testing.T, h *hubapp.Hub, conference, seatType uuid.UUID, kiosk string, n int) {
	t.Helper()
	got, err := merge.NewAllocations(h.Store).Request(context.Background(), kiosk, conference, seatType, n)
	if err != nil || got != n {
		t.Fatalf("lease %d to %s: granted %d, %v", n, kiosk, got, err)
	}
}

func seatType(t *testing.T, h *hubapp.Hub, f hubtest.Fixture, id uuid.UUID) *conferences.SeatType {
	t.Helper()
	list, err := h.Conferences.ListSeatTypes(context.Background(), f.OrganizerID, f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range list {
		if st.ID == id {
			return st
		}
	}
	t.Fatalf("seat type %s not listed", id)
	return nil
}

func TestClosingOnSiteSalesTakesBackEveryKiosksLeaseOfThatSeatTypeOnly(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	lease(t, h, f.ConferenceID, f.Workshop, "kiosk-b", 2)
	lease(t, h, f.ConferenceID, f.Workshop, "kiosk-a", 3)
	lease(t, h, f.ConferenceID, f.Paid, "kiosk-a", 1)

	closed, err := h.CloseOnSiteSales(ctx, f.OrganizerID, f.ConferenceID, f.Workshop)
	if err != nil {
		t.Fatal(err)
	}

	if closed.Returned["kiosk-a"] != 3 || closed.Returned["kiosk-b"] != 2 || closed.Total() != 5 {
		t.Fatalf("returned %v, want kiosk-a 3 and kiosk-b 2", closed.Returned)
	}
	a, err := h.Registrations.Availability(ctx, f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	if a.AllocatedCount(f.Workshop) != 0 || a.Remaining(f.Workshop) != hubtest.WorkshopQuota {
		t.Fatalf("workshop: %d still leased, %d free; want 0 and all %d", a.AllocatedCount(f.Workshop), a.Remaining(f.Workshop), hubtest.WorkshopQuota)
	}
	if a.AllocationOf("kiosk-a", f.Paid) != 1 {
		t.Fatalf("kiosk-a's conference pass lease is %d, want it untouched at 1", a.AllocationOf("kiosk-a", f.Paid))
	}
	if p := seatType(t, h, f, f.Workshop).OnSite; p != (conferences.OnSitePolicy{}) {
		t.Fatalf("workshop on-site policy is %+v after closing, want not sellable at kiosks", p)
	}
	// The take-back is a hub event of the conference, kiosks in id order.
	var kiosks []string
	for after := int64(0); ; {
		page, err := h.Store.ReadLog(ctx, after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.Type == (registrations.SeatAllocationReturned{}).EventType() {
				var r struct {
					KioskID string `json:"kiosk_id"`
				}
				if err := json.Unmarshal(e.Data, &r); err != nil {
					t.Fatal(err)
				}
				kiosks = append(kiosks, r.KioskID)
			}
		}
		after = page[len(page)-1].Position
	}
	if fmt.Sprint(kiosks) != "[kiosk-a kiosk-b]" {
		t.Fatalf("leases returned for %v, want [kiosk-a kiosk-b] in that order", kiosks)
	}
}

func TestOnSiteSalesOfAnotherOrganizersSeatTypeCannotBeClosed(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	other := hubtest.PublishedConference(t, h)
	lease(t, h, f.ConferenceID, f.Workshop, "kiosk-a", 2)

	for name, try := range map[string]func() error{
		"another organizer": func() error {
			_, err := h.CloseOnSiteSales(ctx, other.OrganizerID, f.ConferenceID, f.Workshop)
			return err
		},
		"a seat type of another conference": func() error {
			_, err := h.CloseOnSiteSales(ctx, f.OrganizerID, f.ConferenceID, other.Workshop)
			return err
		},
	} {
		if err := try(); !errors.Is(err, conferences.ErrNotFound) {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}

	a, err := h.Registrations.Availability(ctx, f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	if a.AllocationOf("kiosk-a", f.Workshop) != 2 || !seatType(t, h, f, f.Workshop).OnSite.SellableAtKiosks {
		t.Fatalf("refused close changed something: lease %d, policy %+v", a.AllocationOf("kiosk-a", f.Workshop), seatType(t, h, f, f.Workshop).OnSite)
	}
}

func TestUntickingSellableAtKiosksTakesTheLeasesBack(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	lease(t, h, f.ConferenceID, f.Workshop, "kiosk-a", 2)

	d := seatType(t, h, f, f.Workshop).SeatTypeDetails
	d.OnSite = conferences.OnSitePolicy{}
	if _, err := h.Conferences.UpdateSeatType(ctx, f.OrganizerID, f.ConferenceID, f.Workshop, d, h.Sold); err != nil {
		t.Fatal(err)
	}

	hubtest.Eventually(t, 10*time.Second, "the kiosk's workshop lease back in availability", func() error {
		a, err := h.Registrations.Availability(ctx, f.ConferenceID)
		if err != nil {
			return err
		}
		if a.AllocatedCount(f.Workshop) != 0 || a.Remaining(f.Workshop) != hubtest.WorkshopQuota {
			return fmt.Errorf("%d leased, %d free", a.AllocatedCount(f.Workshop), a.Remaining(f.Workshop))
		}
		return nil
	})
}

func TestAKioskThatHasNotHeardOfTheClosingCannotLeaseTheSeatTypeAgain(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	hs := httptest.NewServer(mustHandler(t, h))
	defer hs.Close()
	c, _ := connectKiosk(ctx, t, h, f, hs.URL)
	hubtest.Eventually(t, 10*time.Second, "a lease while on-site sales are open", func() error {
		if n, err := c.RequestAllocation(ctx, f.ConferenceID, f.Workshop, 2); err != nil || n != 2 {
			return fmt.Errorf("granted %d, %v", n, err)
		}
		return nil
	})

	if _, err := h.CloseOnSiteSales(ctx, f.OrganizerID, f.ConferenceID, f.Workshop); err != nil {
		t.Fatal(err)
	}
	_, err := c.RequestAllocation(ctx, f.ConferenceID, f.Workshop, 2)

	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeAllocationRefused {
		t.Fatalf("lease after closing: %v, want allocation_refused", err)
	}
	a, err := h.Registrations.Availability(ctx, f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	if a.AllocatedCount(f.Workshop) != 0 {
		t.Fatalf("%d workshop seats leased after closing, want 0", a.AllocatedCount(f.Workshop))
	}
}

func mustHandler(t *testing.T, h *hubapp.Hub) http.Handler {
	t.Helper()
	handler, err := server.New(h)
	if err != nil {
		t.Fatal(err)
	}
	return handler
}

// connectKiosk pairs a kiosk over HTTP and keeps its sync client connected
// until ctx ends; it returns the client and the kiosk's store.
func connectKiosk(ctx context.Context, t *testing.T, h *hubapp.Hub, f hubtest.Fixture, url string) (*kioskclient.Client, *sqlitestore.Store) {
	t.Helper()
	created, err := h.Kiosks.CreateKiosk(ctx, f.OrganizerID, f.ConferenceID, "Door 1")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	p, err := kioskclient.Pair(ctx, url, created.PairingCode, pub)
	if err != nil {
		t.Fatal(err)
	}
	store := mergetest.Open(t, t.TempDir(), p.KioskID)
	c, err := kioskclient.New(kioskclient.Config{HubURL: url, KioskID: p.KioskID, Credential: p.Credential, Store: store,
		Apply: func(ctx context.Context, s eventstore.Store, evs []eventstore.Event) error {
			return merge.ApplyDown(ctx, s, evs)
		},
		MinBackoff: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx)
	}()
	t.Cleanup(func() { <-done })
	return c, store
}
