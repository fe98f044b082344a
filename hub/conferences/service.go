package conferences

import (
	"context"

	"github.com/google/uuid"
)

// SoldCounter reports how many seats of a seat type are sold or reserved, so
// a quota is never lowered below them. The registrations context implements
// it from its availability read model.
type SoldCounter interface {
	SeatsSold(ctx context.Context, conferenceID, seatTypeID uuid.UUID) (int, error)
}

// SoldCounterFunc adapts a function to SoldCounter.
type SoldCounterFunc func(ctx context.Context, conferenceID, seatTypeID uuid.UUID) (int, error)

// SeatsSold calls f.
func (f SoldCounterFunc) SeatsSold(ctx context.Context, conferenceID, seatTypeID uuid.UUID) (int, error) {
	return f(ctx, conferenceID, seatTypeID)
}

// Inventory is where registrants' seats are reserved: the registrations
// context's SeatsAvailability. A conference is on sale only once the
// inventory holds every seat type's quota, so Service brings the quotas
// there itself: before publishing, and after a seat type is added or
// changed. The integration events stay the at-least-once backstop for a
// sync that failed.
type Inventory interface {
	// SyncQuotas brings the inventory's quotas of the conference to the
	// ones Conference Management holds at the time of the sync.
	SyncQuotas(ctx context.Context, conferenceID uuid.UUID) error
}

// Service manages organizers, conferences and seat types.
//
// Every method that takes an organizerID acts for that tenant only: another
// tenant's conference is reported as ErrNotFound. Every change publishes its
// integration event atomically with the change; a refused change (invalid,
// conflicting, not found) changes nothing and publishes nothing.
type Service interface {
	// CreateOrganizer opens an account; ErrConflict if the email is taken.
	CreateOrganizer(ctx context.Context, in NewOrganizer) (*Organizer, error)
	// IssueAPIToken returns a new token for the JSON API, shown only now:
	// only its hash is stored. It is CreateAPIToken with a default name.
	IssueAPIToken(ctx context.Context, organizerID uuid.UUID) (string, error)
	// CreateAPIToken makes a named token for the organizer and returns it
	// with the token itself, shown only now: only its hash is stored.
	CreateAPIToken(ctx context.Context, organizerID uuid.UUID, name string) (*APIToken, string, error)
	// ListAPITokens returns the organizer's tokens, revoked ones included,
	// newest first.
	ListAPITokens(ctx context.Context, organizerID uuid.UUID) ([]*APIToken, error)
	// RevokeAPIToken stops one of the organizer's tokens authenticating;
	// revoking a revoked token changes nothing. Another organizer's token
	// is ErrNotFound.
	RevokeAPIToken(ctx context.Context, organizerID, tokenID uuid.UUID) (*APIToken, error)
	// Authenticate returns the organizer a valid token was issued to, or
	// ErrUnauthorized (unknown or revoked), and notes when the token was
	// used (at most once per LastUsedResolution).
	Authenticate(ctx context.Context, token string) (*Organizer, error)
	// GetOrganizerByEmail returns the organizer with the email (any case);
	// ErrNotFound if there is none.
	GetOrganizerByEmail(ctx context.Context, email string) (*Organizer, error)
	// CountOrganizers is how many organizer accounts exist.
	CountOrganizers(ctx context.Context) (int, error)

	// CreateConference creates an unpublished conference owned by organizerID.
	CreateConference(ctx context.Context, organizerID uuid.UUID, in ConferenceDetails) (*Conference, error)
	// UpdateConference replaces the conference's details.
	UpdateConference(ctx context.Context, organizerID, conferenceID uuid.UUID, in ConferenceDetails) (*Conference, error)
	// Publish makes the conference visible to registrants, once the
	// Inventory holds every seat type's quota; publishing a published
	// conference changes nothing.
	Publish(ctx context.Context, organizerID, conferenceID uuid.UUID) (*Conference, error)
	// Unpublish hides the conference again; likewise idempotent.
	Unpublish(ctx context.Context, organizerID, conferenceID uuid.UUID) (*Conference, error)
	// GetConference returns one of the organizer's conferences.
	GetConference(ctx context.Context, organizerID, conferenceID uuid.UUID) (*Conference, error)
	// ListConferences returns the organizer's conferences, soonest first.
	ListConferences(ctx context.Context, organizerID uuid.UUID) ([]*Conference, error)
	// ListPublished returns every published conference, soonest first.
	ListPublished(ctx context.Context) ([]*Conference, error)
	// GetPublishedBySlug returns a published conference; ErrNotFound for an
	// unknown or unpublished slug.
	GetPublishedBySlug(ctx context.Context, slug string) (*Conference, error)

	// AddSeatType adds a seat type to one of the organizer's conferences.
	AddSeatType(ctx context.Context, organizerID, conferenceID uuid.UUID, in SeatTypeDetails) (*SeatType, error)
	// UpdateSeatType replaces a seat type's details. Raising the quota is
	// always allowed; lowering it asks sold and fails with
	// ErrQuotaBelowSold if the new quota would be below the seats sold or
	// reserved. sold may be nil when the quota is not lowered.
	UpdateSeatType(ctx context.Context, organizerID, conferenceID, seatTypeID uuid.UUID, in SeatTypeDetails, sold SoldCounter) (*SeatType, error)
	// ListSeatTypes returns the seat types of one of the organizer's
	// conferences, in creation order.
	ListSeatTypes(ctx context.Context, organizerID, conferenceID uuid.UUID) ([]*SeatType, error)
	// ListPublishedSeatTypes returns the seat types of a published
	// conference, for registrants; ErrNotFound if it is not published.
	ListPublishedSeatTypes(ctx context.Context, conferenceID uuid.UUID) ([]*SeatType, error)

	// AddPromoCode adds a promo code to one of the organizer's conferences;
	// ErrConflict if the conference has the code already.
	AddPromoCode(ctx context.Context, organizerID, conferenceID uuid.UUID, in PromoCodeDetails) (*PromoCode, error)
	// UpdatePromoCode replaces a promo code's terms; the code itself cannot
	// change.
	UpdatePromoCode(ctx context.Context, organizerID, conferenceID, promoCodeID uuid.UUID, in PromoCodeDetails) (*PromoCode, error)
	// RemovePromoCode withdraws a promo code; orders placed with it keep
	// their discount.
	RemovePromoCode(ctx context.Context, organizerID, conferenceID, promoCodeID uuid.UUID) error
	// ListPromoCodes returns the promo codes of one of the organizer's
	// conferences, by code.
	ListPromoCodes(ctx context.Context, organizerID, conferenceID uuid.UUID) ([]*PromoCode, error)
	// GetPublishedOffering returns what a published conference sells, for
	// pricing orders; ErrNotFound if it is not published.
	GetPublishedOffering(ctx context.Context, conferenceID uuid.UUID) (*Offering, error)
}
