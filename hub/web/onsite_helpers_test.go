package web

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/shared/eventsourcing"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// venue is what a web test sets up for the organizer's venue pages: a
// published conference owned by a signed-in browser, with a small
// "Workshop" seat type sold at kiosks and a roomy "Main hall".
type venue struct {
	org                *browser
	conf               uuid.UUID
	workshop, mainHall uuid.UUID
}

func (th *testHub) venue(t testing.TB, name, slug string) venue {
	t.Helper()
	v := venue{org: th.browser()}
	v.org.signUp("Venue Org "+slug, slug+"@example.com")
	v.conf = v.org.createConference(name, slug)
	v.org.addSeatType(v.conf, "Workshop", "0", "2")
	v.org.addSeatType(v.conf, "Main hall", "50", "10")
	v.org.Post(confURL(v.conf, "/publish"), nil).WantRedirect(t, confURL(v.conf, ""))
	sts := th.seatTypes(v.conf, th.conference(v.conf))
	v.workshop, v.mainHall = sts["Workshop"], sts["Main hall"]
	hubtest.WaitForQuotas(t, th.hub, v.conf, map[uuid.UUID]int{v.workshop: 2, v.mainHall: 10})
	return v
}

// confirmedOrder buys n free workshop seats as a registrant and returns
// the registrant's browser and the confirmed order.
func (th *testHub) confirmedOrder(t testing.TB, v venue, slug string, n int) (*browser, uuid.UUID) {
	t.Helper()
	reg := th.browser()
	id := orderID(t, reg.Post("/c/"+slug, url.Values{"qty_" + v.workshop.String(): {fmt.Sprint(n)}}))
	reg.waitStatus(id, registrations.OrderStatusReserved)
	reg.giveDetails(id, "Rita Registrant", "rita@example.com")
	reg.waitStatus(id, registrations.OrderStatusConfirmed)
	return reg, id
}

// recordOnSiteSale records what sync's merge records when a kiosk's
// walk-up sale reaches the hub: the order, then the sale applied to the
// conference's SeatsAvailability (a conflict when the quota cannot hold
// it). The domain's rules decide; the test only plays the merge.
func recordOnSiteSale(t testing.TB, h *hubapp.Hub, conferenceID, seatType uuid.UUID, kiosk, buyer string, n int) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	id := ids.New()
	orders := eventsourcing.NewRepository(h.Store, h.App.Events(), registrations.NewOrder)
	err := orders.Update(ctx, registrations.OrderStreamID(id), eventsourcing.Metadata{}, func(o *registrations.Order) error {
		return o.PlaceWalkUp(registrations.PlaceWalkUp{
			OrderID: id, ConferenceID: conferenceID, KioskID: kiosk, Seats: registrations.Seats{{SeatType: seatType, Quantity: n}},
			Pricing:    registrations.PricingInput{Prices: []registrations.SeatPrice{{SeatType: seatType, Price: registrations.NewMoney(2500, "EUR")}}},
			AccessCode: ids.NewAccessCode(), Name: buyer, Email: "walkup@example.com", Method: registrations.PaymentCash,
		}, time.Now())
	})
	if err != nil {
		t.Fatalf("walk-up order: %v", err)
	}
	avail := eventsourcing.NewRepository(h.Store, h.App.Events(), registrations.NewSeatsAvailability)
	err = avail.Update(ctx, registrations.AvailabilityStreamID(conferenceID), eventsourcing.Metadata{}, func(a *registrations.SeatsAvailability) error {
		return a.RecordOnSiteSale(kiosk, id, registrations.Seats{{SeatType: seatType, Quantity: n}})
	})
	if err != nil {
		t.Fatalf("on-site sale: %v", err)
	}
	return id
}

// recordDuplicateCheckIn records the warning sync's merge raises when two
// kiosks checked the same seat in.
func recordDuplicateCheckIn(t testing.TB, h *hubapp.Hub, conferenceID uuid.UUID, seat onsite.Seat, later, earlier string) {
	t.Helper()
	reg := eventsourcing.NewRegistry()
	registrations.RegisterEvents(reg)
	registrations.RegisterMergeEvents(reg)
	warnings := eventsourcing.NewRepository(h.Store, reg, registrations.NewCheckInWarnings)
	err := warnings.Update(context.Background(), registrations.CheckInWarningsStreamID(conferenceID), eventsourcing.Metadata{},
		func(w *registrations.CheckInWarnings) error {
			return w.RecordDuplicate(conferenceID, seat.String(),
				registrations.CheckInRef{EventID: ids.New(), KioskID: later}, registrations.CheckInRef{EventID: ids.New(), KioskID: earlier})
		})
	if err != nil {
		t.Fatalf("duplicate check-in: %v", err)
	}
}

// caughtUp waits until the read models reflect everything in the log.
func caughtUp(t testing.TB, h *hubapp.Hub) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	head, err := h.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Reads.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
}
