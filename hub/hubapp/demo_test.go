package hubapp_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/badges"
	"conference/hub/conferences"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/shared/registrations"
)

func TestSeedDemoMakesAPublishedConferenceOnceAndRunsTheHooks(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	hooked := 0
	hook := func(_ context.Context, _ *hubapp.Hub, d *hubapp.Demo) error {
		hooked++
		d.Password = "demo-password"
		return nil
	}
	d, err := hubapp.SeedDemo(ctx, h, hook)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	if d.Skipped || d.Email != hubapp.DemoEmail || d.Password != "demo-password" || d.Token == "" {
		t.Fatalf("got %+v, want the demo organizer with a token and the hook's password", d)
	}
	if org, err := h.Conferences.Authenticate(ctx, d.Token); err != nil || org.ID != d.OrganizerID {
		t.Fatalf("got %v, %v, want the token to sign the demo organizer in", org, err)
	}
	c, err := h.Conferences.GetPublishedBySlug(ctx, hubapp.DemoSlug)
	if err != nil || c.ID != d.ConferenceID {
		t.Fatalf("got %v, %v, want the published demo conference", c, err)
	}
	seatTypes, err := h.Conferences.ListPublishedSeatTypes(ctx, c.ID)
	if err != nil || len(seatTypes) != 3 {
		t.Fatalf("got %d seat types, %v, want 3", len(seatTypes), err)
	}
	var workshop *conferences.SeatType
	for _, st := range seatTypes {
		if st.ID == d.Workshop {
			workshop = st
		}
	}
	if workshop == nil || workshop.Quota != 10 || !workshop.OnSite.SellableAtKiosks {
		t.Fatalf("got workshop %+v, want 10 seats sellable at kiosks", workshop)
	}
	hubtest.WaitForQuotas(t, h, c.ID, map[uuid.UUID]int{d.Workshop: 10})

	again, err := hubapp.SeedDemo(ctx, h, hook)
	if err != nil {
		t.Fatalf("seed again: %v", err)
	}
	if again.ConferenceID != d.ConferenceID || again.Workshop != d.Workshop || again.OrganizerID != d.OrganizerID || hooked != 2 {
		t.Fatalf("got %+v, want the same demo and the hook run again", again)
	}
	if list, _ := h.Conferences.ListConferences(ctx, d.OrganizerID); len(list) != 1 {
		t.Fatalf("got %d conferences, want 1", len(list))
	}
	placed, err := h.Registrations.PlaceOrder(ctx, d.ConferenceID, registrations.Seats{{SeatType: d.FullPass, Quantity: 1}}, hubapp.DemoPromo, h.Now())
	if err != nil {
		t.Fatalf("order with the demo promo code: %v", err)
	}
	hubtest.WaitForOrder(t, h, placed.OrderID, registrations.OrderStatusReserved)
}

func TestSeedDemoLeavesARealHubAlone(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	hubtest.PublishedConference(t, h)
	d, err := hubapp.SeedDemo(ctx, h)
	if err != nil || !d.Skipped {
		t.Fatalf("got %+v, %v, want skipped", d, err)
	}
	if _, err := h.Conferences.GetOrganizerByEmail(ctx, hubapp.DemoEmail); err == nil {
		t.Fatal("got a demo organizer in a real hub, want none")
	}
}

// The demo seeds a few hundred attendees through the real services (paid
// and free orders, names in many scripts, a third checked in), once: a
// second run finds them and adds nothing. Every demo name prints on a
// badge.
func TestSeedDemoAttendeesFillsTheConferenceOnce(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	d, err := hubapp.SeedDemo(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, err := hubapp.SeedDemoAttendees(ctx, h, d)
	if err != nil {
		t.Fatalf("seed attendees: %v", err)
	}
	t.Logf("seeded %+v in %v", got, time.Since(start).Round(time.Millisecond))
	if got.Attendees < 200 || got.Orders != 150 || got.CheckedIn < got.Attendees/4 || got.CheckedIn > got.Attendees/2 {
		t.Fatalf("seeded %+v, want a few hundred attendees in 150 orders, about a third checked in", got)
	}
	caughtUp(t, h)
	a, err := h.Reads.Attendance(ctx, d.ConferenceID)
	if err != nil || a.Sold != got.Attendees || a.CheckedIn != got.CheckedIn {
		t.Fatalf("attendance %+v (%v), want %d sold and %d checked in", a, err, got.Attendees, got.CheckedIn)
	}
	for _, name := range []string{"Zoë Ødegård", "Μαρία Παπαδοπούλου", "Анна Иванова", "王小明", "さくら たなか", "김민준", "محمد العلي", "דוד כהן", "علی رضایی"} {
		if list, err := h.Reads.Attendees(ctx, d.ConferenceID, name, 5, 0); err != nil || len(list) == 0 {
			t.Errorf("no attendee named %s: %v", name, err)
		}
	}

	again, err := hubapp.SeedDemoAttendees(ctx, h, d)
	if err != nil || again != got {
		t.Fatalf("second run: %+v, %v; want the same %+v", again, err, got)
	}
	caughtUp(t, h)
	if a2, _ := h.Reads.Attendance(ctx, d.ConferenceID); a2.Sold != a.Sold || a2.CheckedIn != a.CheckedIn {
		t.Fatalf("a second run changed the conference: %+v, was %+v", a2, a)
	}

	for _, name := range hubapp.DemoNames {
		if err := badges.RenderOne(ctx, io.Discard, badges.Style{}, badges.Badge{Conference: "Demo Conference", Name: name}); err != nil {
			t.Errorf("badge of %s: %v", name, err)
		}
	}
}

// caughtUp waits until the read models reflect everything in the log.
func caughtUp(t testing.TB, h *hubapp.Hub) {
	t.Helper()
	hubtest.WaitForReadModels(t, h)
}
