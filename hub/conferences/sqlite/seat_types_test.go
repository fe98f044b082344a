package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/registrations"
)

func soldOut(n int) conferences.SoldCounter {
	return conferences.SoldCounterFunc(func(context.Context, uuid.UUID, uuid.UUID) (int, error) { return n, nil })
}

func TestAddingASeatTypePublishesSeatTypeCreatedWithQuotaAndPrice(t *testing.T) {
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	before := len(f.messages(t))

	in := seatDetails("Full pass", 300)
	in.OnSite = conferences.OnSitePolicy{SellableAtKiosks: true, SellPastAllocation: true, KioskAllocationSize: 20}
	st, err := f.svc.AddSeatType(context.Background(), ann.ID, c.ID, in)
	if err != nil {
		t.Fatalf("add seat type: %v", err)
	}

	var e conferences.SeatTypeCreated
	onlyMessage(t, f.newMessages(t, before), conferences.TypeSeatTypeCreated, &e)
	want := conferences.SeatTypeInfo{ConferenceID: c.ID, SeatType: st.ID, Name: "Full pass", Description: "Access to every talk",
		Price: registrations.NewMoney(49900, "EUR"), Quota: 300, OnSite: in.OnSite}
	if e.SeatTypeInfo != want {
		t.Fatalf("got %+v, want %+v", e.SeatTypeInfo, want)
	}
	list, err := f.svc.ListSeatTypes(context.Background(), ann.ID, c.ID)
	if err != nil || len(list) != 1 || list[0].SeatTypeDetails != in {
		t.Fatalf("got %v, %v, want the added seat type", list, err)
	}
}

func TestRaisingAQuotaIsAlwaysAllowed(t *testing.T) {
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	st := f.seatType(t, ann, c, "Full pass", 100)
	before := len(f.messages(t))

	got, err := f.svc.UpdateSeatType(context.Background(), ann.ID, c.ID, st.ID, seatDetails("Full pass", 150), nil)
	if err != nil {
		t.Fatalf("raise quota: %v", err)
	}
	if got.Quota != 150 {
		t.Fatalf("got quota %d, want 150", got.Quota)
	}
	var e conferences.SeatTypeUpdated
	onlyMessage(t, f.newMessages(t, before), conferences.TypeSeatTypeUpdated, &e)
	if e.Quota != 150 || e.PreviousQuota != 100 || e.SeatType != st.ID || e.Price.Amount != 49900 {
		t.Fatalf("got %+v, want quota 100 -> 150 with the price", e)
	}
}

func TestQuotaCannotBeLoweredBelowSeatsSoldOrReserved(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	st := f.seatType(t, ann, c, "Full pass", 100)
	before := len(f.messages(t))

	_, err := f.svc.UpdateSeatType(ctx, ann.ID, c.ID, st.ID, seatDetails("Full pass", 59), soldOut(60))
	wantErr(t, err, conferences.ErrQuotaBelowSold)
	_, err = f.svc.UpdateSeatType(ctx, ann.ID, c.ID, st.ID, seatDetails("Full pass", 59), nil)
	wantField(t, err, "quota")
	if got := f.newMessages(t, before); len(got) != 0 {
		t.Fatalf("got %d messages after refusals, want none", len(got))
	}
	if list, _ := f.svc.ListSeatTypes(ctx, ann.ID, c.ID); list[0].Quota != 100 {
		t.Fatalf("got quota %d, want 100 unchanged", list[0].Quota)
	}

	got, err := f.svc.UpdateSeatType(ctx, ann.ID, c.ID, st.ID, seatDetails("Full pass", 60), soldOut(60))
	if err != nil || got.Quota != 60 {
		t.Fatalf("got %v, %v, want quota lowered to exactly the seats sold", got, err)
	}
	var e conferences.SeatTypeUpdated
	onlyMessage(t, f.newMessages(t, before), conferences.TypeSeatTypeUpdated, &e)
	if e.Quota != 60 || e.PreviousQuota != 100 {
		t.Fatalf("got %+v, want quota 100 -> 60", e)
	}
}

func TestSoldCounterFailureRefusesTheLowering(t *testing.T) {
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	st := f.seatType(t, ann, c, "Full pass", 100)
	boom := errors.New("read model unavailable")

	_, err := f.svc.UpdateSeatType(context.Background(), ann.ID, c.ID, st.ID, seatDetails("Full pass", 10),
		conferences.SoldCounterFunc(func(context.Context, uuid.UUID, uuid.UUID) (int, error) { return 0, boom }))
	wantErr(t, err, boom)
}

func TestInvalidSeatTypeNamesTheFieldAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	st := f.seatType(t, ann, c, "Full pass", 100)
	before := len(f.messages(t))

	in := seatDetails("Day pass", 10)
	in.Price = registrations.NewMoney(1000, "USD")
	_, err := f.svc.AddSeatType(ctx, ann.ID, c.ID, in)
	wantField(t, err, "price.currency")

	in = seatDetails("Full pass", -1)
	_, err = f.svc.UpdateSeatType(ctx, ann.ID, c.ID, st.ID, in, nil)
	wantField(t, err, "quota")

	_, err = f.svc.AddSeatType(ctx, ann.ID, c.ID, seatDetails("Full pass", 5))
	wantErr(t, err, conferences.ErrConflict)

	if got := f.count(t, "seat_types"); got != 1 {
		t.Fatalf("got %d seat types, want 1", got)
	}
	if got := f.newMessages(t, before); len(got) != 0 {
		t.Fatalf("got %d messages after refusals, want none", len(got))
	}
}

func TestConferenceCurrencyIsFixedOnceItHasSeatTypes(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")

	in := details("gophercon-pt")
	in.Currency = "USD"
	if _, err := f.svc.UpdateConference(ctx, ann.ID, c.ID, in); err != nil {
		t.Fatalf("change currency without seat types: %v", err)
	}
	in.Currency = "EUR"
	if _, err := f.svc.UpdateConference(ctx, ann.ID, c.ID, in); err != nil {
		t.Fatalf("change currency back: %v", err)
	}
	f.seatType(t, ann, c, "Full pass", 100)

	in.Currency = "GBP"
	_, err := f.svc.UpdateConference(ctx, ann.ID, c.ID, in)
	wantField(t, err, "currency")
}

func TestRegistrantsSeeSeatTypesOfPublishedConferencesOnly(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	f.seatType(t, ann, c, "Full pass", 100)

	_, err := f.svc.ListPublishedSeatTypes(ctx, c.ID)
	wantErr(t, err, conferences.ErrNotFound)

	if _, err := f.svc.Publish(ctx, ann.ID, c.ID); err != nil {
		t.Fatalf("publish: %v", err)
	}
	list, err := f.svc.ListPublishedSeatTypes(ctx, c.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("got %d, %v, want the one seat type", len(list), err)
	}
}
