package conferences_test

import (
	"errors"
	"testing"
	"time"

	"conference/hub/conferences"
	"conference/shared/registrations"
)

func percentOff(code string, percent int) conferences.PromoCodeDetails {
	return conferences.PromoCodeDetails{Code: code, Kind: registrations.DiscountPercentage, Percent: percent}
}

func TestPromoCodeIsNormalizedToWhatRegistrantsType(t *testing.T) {
	d := conferences.PromoCodeDetails{Code: " early-bird ", Kind: "Amount", Percent: 10,
		Amount: registrations.NewMoney(500, "eur")}.Normalize()
	if d.Code != "EARLY-BIRD" || d.Kind != registrations.DiscountAmount || d.Percent != 0 || d.Amount.Currency != "EUR" {
		t.Fatalf("got %+v, want EARLY-BIRD, amount 5.00 EUR, percent cleared", d)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("got %v, want valid", err)
	}
	terms := d.Terms()
	if terms.Code != "EARLY-BIRD" || terms.Amount.Amount != 500 || terms.Validate() != nil {
		t.Fatalf("got terms %+v, want the same discount", terms)
	}
}

func TestPromoCodeValidationNamesTheField(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		in    conferences.PromoCodeDetails
		field string
	}{
		{"missing code", percentOff("", 10), "code"},
		{"short code", percentOff("AB", 10), "code"},
		{"code with space", percentOff("EARLY BIRD", 10), "code"},
		{"zero percent", percentOff("EARLY", 0), "percent"},
		{"over 100 percent", percentOff("EARLY", 101), "percent"},
		{"unknown kind", conferences.PromoCodeDetails{Code: "EARLY", Kind: "gift"}, "kind"},
		{"no amount", conferences.PromoCodeDetails{Code: "EARLY", Kind: registrations.DiscountAmount, Amount: registrations.NewMoney(0, "EUR")}, "amount.amount"},
		{"negative amount", conferences.PromoCodeDetails{Code: "EARLY", Kind: registrations.DiscountAmount, Amount: registrations.NewMoney(-5, "EUR")}, "amount.amount"},
		{"bad currency", conferences.PromoCodeDetails{Code: "EARLY", Kind: registrations.DiscountAmount, Amount: registrations.NewMoney(5, "EURO")}, "amount.currency"},
		{"negative uses", conferences.PromoCodeDetails{Code: "EARLY", Kind: registrations.DiscountPercentage, Percent: 5, MaxUses: -1}, "max_uses"},
		{"window ends before it starts", conferences.PromoCodeDetails{Code: "EARLY", Kind: registrations.DiscountPercentage, Percent: 5,
			ValidFrom: now, ValidUntil: now.Add(-time.Hour)}, "valid_until"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.Normalize().Validate()
			var ve *conferences.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, conferences.ErrInvalid) {
				t.Fatalf("got %v, want a *ValidationError", err)
			}
			if ve.Field != tc.field {
				t.Fatalf("got field %q (%v), want %q", ve.Field, err, tc.field)
			}
		})
	}
}

func TestFixedAmountPromoMustBeInTheConferenceCurrency(t *testing.T) {
	c := &conferences.Conference{ConferenceDetails: validDetails().Normalize()}
	d := conferences.PromoCodeDetails{Code: "TENOFF", Kind: registrations.DiscountAmount, Amount: registrations.NewMoney(1000, "USD")}.Normalize()
	var ve *conferences.ValidationError
	if err := d.ValidateFor(c); !errors.As(err, &ve) || ve.Field != "amount.currency" {
		t.Fatalf("got %v, want an amount.currency validation error", err)
	}
}
