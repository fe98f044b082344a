package hubapp_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/hub/hubapp/hubtest"
	"conference/shared/registrations"
)

func TestPublishedSeatTypeGetsItsQuotaAndSellsThroughTheProcess(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)

	placed, err := h.Registrations.PlaceOrder(ctx, f.ConferenceID,
		registrations.Seats{{SeatType: f.Workshop, Quantity: 3}}, "", h.Now())
	if err != nil {
		t.Fatalf("place order: %v", err)
	}
	hubtest.WaitForOrder(t, h, placed.OrderID, registrations.OrderStatusReserved)
	o, err := h.Registrations.GetOrder(ctx, placed.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Reserved.Get(f.Workshop) != 3 || o.Quote.Total.Amount != 3*hubtest.WorkshopPrice {
		t.Fatalf("got %v reserved for %s, want 3 workshop seats for 147.00 EUR", o.Reserved, o.Quote.Total)
	}
	a, err := h.Registrations.Availability(ctx, f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Remaining(f.Workshop); got != hubtest.WorkshopQuota-3 {
		t.Fatalf("got %d workshop seats remaining, want %d", got, hubtest.WorkshopQuota-3)
	}
}

func TestQuotaRaisedFollowsAndLoweringBelowSeatsInUseIsRefused(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	placed, err := h.Registrations.PlaceOrder(ctx, f.ConferenceID,
		registrations.Seats{{SeatType: f.Workshop, Quantity: 4}}, "", h.Now())
	if err != nil {
		t.Fatalf("place order: %v", err)
	}
	hubtest.WaitForOrder(t, h, placed.OrderID, registrations.OrderStatusReserved)

	details := workshopDetails()
	details.Quota = 15
	if _, err := h.Conferences.UpdateSeatType(ctx, f.OrganizerID, f.ConferenceID, f.Workshop, details, h.Sold); err != nil {
		t.Fatalf("raise quota: %v", err)
	}
	hubtest.WaitForQuotas(t, h, f.ConferenceID, map[uuid.UUID]int{f.Workshop: 15})

	details.Quota = 3
	_, err = h.Conferences.UpdateSeatType(ctx, f.OrganizerID, f.ConferenceID, f.Workshop, details, h.Sold)
	if !errors.Is(err, conferences.ErrQuotaBelowSold) {
		t.Fatalf("got %v, want ErrQuotaBelowSold (4 seats reserved)", err)
	}
	details.Quota = 4
	if _, err := h.Conferences.UpdateSeatType(ctx, f.OrganizerID, f.ConferenceID, f.Workshop, details, h.Sold); err != nil {
		t.Fatalf("lower quota to the seats in use: %v", err)
	}
	hubtest.WaitForQuotas(t, h, f.ConferenceID, map[uuid.UUID]int{f.Workshop: 4})
	a, err := h.Registrations.Availability(ctx, f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Remaining(f.Workshop) != 0 {
		t.Fatalf("got %d remaining, want 0", a.Remaining(f.Workshop))
	}
}

func TestSeatTypeAddedAfterPublishingIsOnSale(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	st, err := h.Conferences.AddSeatType(ctx, f.OrganizerID, f.ConferenceID, conferences.SeatTypeDetails{
		Name: "Reception", Price: registrations.NewMoney(1500, "EUR"), Quota: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	hubtest.WaitForQuotas(t, h, f.ConferenceID, map[uuid.UUID]int{st.ID: 7})
	_, err = h.Registrations.PlaceOrder(ctx, f.ConferenceID, registrations.Seats{{SeatType: st.ID, Quantity: 9}}, "", h.Now())
	var short *registrations.SeatsUnavailableError
	if !errors.As(err, &short) || short.Short[0].Left != 7 {
		t.Fatalf("9 of 7 seats: got %v, want refused with 7 left", err)
	}
	placed, err := h.Registrations.PlaceOrder(ctx, f.ConferenceID, registrations.Seats{{SeatType: st.ID, Quantity: 7}}, "", h.Now())
	if err != nil {
		t.Fatal(err)
	}
	hubtest.WaitForOrder(t, h, placed.OrderID, registrations.OrderStatusReserved)
	o, _ := h.Registrations.GetOrder(ctx, placed.OrderID)
	if o.Partial || o.Reserved.Get(st.ID) != 7 {
		t.Fatalf("got %v reserved (partial %v), want the 7 seats there are", o.Reserved, o.Partial)
	}
}

func workshopDetails() conferences.SeatTypeDetails {
	return conferences.SeatTypeDetails{Name: "Workshop", Description: "Workshop seats",
		Price: registrations.NewMoney(hubtest.WorkshopPrice, "EUR"), Quota: hubtest.WorkshopQuota,
		OnSite: conferences.OnSitePolicy{SellableAtKiosks: true, SellPastAllocation: true, KioskAllocationSize: 2}}
}
