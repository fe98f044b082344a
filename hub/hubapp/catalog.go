package hubapp

import (
	"context"
	"errors"
	"sync"

	"github.com/google/uuid"

	"conference/hub/conferences"
	confsqlite "conference/hub/conferences/sqlite"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

// Catalog is the registrations context's view of Conference Management:
// what a published conference sells (seat prices, promo codes) and how long
// it holds seats for an unpaid order. Offers are cached until the next
// change to Conference Management, since every order asks for one.
type Catalog struct {
	Conferences *confsqlite.Service

	mu     sync.RWMutex
	offers map[uuid.UUID]cachedOffer
}

type cachedOffer struct {
	version int64
	offer   registrationsapp.Offer
}

var _ registrationsapp.Catalog = (*Catalog)(nil)

// Offer implements registrationsapp.Catalog.
func (c *Catalog) Offer(ctx context.Context, conferenceID uuid.UUID) (registrationsapp.Offer, error) {
	version := c.Conferences.Version()
	c.mu.RLock()
	cached, ok := c.offers[conferenceID]
	c.mu.RUnlock()
	if ok && cached.version == version {
		return cached.offer, nil
	}
	o, err := c.Conferences.GetPublishedOffering(ctx, conferenceID)
	if errors.Is(err, conferences.ErrNotFound) {
		return registrationsapp.Offer{}, registrationsapp.ErrConferenceNotFound
	}
	if err != nil {
		return registrationsapp.Offer{}, err
	}
	offer := registrationsapp.Offer{
		Prices:            make([]registrations.SeatPrice, 0, len(o.SeatTypes)),
		PromoCodes:        make([]registrations.PromoCode, 0, len(o.PromoCodes)),
		ReservationWindow: o.Conference.ReservationWindow,
	}
	for _, st := range o.SeatTypes {
		offer.Prices = append(offer.Prices, registrations.SeatPrice{SeatType: st.ID, Price: st.Price})
	}
	for _, p := range o.PromoCodes {
		offer.PromoCodes = append(offer.PromoCodes, p.Terms())
	}
	c.mu.Lock()
	if c.offers == nil || len(c.offers) >= maxCachedOffers {
		c.offers = map[uuid.UUID]cachedOffer{}
	}
	c.offers[conferenceID] = cachedOffer{version: version, offer: offer}
	c.mu.Unlock()
	return offer, nil
}

// maxCachedOffers bounds the cache; past it, it starts over.
const maxCachedOffers = 1000
