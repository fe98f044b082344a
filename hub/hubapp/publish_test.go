package hubapp_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

// An order placed the moment a conference is published reserves every seat
// it asks for while they are all free: publishing does not open the sale
// before the inventory knows each seat type's quota.
func TestOrderPlacedTheMomentAConferenceIsPublishedReservesWhatIsOnSale(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	org, err := h.Conferences.CreateOrganizer(ctx, conferences.NewOrganizer{Email: "publisher@example.com", DisplayName: "Publisher"})
	if err != nil {
		t.Fatal(err)
	}
	tries := 50
	if testing.Short() {
		tries = 10
	}
	for i := range tries {
		conf, seats := newConferenceWithSeatTypes(t, h, org.ID, fmt.Sprintf("publish-race-%d", i))
		if _, err := h.Conferences.Publish(ctx, org.ID, conf); err != nil {
			t.Fatalf("try %d: publish: %v", i, err)
		}
		placed, err := h.Registrations.PlaceOrder(ctx, conf, seats, "", h.Now())
		if err != nil {
			t.Fatalf("try %d: order placed right after publishing: %v", i, err)
		}
		o := settledOrder(t, h, placed.OrderID)
		if o.Status != registrations.OrderStatusReserved || o.Partial {
			t.Fatalf("try %d: order is %s with %v reserved of %v (partial %v); every seat was free",
				i, o.Status, o.Reserved, o.Requested, o.Partial)
		}
	}
}

// A seat type added to a conference already on sale, or a quota raised, can
// be ordered in full as soon as the organizer's change returns.
func TestSeatTypeAddedOrRaisedOnSaleIsOrderableAtOnce(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	for i := range 10 {
		st, err := h.Conferences.AddSeatType(ctx, f.OrganizerID, f.ConferenceID, conferences.SeatTypeDetails{
			Name: fmt.Sprintf("Late workshop %d", i), Price: registrations.NewMoney(1500, hubtest.Currency), Quota: 4,
		})
		if err != nil {
			t.Fatal(err)
		}
		placed, err := h.Registrations.PlaceOrder(ctx, f.ConferenceID, registrations.Seats{{SeatType: st.ID, Quantity: 4}}, "", h.Now())
		if err != nil {
			t.Fatalf("try %d: order placed right after adding the seat type: %v", i, err)
		}
		if o := settledOrder(t, h, placed.OrderID); o.Status != registrations.OrderStatusReserved || o.Partial {
			t.Fatalf("try %d: new seat type: order is %s with %v reserved (partial %v)", i, o.Status, o.Reserved, o.Partial)
		}
		details := st.SeatTypeDetails
		details.Quota = 7
		if _, err := h.Conferences.UpdateSeatType(ctx, f.OrganizerID, f.ConferenceID, st.ID, details, h.Sold); err != nil {
			t.Fatal(err)
		}
		placed, err = h.Registrations.PlaceOrder(ctx, f.ConferenceID, registrations.Seats{{SeatType: st.ID, Quantity: 3}}, "", h.Now())
		if err != nil {
			t.Fatalf("try %d: order placed right after raising the quota: %v", i, err)
		}
		if o := settledOrder(t, h, placed.OrderID); o.Status != registrations.OrderStatusReserved || o.Partial {
			t.Fatalf("try %d: raised quota: order is %s with %v reserved (partial %v)", i, o.Status, o.Reserved, o.Partial)
		}
	}
}

// newConferenceWithSeatTypes creates an unpublished conference with three
// seat types and returns it with an order for every seat of each.
func newConferenceWithSeatTypes(t *testing.T, h *hubapp.Hub, org uuid.UUID, slug string) (uuid.UUID, registrations.Seats) {
	t.Helper()
	ctx := context.Background()
	start := time.Now().UTC().Add(30 * 24 * time.Hour).Truncate(time.Hour)
	c, err := h.Conferences.CreateConference(ctx, org, conferences.ConferenceDetails{
		Slug: slug, Name: "Conference " + slug, TimeZone: "Europe/Lisbon",
		StartsAt: start, EndsAt: start.Add(24 * time.Hour), Currency: hubtest.Currency,
	})
	if err != nil {
		t.Fatal(err)
	}
	var seats registrations.Seats
	for j, quota := range []int{5, 3, 8} {
		st, err := h.Conferences.AddSeatType(ctx, org, c.ID, conferences.SeatTypeDetails{
			Name: fmt.Sprintf("Seat type %d", j), Price: registrations.NewMoney(int64(1000*(j+1)), hubtest.Currency), Quota: quota,
		})
		if err != nil {
			t.Fatal(err)
		}
		seats = append(seats, registrations.SeatQuantity{SeatType: st.ID, Quantity: quota})
	}
	return c.ID, seats
}

// settledOrder waits until the order has left "pending" and returns it.
func settledOrder(t *testing.T, h *hubapp.Hub, orderID uuid.UUID) registrationsapp.OrderView {
	t.Helper()
	var o registrationsapp.OrderView
	hubtest.Eventually(t, 10*time.Second, "order settled", func() error {
		var err error
		if o, err = h.Registrations.GetOrder(context.Background(), orderID); err != nil {
			return err
		}
		if o.Status == registrations.OrderStatusPending {
			return fmt.Errorf("order %s is pending", orderID)
		}
		return nil
	})
	return o
}

// The seat type messages are the backstop of the organizer's own sync: an
// older one handled after a newer change never lowers the quota, even for
// a moment.
func TestAnOlderSeatTypeMessageNeverUndoesANewerQuota(t *testing.T) {
	ctx := context.Background()
	h, start := hubtest.OpenIdle(t, hubapp.Config{})
	org, err := h.Conferences.CreateOrganizer(ctx, conferences.NewOrganizer{Email: "stale@example.com", DisplayName: "Stale"})
	if err != nil {
		t.Fatal(err)
	}
	conf, seats := newConferenceWithSeatTypes(t, h, org.ID, "stale-messages")
	st := seats[0].SeatType
	list, err := h.Conferences.ListSeatTypes(ctx, org.ID, conf)
	if err != nil {
		t.Fatal(err)
	}
	d := list[0].SeatTypeDetails
	d.Quota = 40
	if _, err := h.Conferences.UpdateSeatType(ctx, org.ID, conf, st, d, h.Sold); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Conferences.Publish(ctx, org.ID, conf); err != nil {
		t.Fatal(err)
	}
	// Every quota is in place before any worker ran...
	hubtest.WaitForQuotas(t, h, conf, map[uuid.UUID]int{st: 40, seats[1].SeatType: seats[1].Quantity})
	head, err := h.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// ...and the queued messages (created with 5, updated to 40,
	// published) change nothing when they are handled.
	start()
	hubtest.Eventually(t, 10*time.Second, "conference messages handled", func() error {
		pending, err := h.Store.PendingMessages(ctx, time.Now().Add(time.Hour), 100)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return fmt.Errorf("%d messages pending", len(pending))
		}
		return nil
	})
	evs, err := h.Store.ReadStream(ctx, registrations.AvailabilityStreamID(conf), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Position > head {
			t.Fatalf("the queued messages appended %s to the inventory after the organizer's sync", e.Type)
		}
	}
}
