package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/registrations"
)

func TestAddingAPromoCodePublishesItsTerms(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	st := f.seatType(t, ann, c, "Full pass", 100)
	before := len(f.messages(t))
	until := time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
	p, err := f.svc.AddPromoCode(ctx, ann.ID, c.ID, conferences.PromoCodeDetails{
		Code: "speaker", Kind: registrations.DiscountAmount, Amount: registrations.NewMoney(10000, "EUR"),
		SeatType: st.ID, MaxUses: 20, ValidUntil: until,
	})
	if err != nil {
		t.Fatalf("add promo code: %v", err)
	}
	var e conferences.PromoCodeCreated
	onlyMessage(t, f.newMessages(t, before), conferences.TypePromoCodeCreated, &e)
	if e.Code != "SPEAKER" || e.PromoCodeID != p.ID || e.SeatType != st.ID || e.MaxUses != 20 || !e.ValidUntil.Equal(until) {
		t.Fatalf("got %+v, want SPEAKER for the full pass, 20 uses, until %v", e, until)
	}
	list, err := f.svc.ListPromoCodes(ctx, ann.ID, c.ID)
	if err != nil || len(list) != 1 || list[0].PromoCodeDetails != p.PromoCodeDetails {
		t.Fatalf("got %v, %v, want the added code", list, err)
	}
}

func TestPromoCodeRulesRefuseAndChangeNothing(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	other := f.conference(t, ann, "rustconf")
	foreign := f.seatType(t, ann, other, "Rust pass", 10)
	p, err := f.svc.AddPromoCode(ctx, ann.ID, c.ID, percentOff("EARLY", 10))
	if err != nil {
		t.Fatal(err)
	}
	before := len(f.messages(t))

	_, err = f.svc.AddPromoCode(ctx, ann.ID, c.ID, percentOff("early", 20))
	wantErr(t, err, conferences.ErrConflict)
	in := percentOff("LATE", 10)
	in.SeatType = foreign.ID
	_, err = f.svc.AddPromoCode(ctx, ann.ID, c.ID, in)
	wantField(t, err, "seat_type")
	_, err = f.svc.UpdatePromoCode(ctx, ann.ID, c.ID, p.ID, percentOff("RENAMED", 10))
	wantField(t, err, "code")
	_, err = f.svc.UpdatePromoCode(ctx, ann.ID, c.ID, p.ID, percentOff("EARLY", 0))
	wantField(t, err, "percent")
	_, err = f.svc.AddPromoCode(ctx, ann.ID, c.ID, conferences.PromoCodeDetails{Code: "USD", Kind: registrations.DiscountAmount,
		Amount: registrations.NewMoney(100, "USD")})
	wantField(t, err, "amount.currency")

	if got := f.newMessages(t, before); len(got) != 0 {
		t.Fatalf("got %d messages after refusals, want none", len(got))
	}
	if got := f.count(t, "promo_codes"); got != 1 {
		t.Fatalf("got %d promo codes, want 1", got)
	}
}

func TestPromoCodeUpdateAndRemovalPublish(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	p, err := f.svc.AddPromoCode(ctx, ann.ID, c.ID, percentOff("EARLY", 10))
	if err != nil {
		t.Fatal(err)
	}
	before := len(f.messages(t))
	in := percentOff("early", 25)
	in.MaxUses = 3
	got, err := f.svc.UpdatePromoCode(ctx, ann.ID, c.ID, p.ID, in)
	if err != nil || got.Percent != 25 || got.MaxUses != 3 {
		t.Fatalf("got %+v, %v, want 25%% with 3 uses", got, err)
	}
	var updated conferences.PromoCodeUpdated
	onlyMessage(t, f.newMessages(t, before), conferences.TypePromoCodeUpdated, &updated)
	if updated.Percent != 25 {
		t.Fatalf("got %+v, want 25%%", updated)
	}
	before = len(f.messages(t))
	if err := f.svc.RemovePromoCode(ctx, ann.ID, c.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	var removed conferences.PromoCodeRemoved
	onlyMessage(t, f.newMessages(t, before), conferences.TypePromoCodeRemoved, &removed)
	if removed.Code != "EARLY" || removed.PromoCodeID != p.ID {
		t.Fatalf("got %+v, want EARLY removed", removed)
	}
	wantErr(t, f.svc.RemovePromoCode(ctx, ann.ID, c.ID, p.ID), conferences.ErrNotFound)
}

func TestAnotherOrganizerCannotTouchPromoCodes(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann, bob := f.organizer(t, "ann@example.com"), f.organizer(t, "bob@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	bobs := f.conference(t, bob, "rustconf")
	p, err := f.svc.AddPromoCode(ctx, ann.ID, c.ID, percentOff("EARLY", 10))
	if err != nil {
		t.Fatal(err)
	}
	before := len(f.messages(t))
	_, err = f.svc.AddPromoCode(ctx, bob.ID, c.ID, percentOff("STOLEN", 90))
	wantErr(t, err, conferences.ErrNotFound)
	_, err = f.svc.UpdatePromoCode(ctx, bob.ID, c.ID, p.ID, percentOff("EARLY", 100))
	wantErr(t, err, conferences.ErrNotFound)
	// Through his own conference, ann's code is just as absent.
	_, err = f.svc.UpdatePromoCode(ctx, bob.ID, bobs.ID, p.ID, percentOff("EARLY", 100))
	wantErr(t, err, conferences.ErrNotFound)
	wantErr(t, f.svc.RemovePromoCode(ctx, bob.ID, bobs.ID, p.ID), conferences.ErrNotFound)
	_, err = f.svc.ListPromoCodes(ctx, bob.ID, c.ID)
	wantErr(t, err, conferences.ErrNotFound)
	if got := f.newMessages(t, before); len(got) != 0 {
		t.Fatalf("got %d messages, want none", len(got))
	}
}

func TestPublishedOfferingHasPricesPromoCodesAndTheWindow(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	in := details("gophercon-pt")
	in.ReservationWindow = 30 * time.Minute
	c, err := f.svc.CreateConference(ctx, ann.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	f.seatType(t, ann, c, "Full pass", 100)
	if _, err := f.svc.AddPromoCode(ctx, ann.ID, c.ID, percentOff("EARLY", 10)); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetPublishedOffering(ctx, c.ID)
	wantErr(t, err, conferences.ErrNotFound)
	if _, err := f.svc.Publish(ctx, ann.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	o, err := f.svc.GetPublishedOffering(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Conference.ReservationWindow != 30*time.Minute || len(o.SeatTypes) != 1 || len(o.PromoCodes) != 1 || o.PromoCodes[0].SeatType != uuid.Nil {
		t.Fatalf("got %+v, want the 30 minute window, one seat type and one order-wide code", o)
	}
}

func percentOff(code string, percent int) conferences.PromoCodeDetails {
	return conferences.PromoCodeDetails{Code: code, Kind: registrations.DiscountPercentage, Percent: percent}
}
