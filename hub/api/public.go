package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"conference/hub/readmodels"
	"conference/shared/registrations"
)

// Public reads come from the read models: eventually consistent by a few
// milliseconds, and SeatTypes is served from memory, which is what lets
// the availability read keep up with a crowd refreshing a sale page.

func (a *api) handleListPublished(c echo.Context) error {
	limit, offset, err := listPage(c)
	if err != nil {
		return err
	}
	list, err := a.rm.PublishedConferences(c.Request().Context())
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = readmodels.DefaultLimit
	}
	list = list[min(offset, len(list)):]
	list = list[:min(limit, len(list))]
	out := make([]conferenceJSON, 0, len(list))
	for _, conf := range list {
		out = append(out, viewConferenceJSON(conf))
	}
	return c.JSON(http.StatusOK, map[string]any{"conferences": out})
}

func viewConferenceJSON(c readmodels.ConferenceView) conferenceJSON {
	return conferenceJSON{
		ID: c.ConferenceID, Slug: c.Slug, Name: c.Name, Tagline: c.Tagline, Description: c.Description,
		Venue: c.Venue, ContactEmail: c.ContactEmail, TimeZone: c.TimeZone, StartsAt: c.StartsAt.UTC(), EndsAt: c.EndsAt.UTC(),
		ReservationWindowMinutes: int(c.ReservationWindow / time.Minute), Currency: c.Currency, Published: c.Published,
	}
}

// publishedConferenceJSON is a conference on sale with what is left of
// each seat type.
type publishedConferenceJSON struct {
	conferenceJSON
	SeatTypes []seatTypeJSON `json:"seat_types"`
}

func (a *api) handleGetPublished(c echo.Context) error {
	ctx := c.Request().Context()
	conf, err := a.publishedConference(c)
	if err != nil {
		return err
	}
	seatTypes, err := a.rm.SeatTypes(ctx, conf.ConferenceID)
	if err != nil {
		return err
	}
	out := publishedConferenceJSON{conferenceJSON: viewConferenceJSON(conf), SeatTypes: make([]seatTypeJSON, 0, len(seatTypes))}
	for _, st := range seatTypes {
		if st.Name == "" {
			continue // counted by registrations, not yet described by Conference Management
		}
		out.SeatTypes = append(out.SeatTypes, seatTypeJSON{
			ID: st.SeatTypeID, Name: st.Name, Description: st.Description, Price: st.Price, Remaining: st.Remaining, Held: &st.Reserved,
		})
	}
	return c.JSON(http.StatusOK, out)
}

// publishedConference is the published conference named by the :slug path
// parameter; anything else (unknown, unpublished, malformed) is not found.
func (a *api) publishedConference(c echo.Context) (readmodels.ConferenceView, error) {
	slug := c.Param("slug")
	if len(slug) < 3 || len(slug) > 60 {
		return readmodels.ConferenceView{}, notFound("conference")
	}
	conf, err := a.slugs.get(c.Request().Context(), slug, a.rm.ConferenceBySlug)
	if err == nil && !conf.Published {
		return conf, notFound("conference")
	}
	return conf, err
}

// maxOrderLines bounds the seat lines of one order: more lines than a
// conference has seat types is a broken client.
const maxOrderLines = 50

// placeOrderInput is the body of POST /conferences/{slug}/orders.
type placeOrderInput struct {
	Seats     []seatLineInput `json:"seats"`
	PromoCode string          `json:"promo_code"`
}

type seatLineInput struct {
	SeatType ID  `json:"seat_type"`
	Quantity int `json:"quantity"`
}

// seats checks the request's shape; what is sellable is the domain's call.
func (in placeOrderInput) seats() (registrations.Seats, error) {
	if len(in.Seats) == 0 {
		return nil, invalid("seats", "at least one seat is required")
	}
	if len(in.Seats) > maxOrderLines {
		return nil, invalid("seats", "at most %d lines per order", maxOrderLines)
	}
	if len(in.PromoCode) > 64 {
		return nil, invalid("promo_code", "is too long")
	}
	out := make(registrations.Seats, 0, len(in.Seats))
	for i, l := range in.Seats {
		field := fmt.Sprintf("seats[%d].quantity", i)
		switch {
		case l.Quantity <= 0:
			return nil, invalid(field, "must be positive")
		case l.Quantity > registrations.MaxSeatsPerLine:
			return nil, invalid(field, "must be at most %d", registrations.MaxSeatsPerLine)
		}
		out = append(out, registrations.SeatQuantity{SeatType: [16]byte(l.SeatType), Quantity: l.Quantity})
	}
	return out, nil
}

// placedOrderJSON answers a placed order: where to follow it and the code
// that, with the order id or the registrant's email, reaches it later.
type placedOrderJSON struct {
	OrderID    string `json:"order_id"`
	AccessCode string `json:"access_code"`
	Status     string `json:"status"`
}

func (a *api) handlePlaceOrder(c echo.Context) error {
	ctx := c.Request().Context()
	conf, err := a.conferenceOnSale(c)
	if err != nil {
		return err
	}
	var in placeOrderInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	seats, err := in.seats()
	if err != nil {
		return err
	}
	placed, err := a.h.Registrations.PlaceOrder(ctx, conf.ID, seats, in.PromoCode, a.h.Now())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/orders/"+placed.OrderID.String())
	return c.JSON(http.StatusCreated, placedOrderJSON{
		OrderID: placed.OrderID.String(), AccessCode: placed.AccessCode, Status: string(registrations.OrderStatusPending),
	})
}
