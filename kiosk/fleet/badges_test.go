package fleet_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/boombuler/barcode/qr"

	"conference/badges/token"
	"conference/hub/hubapp/hubtest"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

// attendees places a free order of len(names) seats, confirms it and names
// its attendees; it returns each attendee's seat as the kiosk's URLs
// write it ("<order>/<position>").
func attendees(t *testing.T, h *hub, names ...string) []string {
	t.Helper()
	ctx := context.Background()
	placed, err := h.Registrations.PlaceOrder(ctx, h.fx.ConferenceID,
		registrations.Seats{{SeatType: h.fx.Free, Quantity: len(names)}}, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id := placed.OrderID
	if err := h.Registrations.SetRegistrant(ctx, id, names[0], "registrant@example.org"); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitForOrder(t, h.Hub, id, registrations.OrderStatusConfirmed)
	positions, err := h.Registrations.Seats(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var changes []registrationsapp.Assignment
	var seats []string
	for i, p := range positions {
		changes = append(changes, registrationsapp.Assignment{Position: p.Position, Attendee: &registrations.Attendee{
			Name: names[i], Email: fmt.Sprintf("attendee-%d@example.org", i)}})
		seats = append(seats, fmt.Sprintf("%s/%d", id, p.Position))
	}
	if _, err := h.Registrations.AssignSeats(ctx, id, changes); err != nil {
		t.Fatal(err)
	}
	return seats
}

// A badge printed at door A verifies at door B while B is offline, and at
// door C, which was paired before A and has been offline ever since, so
// it never heard of A: the badge carries the hub's certificate of A's key.
// Once the organizer revokes A, a kiosk that synced the revocation refuses
// A's later badges, naming A and the time, and still accepts its earlier
// ones, across a restart and offline.
func TestABadgePrintedAtOneKioskVerifiesAtEveryKioskOfTheConference(t *testing.T) {
	requireTools(t, "pdftoppm", "zbarimg")
	ctx := context.Background()
	h := startHub(t)
	seats := attendees(t, h, "Ada Lovelace", "Grace Hopper")
	ada, grace := seats[0], seats[1]

	c := pairDoor(t, h, "Door C")
	c.start()
	c.knows(ada, "Ada Lovelace")
	c.proxy.Partition() // C is offline from here on

	a := pairDoor(t, h, "Door A")
	b := pairDoor(t, h, "Door B")
	a.start()
	b.start()
	a.knows(ada, "Ada Lovelace")
	b.knows(grace, "Grace Hopper")

	adaBadge := a.print(ada)
	tok, err := token.Decode(adaBadge)
	if err != nil {
		t.Fatalf("the badge's QR code read as %q: %v", adaBadge, err)
	}
	if tok.Version != 2 || tok.Certificate == nil || tok.Certificate.KioskID != a.id {
		t.Fatalf("badge printed at A: version %d, certificate %+v; want version 2 carrying A's (%s)", tok.Version, tok.Certificate, a.id)
	}
	code, err := qr.Encode(adaBadge, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kiosk badge token: %d characters, QR %d modules a side", len(adaBadge), code.Bounds().Dx())

	b.proxy.Partition()
	b.scan(adaBadge).Want(t, 200, "Ada Lovelace", "Valid badge")
	c.scan(adaBadge).Want(t, 200, "Ada Lovelace", "Valid badge")

	// The organizer revokes A. A still prints (it is offline from the hub
	// now), but what it signs from now on is refused where the revocation
	// is known.
	if err := h.Kiosks.Revoke(ctx, h.fx.OrganizerID, a.id); err != nil {
		t.Fatal(err)
	}
	var revokedAt time.Time
	list, err := h.Kiosks.List(ctx, h.fx.OrganizerID, h.fx.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range list {
		if k.ID == a.id {
			revokedAt = k.RevokedAt
		}
	}
	if revokedAt.IsZero() {
		t.Fatal("A is not revoked at the hub")
	}
	// Badges carry whole seconds: print in the second after the revocation.
	for !time.Now().Truncate(time.Second).After(revokedAt) {
		time.Sleep(20 * time.Millisecond)
	}
	graceBadge := a.print(grace)

	refusal := "Badge signed by kiosk Door A after it was revoked at " + revokedAt.Local().Format("15:04:05 Jan 2") + "."
	b.proxy.Heal()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(b.scan(graceBadge).Body, refusal) {
		if time.Now().After(deadline) {
			t.Fatalf("door B never refused A's badge signed after the revocation:\n%s", b.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.proxy.Partition()
	b.stop()
	b.start() // the revocation is in B's own log
	b.scan(graceBadge).Want(t, 200, refusal).Lacks(t, "Valid badge")
	b.scan(adaBadge).Want(t, 200, "Ada Lovelace", "Valid badge")
}
