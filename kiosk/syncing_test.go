package kiosk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/hub/hubapp/hubtest"
	"conference/hub/server"
	"conference/kiosk"
	"conference/kiosk/readmodel"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/registrations"
	"conference/sync/digest"
	"conference/sync/hubserver/hubservertest"
	"conference/sync/merge"
	"conference/sync/merge/mergetest"
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
	// The kiosk learned its name from the hub, as the organizer gave it.
	hubtest.Eventually(t, 10*time.Second, "the kiosk's name", func() error {
		if name, ok := k.Name(); !ok || name != "Door 1" {
			return fmt.Errorf("named %q (%v)", name, ok)
		}
		return nil
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
	if err := h.Store.DB().QueryRow(`SELECT count(*) FROM events WHERE origin = $1 AND type = 'registrations.WalkUpOrderPlaced'`, id.KioskID).Scan(&fromKiosk); err != nil || fromKiosk != 1 {
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

// venueKiosk pairs a kiosk with a hub sync endpoint over HTTP, reopens it
// under its kiosk id and keeps it syncing until the test ends.
func venueKiosk(t *testing.T, h *hubservertest.Hub) (*kiosk.Kiosk, string) {
	t.Helper()
	return syncingKiosk(t, h, kiosk.SyncOptions{TopUpEvery: 50 * time.Millisecond, MinBackoff: 10 * time.Millisecond})
}

// syncingKiosk is venueKiosk with the sync options given.
func syncingKiosk(t *testing.T, h *hubservertest.Hub, opts kiosk.SyncOptions) (*kiosk.Kiosk, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	path := filepath.Join(t.TempDir(), "kiosk.db")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	k, err := kiosk.Open(ctx, kiosk.Config{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	id, err := k.Pair(ctx, h.URL, h.NewKiosk(t, "Door 1").PairingCode)
	if err != nil {
		t.Fatalf("pair: %v", err)
	}
	k.Close()
	if k, err = kiosk.Open(ctx, kiosk.Config{Path: path, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	synced := make(chan error, 1)
	go func() { synced <- k.RunSync(ctx, opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-synced; err != nil {
			t.Errorf("sync: %v", err)
		}
		k.Close()
	})
	return k, id.KioskID
}

// workshopLine is the kiosk's walk-up line of the workshop.
func workshopLine(ctx context.Context, k *kiosk.Kiosk, h *hubservertest.Hub) (readmodel.InventoryLine, error) {
	st, err := k.Status(ctx)
	if err != nil {
		return readmodel.InventoryLine{}, err
	}
	for _, l := range st.Allocation[h.Conference.ID] {
		if l.SeatType == h.Conference.Workshop {
			return l, nil
		}
	}
	return readmodel.InventoryLine{}, fmt.Errorf("no workshop line in %+v", st.Allocation)
}

// waitForLease waits until the kiosk may sell n workshop seats from its
// lease.
func waitForLease(t *testing.T, k *kiosk.Kiosk, h *hubservertest.Hub, n int, what string) {
	t.Helper()
	hubtest.Eventually(t, 10*time.Second, what, func() error {
		if l, err := workshopLine(context.Background(), k, h); err != nil || l.AllocationLeft != n {
			return fmt.Errorf("line %+v, %v", l, err)
		}
		return nil
	})
}

func hubAvailability(t *testing.T, h *hubservertest.Hub) *registrations.SeatsAvailability {
	t.Helper()
	a, err := eventsourcing.NewRepository(h.Store, merge.Registry(), registrations.NewSeatsAvailability).
		Load(context.Background(), registrations.AvailabilityStreamID(h.Conference.ID))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func sellWorkshop(ctx context.Context, k *kiosk.Kiosk, h *hubservertest.Hub, n int, name string) (kiosk.WalkUpResult, error) {
	return k.WalkUpSale(ctx, kiosk.WalkUpRequest{
		ConferenceID: h.Conference.ID, Seats: registrations.Seats{{SeatType: h.Conference.Workshop, Quantity: n}},
		Name: name, Payment: registrations.PaymentCash, Staff: "Ana",
	})
}

func TestTheKioskIsToppedUpAgainAfterSellingItsAllocationDown(t *testing.T) {
	ctx := context.Background()
	h := hubservertest.Start(t, hubservertest.Options{})
	h.Describe(t, conferences.OnSitePolicy{SellableAtKiosks: true, KioskAllocationSize: 2})
	k, id := venueKiosk(t, h)
	waitForLease(t, k, h, 2, "the first lease of 2")

	sale, err := sellWorkshop(ctx, k, h, 2, "Walk-up Wanda")
	if err != nil || sale.Outcome != kiosk.SaleCertain {
		t.Fatalf("sale of the whole lease: %+v, %v", sale, err)
	}

	waitForLease(t, k, h, 2, "a new lease of 2 once the sale is at the hub")
	// The top-up may reach the hub before the sale's upload does: the
	// hub's counts settle once both have.
	hubservertest.Eventually(t, 20*time.Second, "hub: 2 held, 2 sold, 16 free", func() bool {
		a := hubAvailability(t, h)
		return a.AllocationOf(id, h.Conference.Workshop) == 2 && a.SoldCount(h.Conference.Workshop) == 2 && a.Remaining(h.Conference.Workshop) == 16
	})
}

func TestAKioskGivesBackItsUnsoldLeaseWhenItsSeatTypeStopsBeingSoldAtKiosks(t *testing.T) {
	ctx := context.Background()
	h := hubservertest.Start(t, hubservertest.Options{})
	h.Describe(t, conferences.OnSitePolicy{SellableAtKiosks: true, KioskAllocationSize: 4})
	k, id := venueKiosk(t, h)
	waitForLease(t, k, h, 4, "a lease of 4")
	if sale, err := sellWorkshop(ctx, k, h, 1, "Walk-up Wanda"); err != nil || sale.Outcome != kiosk.SaleCertain {
		t.Fatalf("sale inside the lease: %+v, %v", sale, err)
	}

	// This hub does not take leases back itself: the kiosk must.
	h.SetWorkshopPolicy(t, conferences.OnSitePolicy{})

	hubtest.Eventually(t, 10*time.Second, "the 3 unsold seats back at the hub", func() error {
		a := hubAvailability(t, h)
		if held, sold := a.AllocationOf(id, h.Conference.Workshop), a.SoldCount(h.Conference.Workshop); held != 0 || sold != 1 {
			return fmt.Errorf("kiosk holds %d, %d sold", held, sold)
		}
		if l, err := workshopLine(ctx, k, h); err != nil || l.AllocationLeft != 0 {
			return fmt.Errorf("kiosk line %+v, %v", l, err)
		}
		return nil
	})
	if a := hubAvailability(t, h); a.Remaining(h.Conference.Workshop) != 19 {
		t.Fatalf("%d workshop seats free at the hub, want 19", a.Remaining(h.Conference.Workshop))
	}
	if _, err := sellWorkshop(ctx, k, h, 1, "Too Late"); !errors.Is(err, kiosk.ErrNotSellable) {
		t.Fatalf("sale after on-site sales closed: %v, want not sellable", err)
	}
	agree(t, k.Store(), h.Store, h.Conference.ID)
}

// agree fails the test unless kiosk and hub digests of the conference
// agree (waiting for the last events to travel).
func agree(t *testing.T, kioskStore, hubStore eventstore.Store, conference uuid.UUID) {
	t.Helper()
	hubtest.Eventually(t, 10*time.Second, "kiosk and hub digests agree", func() error {
		hd, err := digest.Compute(context.Background(), hubStore, conference)
		if err != nil {
			return err
		}
		kd, err := digest.Compute(context.Background(), kioskStore, conference)
		if err != nil {
			return err
		}
		if d := digest.Diff(hd, kd); len(d) > 0 {
			return fmt.Errorf("digests differ in %v", d)
		}
		return nil
	})
}

// lockedBuffer is a log sink tests read while the kiosk writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// A top-up the hub answers with no seats (sold out online) is not logged
// as topped up.
func TestATopUpThatGrantedNothingIsNotLoggedAsToppedUp(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	mergetest.SellOnline(t, h.Store, h.Conference, registrations.Seats{{SeatType: h.Conference.Workshop, Quantity: 20}}, "Online")
	h.Describe(t, conferences.OnSitePolicy{SellableAtKiosks: true, KioskAllocationSize: 2})
	var logs lockedBuffer
	k, _ := syncingKiosk(t, h, kiosk.SyncOptions{TopUpEvery: 20 * time.Millisecond, MinBackoff: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	hubtest.Eventually(t, 10*time.Second, "the hub asked and answered", func() error {
		if !strings.Contains(logs.String(), "the hub had no seats to grant") {
			return fmt.Errorf("logs:\n%s", logs.String())
		}
		return nil
	})
	if strings.Contains(logs.String(), "allocation topped up") {
		t.Fatalf("a grant of nothing logged as a top-up:\n%s", logs.String())
	}
	if l, err := workshopLine(context.Background(), k, h); err != nil || l.AllocationLeft != 0 {
		t.Fatalf("workshop line %+v, %v", l, err)
	}
}
