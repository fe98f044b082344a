package conferences

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/shared/registrations"
)

// MaxQuota bounds a seat type's quota; beyond it a typo is likelier than a
// stadium.
const MaxQuota = 1_000_000

// SeatType is one kind of seat a conference sells, with its price and quota.
type SeatType struct {
	ID           uuid.UUID
	ConferenceID uuid.UUID
	SeatTypeDetails
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SeatTypeDetails are the fields an organizer edits.
type SeatTypeDetails struct {
	Name        string
	Description string
	// Price is in integer minor units of the conference's currency.
	Price registrations.Money
	// Quota is how many seats exist in total (sold, reserved and free).
	Quota  int
	OnSite OnSitePolicy
}

// OnSitePolicy says how kiosks at the venue may sell the seat type.
type OnSitePolicy struct {
	// SellableAtKiosks lets kiosks sell walk-up seats of this type.
	SellableAtKiosks bool `json:"sellable_at_kiosks"`
	// SellPastAllocation lets a kiosk keep selling when its allocation is
	// used up while offline, accepting a possible quota conflict.
	SellPastAllocation bool `json:"sell_past_allocation"`
	// KioskAllocationSize is how many seats each kiosk leases at a time.
	KioskAllocationSize int `json:"kiosk_allocation_size"`
}

// Normalize trims text fields and upper-cases the currency.
func (d SeatTypeDetails) Normalize() SeatTypeDetails {
	d.Name = strings.TrimSpace(d.Name)
	d.Description = strings.TrimSpace(d.Description)
	d.Price.Currency = strings.ToUpper(strings.TrimSpace(d.Price.Currency))
	return d
}

// Validate checks normalized details on their own; the currency is checked
// against the conference with ValidateFor.
func (d SeatTypeDetails) Validate() error {
	if err := maxText("name", d.Name, 100, true); err != nil {
		return err
	}
	if err := maxText("description", d.Description, 2000, false); err != nil {
		return err
	}
	if d.Price.Amount < 0 {
		return invalid("price.amount", "must not be negative")
	}
	if !currencyPattern.MatchString(d.Price.Currency) {
		return invalid("price.currency", "must be a three-letter ISO 4217 code such as EUR")
	}
	if d.Quota < 0 || d.Quota > MaxQuota {
		return invalid("quota", "must be from 0 to %d", MaxQuota)
	}
	p := d.OnSite
	switch {
	case p.KioskAllocationSize < 0:
		return invalid("on_site.kiosk_allocation_size", "must not be negative")
	case p.KioskAllocationSize > d.Quota:
		return invalid("on_site.kiosk_allocation_size", "must not exceed the quota")
	case !p.SellableAtKiosks && p.KioskAllocationSize > 0:
		return invalid("on_site.kiosk_allocation_size", "must be 0 unless the seat type is sellable at kiosks")
	case !p.SellableAtKiosks && p.SellPastAllocation:
		return invalid("on_site.sell_past_allocation", "requires the seat type to be sellable at kiosks")
	}
	return nil
}

// ValidateFor checks normalized details for a seat type of c: valid on their
// own and priced in the conference's currency.
func (d SeatTypeDetails) ValidateFor(c *Conference) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if d.Price.Currency != c.Currency {
		return invalid("price.currency", "must be %s, the conference's currency", c.Currency)
	}
	return nil
}
