package conferences

import (
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/shared/registrations"
)

// PromoCode is a discount an organizer offers for one conference. Its
// terms are registrations.PromoCode: the registrations context prices
// orders with them and counts the uses.
type PromoCode struct {
	ID           uuid.UUID
	ConferenceID uuid.UUID
	PromoCodeDetails
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PromoCodeDetails are the fields an organizer edits.
type PromoCodeDetails struct {
	// Code is what registrants type: 3-32 letters, digits, '-' or '_',
	// stored upper case and unique per conference. It cannot change once
	// created, since the uses are counted per code.
	Code        string
	Description string
	// Kind is registrations.DiscountPercentage (Percent, 1-100) or
	// registrations.DiscountAmount (Amount, in the conference's currency).
	Kind    registrations.DiscountKind
	Percent int
	Amount  registrations.Money
	// SeatType limits the discount to one of the conference's seat types;
	// uuid.Nil discounts the whole order.
	SeatType uuid.UUID
	// MaxUses is how many orders may use the code; 0 is unlimited.
	MaxUses int
	// ValidFrom and ValidUntil bound when the code is accepted; zero is
	// unbounded. ValidUntil is exclusive.
	ValidFrom  time.Time
	ValidUntil time.Time
}

// MaxPromoUses bounds MaxUses, like MaxQuota bounds a quota.
const MaxPromoUses = 1_000_000

var promoCodePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{2,31}$`)

// Normalize trims the text, upper-cases the code and the currency and
// stores the validity window in UTC at second precision. The fields the
// kind does not use are cleared.
func (d PromoCodeDetails) Normalize() PromoCodeDetails {
	d.Code = registrations.NormalizePromoCode(d.Code)
	d.Description = strings.TrimSpace(d.Description)
	d.Kind = registrations.DiscountKind(strings.ToLower(strings.TrimSpace(string(d.Kind))))
	d.Amount.Currency = strings.ToUpper(strings.TrimSpace(d.Amount.Currency))
	switch d.Kind {
	case registrations.DiscountPercentage:
		d.Amount = registrations.Money{}
	case registrations.DiscountAmount:
		d.Percent = 0
	}
	if !d.ValidFrom.IsZero() {
		d.ValidFrom = d.ValidFrom.UTC().Truncate(time.Second)
	}
	if !d.ValidUntil.IsZero() {
		d.ValidUntil = d.ValidUntil.UTC().Truncate(time.Second)
	}
	return d
}

// Validate checks normalized details on their own; ValidateFor adds the
// checks against the conference.
func (d PromoCodeDetails) Validate() error {
	if d.Code == "" {
		return invalid("code", "is required")
	}
	if !promoCodePattern.MatchString(d.Code) {
		return invalid("code", "must be 3 to 32 letters, digits, hyphens or underscores")
	}
	if err := maxText("description", d.Description, 500, false); err != nil {
		return err
	}
	switch d.Kind {
	case registrations.DiscountPercentage:
		if d.Percent < 1 || d.Percent > 100 {
			return invalid("percent", "must be from 1 to 100")
		}
	case registrations.DiscountAmount:
		if d.Amount.Amount <= 0 {
			return invalid("amount.amount", "must be positive")
		}
		if d.Amount.Amount > registrations.MaxUnitPrice {
			return invalid("amount.amount", "is too large")
		}
		if !currencyPattern.MatchString(d.Amount.Currency) {
			return invalid("amount.currency", "must be a three-letter ISO 4217 code such as EUR")
		}
	default:
		return invalid("kind", "must be %q or %q", registrations.DiscountPercentage, registrations.DiscountAmount)
	}
	if d.MaxUses < 0 || d.MaxUses > MaxPromoUses {
		return invalid("max_uses", "must be from 0 (unlimited) to %d", MaxPromoUses)
	}
	if !d.ValidFrom.IsZero() && !d.ValidUntil.IsZero() && !d.ValidUntil.After(d.ValidFrom) {
		return invalid("valid_until", "must be after valid_from")
	}
	// The registrations context's own rules are the last word.
	if err := d.Terms().Validate(); err != nil {
		return invalid("code", "%s", err.Error())
	}
	return nil
}

// ValidateFor checks normalized details for a promo code of c: valid on
// their own, and a fixed amount in the conference's currency. Whether
// SeatType is one of c's seat types is for the storage to check.
func (d PromoCodeDetails) ValidateFor(c *Conference) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if d.Kind == registrations.DiscountAmount && d.Amount.Currency != c.Currency {
		return invalid("amount.currency", "must be %s, the conference's currency", c.Currency)
	}
	return nil
}

// Terms are the details as the registrations context prices with them.
func (d PromoCodeDetails) Terms() registrations.PromoCode {
	return registrations.PromoCode{
		Code: d.Code, Kind: d.Kind, Percent: d.Percent, Amount: d.Amount, SeatType: d.SeatType,
		MaxUses: d.MaxUses, ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil,
	}
}

// Offering is everything a published conference sells, as the
// registrations context prices it.
type Offering struct {
	Conference *Conference
	SeatTypes  []*SeatType
	PromoCodes []*PromoCode
}
