package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/badges/badgestest"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	registrationsapp "conference/hub/registrations"
	"conference/hub/server"
	"conference/hub/tickets"
	"conference/kiosk"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// door is a real kiosk paired with the hub and syncing with it.
type door struct {
	k *kiosk.Kiosk
}

func pairDoor(t *testing.T, h *hubapp.Hub, f hubtest.Fixture) door {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e, err := server.New(h)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	created, err := h.Kiosks.CreateKiosk(ctx, f.OrganizerID, f.ConferenceID, "Door 1")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kiosk.db")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	k, err := kiosk.Open(ctx, kiosk.Config{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Pair(ctx, srv.URL, created.PairingCode); err != nil {
		t.Fatalf("pair: %v", err)
	}
	k.Close()
	if k, err = kiosk.Open(ctx, kiosk.Config{Path: path, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	synced := make(chan error, 1)
	go func() { synced <- k.RunSync(ctx, kiosk.SyncOptions{MinBackoff: 10 * time.Millisecond}) }()
	t.Cleanup(func() {
		cancel()
		<-synced
		k.Close()
		srv.Close()
	})
	return door{k: k}
}

// waitVerdict scans text at the door until the kiosk's verdict is want
// ("" for admitted), as it becomes once the kiosk has synced.
func (d door) waitVerdict(t *testing.T, what, text string, want onsite.DenyReason) {
	t.Helper()
	hubtest.Eventually(t, 15*time.Second, what, func() error {
		res, err := d.k.VerifyScan(context.Background(), text)
		if err != nil {
			return err
		}
		if res.Reason != want || res.OK != (want == "") {
			return fmt.Errorf("verdict ok=%v reason %q (%s)", res.OK, res.Reason, res.Message)
		}
		return nil
	})
}

// ticketCodes renders the order's tickets and scans their QR codes.
func ticketCodes(t *testing.T, h *hubapp.Hub, order uuid.UUID) []string {
	t.Helper()
	pdf, err := h.Tickets.PDF(context.Background(), order)
	if err != nil {
		t.Fatal(err)
	}
	return badgestest.QRCodes(t, pdf)
}

// TestAKioskAdmitsATicketUntilItsSeatChangesHands gives a kiosk paired
// with the hub a ticket scanned from the PDF: admitted. The registrant
// then names someone else for the seat the ticket names; once the kiosk
// has synced, the old ticket is refused as revoked, while the new
// tickets (the new attendee's, and the registrant's for the seat left)
// are admitted. Cancelling the order revokes those too.
func TestAKioskAdmitsATicketUntilItsSeatChangesHands(t *testing.T) {
	ctx := context.Background()
	clock := hubtest.NewClock()
	h := hubtest.OpenConfig(t, hubapp.Config{Now: clock.Now})
	f := hubtest.PublishedConference(t, h)
	d := pairDoor(t, h, f)
	placed, err := h.Registrations.PlaceOrder(ctx, f.ConferenceID, registrations.Seats{{SeatType: f.Free, Quantity: 2}}, "", h.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Registrations.SetRegistrant(ctx, placed.OrderID, "Ana Silva", "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitForOrder(t, h, placed.OrderID, registrations.OrderStatusConfirmed)

	first := ticketCodes(t, h, placed.OrderID)
	if len(first) != 1 {
		t.Fatalf("%d tickets, want the registrant's one", len(first))
	}
	d.waitVerdict(t, "the registrant's ticket admitted", first[0], "")

	// A second later by the hub's clock, the first seat goes to Bo.
	clock.Advance(2 * time.Second)
	if _, err := h.Registrations.AssignSeats(ctx, placed.OrderID, []registrationsapp.Assignment{
		{Position: 0, Attendee: &registrations.Attendee{Name: "Bo Chen", Email: "bo@example.com"}},
	}); err != nil {
		t.Fatal(err)
	}
	d.waitVerdict(t, "the old ticket refused once the reassignment synced", first[0], onsite.DenyRevoked)
	second := ticketCodes(t, h, placed.OrderID)
	if len(second) != 2 {
		t.Fatalf("%d tickets after naming Bo, want Ana's and Bo's", len(second))
	}
	for i, code := range second {
		d.waitVerdict(t, fmt.Sprintf("new ticket %d admitted", i+1), code, "")
	}

	if err := h.Registrations.CancelOrder(ctx, placed.OrderID, "changed plans"); err != nil {
		t.Fatal(err)
	}
	for i, code := range second {
		d.waitVerdict(t, fmt.Sprintf("ticket %d refused once the cancellation synced", i+1), code, onsite.DenyRevoked)
	}
	if _, err := h.Tickets.PDF(ctx, placed.OrderID); !errors.Is(err, tickets.ErrNotConfirmed) {
		t.Fatalf("tickets of a cancelled order: %v, want ErrNotConfirmed", err)
	}
}
