package conferences

import (
	"time"

	"github.com/google/uuid"

	"conference/shared/registrations"
)

// Event is an integration event this context publishes through the outbox.
// Type is the message type, e.g. "conferences.SeatTypeCreated"; the payload
// is the struct itself, encoded as JSON.
type Event interface {
	EventType() string
}

// Integration event types.
const (
	TypeConferenceCreated     = "conferences.ConferenceCreated"
	TypeConferenceUpdated     = "conferences.ConferenceUpdated"
	TypeConferencePublished   = "conferences.ConferencePublished"
	TypeConferenceUnpublished = "conferences.ConferenceUnpublished"
	TypeSeatTypeCreated       = "conferences.SeatTypeCreated"
	TypeSeatTypeUpdated       = "conferences.SeatTypeUpdated"
	TypePromoCodeCreated      = "conferences.PromoCodeCreated"
	TypePromoCodeUpdated      = "conferences.PromoCodeUpdated"
	TypePromoCodeRemoved      = "conferences.PromoCodeRemoved"
)

// ConferenceInfo is the state of a conference carried by the created and
// updated events: consumers keep their copy by replacing it wholesale.
type ConferenceInfo struct {
	ConferenceID             uuid.UUID `json:"conference_id"`
	OrganizerID              uuid.UUID `json:"organizer_id"`
	Slug                     string    `json:"slug"`
	Name                     string    `json:"name"`
	Tagline                  string    `json:"tagline"`
	Description              string    `json:"description"`
	Venue                    string    `json:"venue"`
	ContactEmail             string    `json:"contact_email"`
	TimeZone                 string    `json:"time_zone"`
	StartsAt                 time.Time `json:"starts_at"`
	EndsAt                   time.Time `json:"ends_at"`
	ReservationWindowMinutes int       `json:"reservation_window_minutes"`
	Currency                 string    `json:"currency"`
	Published                bool      `json:"published"`
}

// Info is c as carried by ConferenceCreated and ConferenceUpdated.
func (c *Conference) Info() ConferenceInfo {
	return ConferenceInfo{
		ConferenceID: c.ID, OrganizerID: c.OrganizerID,
		Slug: c.Slug, Name: c.Name, Tagline: c.Tagline, Description: c.Description,
		Venue: c.Venue, ContactEmail: c.ContactEmail, TimeZone: c.TimeZone,
		StartsAt: c.StartsAt, EndsAt: c.EndsAt,
		ReservationWindowMinutes: int(c.ReservationWindow / time.Minute),
		Currency:                 c.Currency, Published: c.Published,
	}
}

// ConferenceCreated is published when an organizer creates a conference.
type ConferenceCreated struct {
	ConferenceInfo
}

// ConferenceUpdated is published when a conference's details change.
type ConferenceUpdated struct {
	ConferenceInfo
}

// ConferencePublished is published when a conference opens to registrants.
type ConferencePublished struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	Slug         string    `json:"slug"`
}

// ConferenceUnpublished is published when a conference is hidden again.
type ConferenceUnpublished struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	Slug         string    `json:"slug"`
}

// SeatTypeInfo is the state of a seat type carried by its events. Field
// names match registrations.SeatTypeAdded (conference_id, seat_type, quota).
type SeatTypeInfo struct {
	ConferenceID uuid.UUID           `json:"conference_id"`
	SeatType     uuid.UUID           `json:"seat_type"`
	Name         string              `json:"name"`
	Description  string              `json:"description"`
	Price        registrations.Money `json:"price"`
	Quota        int                 `json:"quota"`
	OnSite       OnSitePolicy        `json:"on_site"`
}

// Info is s as carried by SeatTypeCreated and SeatTypeUpdated.
func (s *SeatType) Info() SeatTypeInfo {
	return SeatTypeInfo{
		ConferenceID: s.ConferenceID, SeatType: s.ID,
		Name: s.Name, Description: s.Description,
		Price: s.Price, Quota: s.Quota, OnSite: s.OnSite,
	}
}

// SeatTypeCreated is published when a seat type is added; the consumer adds
// it to SeatsAvailability with Quota.
type SeatTypeCreated struct {
	SeatTypeInfo
}

// SeatTypeUpdated is published when a seat type changes. PreviousQuota lets
// the consumer raise or lower availability by Quota-PreviousQuota.
type SeatTypeUpdated struct {
	SeatTypeInfo
	PreviousQuota int `json:"previous_quota"`
}

// EventType implements Event.
func (ConferenceCreated) EventType() string { return TypeConferenceCreated }

// EventType implements Event.
func (ConferenceUpdated) EventType() string { return TypeConferenceUpdated }

// EventType implements Event.
func (ConferencePublished) EventType() string { return TypeConferencePublished }

// EventType implements Event.
func (ConferenceUnpublished) EventType() string { return TypeConferenceUnpublished }

// EventType implements Event.
func (SeatTypeCreated) EventType() string { return TypeSeatTypeCreated }

// EventType implements Event.
func (SeatTypeUpdated) EventType() string { return TypeSeatTypeUpdated }

// PromoCodeInfo is the state of a promo code carried by its events.
type PromoCodeInfo struct {
	ConferenceID uuid.UUID                  `json:"conference_id"`
	PromoCodeID  uuid.UUID                  `json:"promo_code_id"`
	Code         string                     `json:"code"`
	Description  string                     `json:"description"`
	Kind         registrations.DiscountKind `json:"kind"`
	Percent      int                        `json:"percent,omitempty"`
	Amount       registrations.Money        `json:"amount"`
	// SeatType is uuid.Nil for a discount on the whole order.
	SeatType   uuid.UUID `json:"seat_type"`
	MaxUses    int       `json:"max_uses"`
	ValidFrom  time.Time `json:"valid_from"`
	ValidUntil time.Time `json:"valid_until"`
}

// Info is p as carried by PromoCodeCreated and PromoCodeUpdated.
func (p *PromoCode) Info() PromoCodeInfo {
	return PromoCodeInfo{
		ConferenceID: p.ConferenceID, PromoCodeID: p.ID, Code: p.Code, Description: p.Description,
		Kind: p.Kind, Percent: p.Percent, Amount: p.Amount, SeatType: p.SeatType,
		MaxUses: p.MaxUses, ValidFrom: p.ValidFrom, ValidUntil: p.ValidUntil,
	}
}

// PromoCodeCreated is published when an organizer adds a promo code.
type PromoCodeCreated struct {
	PromoCodeInfo
}

// PromoCodeUpdated is published when a promo code's terms change.
type PromoCodeUpdated struct {
	PromoCodeInfo
}

// PromoCodeRemoved is published when a promo code is withdrawn. Orders
// placed with it keep their discount.
type PromoCodeRemoved struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	PromoCodeID  uuid.UUID `json:"promo_code_id"`
	Code         string    `json:"code"`
}

// EventType implements Event.
func (PromoCodeCreated) EventType() string { return TypePromoCodeCreated }

// EventType implements Event.
func (PromoCodeUpdated) EventType() string { return TypePromoCodeUpdated }

// EventType implements Event.
func (PromoCodeRemoved) EventType() string { return TypePromoCodeRemoved }
