package hubapp

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"conference/hub/conferences"
	confsqlite "conference/hub/conferences/sqlite"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

// Catalog is the registrations context's view of Conference Management:
// the prices of a published conference's seat types.
type Catalog struct {
	Conferences *confsqlite.Service
}

var _ registrationsapp.Catalog = (*Catalog)(nil)

// Offer implements registrationsapp.Catalog.
func (c *Catalog) Offer(ctx context.Context, conferenceID uuid.UUID) (registrationsapp.Offer, error) {
	seatTypes, err := c.Conferences.ListPublishedSeatTypes(ctx, conferenceID)
	if errors.Is(err, conferences.ErrNotFound) {
		return registrationsapp.Offer{}, registrationsapp.ErrConferenceNotFound
	}
	if err != nil {
		return registrationsapp.Offer{}, err
	}
	offer := registrationsapp.Offer{Prices: make([]registrations.SeatPrice, 0, len(seatTypes))}
	for _, st := range seatTypes {
		offer.Prices = append(offer.Prices, registrations.SeatPrice{SeatType: st.ID, Price: st.Price})
	}
	return offer, nil
}
