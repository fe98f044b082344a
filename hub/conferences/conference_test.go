package conferences_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"conference/hub/conferences"
	"conference/shared/registrations"
)

func validDetails() conferences.ConferenceDetails {
	start := time.Date(2027, 5, 10, 9, 0, 0, 0, time.UTC)
	return conferences.ConferenceDetails{
		Slug: "gophercon-eu", Name: "GopherCon EU", TimeZone: "Europe/Berlin",
		StartsAt: start, EndsAt: start.Add(48 * time.Hour), Currency: "EUR",
	}
}

func TestConferenceDefaultsReservationWindowToFifteenMinutes(t *testing.T) {
	d := validDetails().Normalize()
	if got, want := d.ReservationWindow, 15*time.Minute; got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("got %v, want valid", err)
	}
}

func TestConferenceValidationNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*conferences.ConferenceDetails)
		field string
	}{
		{"short slug", func(d *conferences.ConferenceDetails) { d.Slug = "go" }, "slug"},
		{"slug with space", func(d *conferences.ConferenceDetails) { d.Slug = "go con" }, "slug"},
		{"slug with trailing hyphen", func(d *conferences.ConferenceDetails) { d.Slug = "gocon-" }, "slug"},
		{"missing name", func(d *conferences.ConferenceDetails) { d.Name = " " }, "name"},
		{"unknown zone", func(d *conferences.ConferenceDetails) { d.TimeZone = "Mars/Olympus" }, "time_zone"},
		{"end before start", func(d *conferences.ConferenceDetails) { d.EndsAt = d.StartsAt.Add(-time.Hour) }, "ends_at"},
		{"end equals start", func(d *conferences.ConferenceDetails) { d.EndsAt = d.StartsAt }, "ends_at"},
		{"window too long", func(d *conferences.ConferenceDetails) { d.ReservationWindow = 121 * time.Minute }, "reservation_window"},
		{"window too short", func(d *conferences.ConferenceDetails) { d.ReservationWindow = 30 * time.Second }, "reservation_window"},
		{"bad currency", func(d *conferences.ConferenceDetails) { d.Currency = "EURO" }, "currency"},
		{"bad contact", func(d *conferences.ConferenceDetails) { d.ContactEmail = "nobody" }, "contact_email"},
		{"contact without a dotted domain", func(d *conferences.ConferenceDetails) { d.ContactEmail = "ana@example" }, "contact_email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDetails()
			tc.edit(&d)
			err := d.Normalize().Validate()
			var ve *conferences.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, conferences.ErrInvalid) {
				t.Fatalf("got %v, want a *ValidationError matching ErrInvalid", err)
			}
			if ve.Field != tc.field {
				t.Fatalf("got field %q, want %q", ve.Field, tc.field)
			}
		})
	}
}

// problems are the joined validation errors of err.
func problems(err error) []*conferences.ValidationError {
	var out []*conferences.ValidationError
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			out = append(out, e.(*conferences.ValidationError))
		}
	}
	return out
}

func TestConferenceValidationReportsEveryFieldAtOnce(t *testing.T) {
	d := validDetails()
	d.Slug, d.Name, d.ContactEmail, d.Currency = "x", "", "ana@example", "euro"
	var fields []string
	for _, ve := range problems(d.Normalize().Validate()) {
		fields = append(fields, ve.Field)
	}
	if want := []string{"slug", "name", "contact_email", "currency"}; !slices.Equal(fields, want) {
		t.Fatalf("fields at fault = %v, want %v", fields, want)
	}
}

func TestOrganizerEmailFollowsTheOneEmailRule(t *testing.T) {
	for email, ok := range map[string]bool{"ana@example.com": true, "ana@example": false, "ana": false} {
		err := conferences.NewOrganizer{Email: email, DisplayName: "Ana"}.Normalize().Validate()
		var ve *conferences.ValidationError
		if ok != (err == nil) || (!ok && (!errors.As(err, &ve) || ve.Field != "email")) {
			t.Errorf("organizer email %q: %v", email, err)
		}
	}
	err := conferences.NewOrganizer{Email: "ana@example", DisplayName: ""}.Normalize().Validate()
	if n := len(problems(err)); n != 2 {
		t.Fatalf("%d problems reported for a bad email and no name (%v), want both", n, err)
	}
}

func TestSeatTypeMustBePricedInTheConferenceCurrency(t *testing.T) {
	c := &conferences.Conference{ConferenceDetails: validDetails().Normalize()}
	s := conferences.SeatTypeDetails{Name: "Full pass", Price: registrations.NewMoney(50000, "usd"), Quota: 100}.Normalize()
	var ve *conferences.ValidationError
	if err := s.ValidateFor(c); !errors.As(err, &ve) || ve.Field != "price.currency" {
		t.Fatalf("got %v, want a price.currency validation error", err)
	}
}

func TestSeatTypeKioskPolicyNeedsKioskSales(t *testing.T) {
	s := conferences.SeatTypeDetails{Name: "Day pass", Price: registrations.NewMoney(0, "EUR"), Quota: 10,
		OnSite: conferences.OnSitePolicy{SellPastAllocation: true}}
	var ve *conferences.ValidationError
	if err := s.Validate(); !errors.As(err, &ve) || ve.Field != "on_site.sell_past_allocation" {
		t.Fatalf("got %v, want an on_site.sell_past_allocation validation error", err)
	}
}

func TestAPITokenHashIsStableAndTokensAreUnique(t *testing.T) {
	tok1, hash1 := conferences.NewAPIToken()
	tok2, _ := conferences.NewAPIToken()
	if tok1 == tok2 {
		t.Fatal("got two equal tokens, want distinct")
	}
	if !conferences.WellFormedAPIToken(tok1) {
		t.Fatalf("got %q not well formed, want well formed", tok1)
	}
	if string(conferences.HashAPIToken(tok1)) != string(hash1) {
		t.Fatal("got a different hash for the same token, want the same")
	}
}
