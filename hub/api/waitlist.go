package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

// The waitlist for registrants: joining the line for a seat type with
// none left, and the offer made when seats come back. An offer is named by
// its waitlist entry's id, the secret of the link mailed to the
// registrant: joining never answers it, so only the mail (and the
// conference's organizer) knows it, and whoever holds it may take the
// offer. The organizer's list of entries is in attendance.go.

// joinWaitlistInput is the body of POST /conferences/{slug}/waitlist.
type joinWaitlistInput struct {
	SeatType ID     `json:"seat_type"`
	Quantity int    `json:"quantity"`
	Name     string `json:"name"`
	Email    string `json:"email"`
}

// check refuses a body of the wrong shape; the name and email are the
// domain's to judge.
func (in joinWaitlistInput) check() error {
	switch {
	case uuid.UUID(in.SeatType) == uuid.Nil:
		return invalid("seat_type", "is required")
	case in.Quantity <= 0:
		return invalid("quantity", "must be positive")
	case in.Quantity > registrations.MaxSeatsPerLine:
		return invalid("quantity", "must be at most %d", registrations.MaxSeatsPerLine)
	}
	return nil
}

// waitlistJoinedJSON answers a join: what is waited for, and how long an
// offer will hold its seats.
type waitlistJoinedJSON struct {
	SeatType           uuid.UUID `json:"seat_type"`
	Quantity           int       `json:"quantity"`
	Status             string    `json:"status"`
	OfferWindowMinutes int       `json:"offer_window_minutes"`
}

func (a *api) handleJoinWaitlist(c echo.Context) error {
	conf, err := a.conferenceOnSale(c)
	if err != nil {
		return err
	}
	var in joinWaitlistInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := in.check(); err != nil {
		return err
	}
	seatType := uuid.UUID(in.SeatType)
	_, err = a.h.Registrations.JoinWaitlist(c.Request().Context(), conf.ID, seatType, in.Quantity, in.Name, in.Email)
	switch {
	case errors.Is(err, registrations.ErrUnknownSeatType):
		return apiErr(http.StatusUnprocessableEntity, CodeSeatTypeNotPriced, "seat_type", "the conference sells no such seat type")
	case err != nil:
		return err
	}
	return c.JSON(http.StatusCreated, waitlistJoinedJSON{
		SeatType: seatType, Quantity: in.Quantity, Status: string(registrations.WaitlistWaiting),
		OfferWindowMinutes: int(a.h.Registrations.WaitlistOfferWindow() / time.Minute),
	})
}

// waitlistOfferJSON is an offer as its registrant sees it.
type waitlistOfferJSON struct {
	SeatType     uuid.UUID                `json:"seat_type"`
	SeatTypeName string                   `json:"seat_type_name"`
	Quantity     int                      `json:"quantity"`
	Requested    int                      `json:"requested"`
	Name         string                   `json:"name"`
	Email        string                   `json:"email"`
	State        registrations.OfferState `json:"state"`
	ExpiresAt    time.Time                `json:"expires_at"`
	// OrderID is the order a taken offer became.
	OrderID *uuid.UUID `json:"order_id"`
}

// waitlistOffer is the offer the path names, with its conference.
func (a *api) waitlistOffer(c echo.Context) (*conferences.Conference, registrationsapp.WaitlistOffer, error) {
	conf, err := a.conferenceOnSale(c)
	if err != nil {
		return nil, registrationsapp.WaitlistOffer{}, err
	}
	id, err := pathID(c, "entryID", "offer")
	if err != nil {
		return nil, registrationsapp.WaitlistOffer{}, err
	}
	o, err := a.h.Registrations.WaitlistOffer(c.Request().Context(), conf.ID, id)
	if errors.Is(err, registrations.ErrWaitlistEntryNotFound) {
		return nil, o, notFound("offer")
	}
	return conf, o, err
}

func (a *api) answerOffer(c echo.Context, conf *conferences.Conference, o registrationsapp.WaitlistOffer) error {
	out := waitlistOfferJSON{
		SeatType: o.SeatType, Quantity: o.OfferedSeats, Requested: o.Quantity, Name: o.Name, Email: o.Email,
		State: o.State, ExpiresAt: o.OfferExpiresAt.UTC(),
	}
	if o.State == registrations.OfferTaken {
		out.OrderID = &o.EntryID
	}
	if sts, err := a.rm.SeatTypes(c.Request().Context(), conf.ID); err == nil {
		for _, st := range sts {
			if st.SeatTypeID == o.SeatType {
				out.SeatTypeName = st.Name
			}
		}
	}
	return c.JSON(http.StatusOK, out)
}

func (a *api) handleGetWaitlistOffer(c echo.Context) error {
	conf, o, err := a.waitlistOffer(c)
	if err != nil {
		return err
	}
	return a.answerOffer(c, conf, o)
}

// handleTakeWaitlistOffer turns an open offer into an order held for the
// registrant, in the name and email they joined with: 201 with the order
// and its access code. An offer taken already answers the same order (200).
func (a *api) handleTakeWaitlistOffer(c echo.Context) error {
	if err := noBody(c); err != nil {
		return err
	}
	conf, o, err := a.waitlistOffer(c)
	if err != nil {
		return err
	}
	if o.State == registrations.OfferPassed {
		return offerPassed()
	}
	ctx := c.Request().Context()
	placed, err := a.h.Registrations.AcceptWaitlistOffer(ctx, conf.ID, o.EntryID)
	if err != nil {
		return err
	}
	view, err := a.h.Registrations.GetOrder(ctx, placed.OrderID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if o.State == registrations.OfferOpen {
		status = http.StatusCreated
		c.Response().Header().Set(echo.HeaderLocation, Prefix+"/orders/"+placed.OrderID.String())
	}
	return c.JSON(status, placedOrderJSON{OrderID: placed.OrderID.String(), AccessCode: placed.AccessCode, Status: string(view.Status)})
}

// handleDeclineWaitlistOffer passes an open offer's seats on to the next in
// line at once. Declining again answers the same.
func (a *api) handleDeclineWaitlistOffer(c echo.Context) error {
	if err := noBody(c); err != nil {
		return err
	}
	conf, o, err := a.waitlistOffer(c)
	if err != nil {
		return err
	}
	switch {
	case o.State == registrations.OfferTaken:
		return apiErr(http.StatusConflict, CodeOfferTaken, "", "the offer was taken: cancel its order instead")
	case o.State == registrations.OfferPassed && o.Status != registrations.WaitlistGone:
		return offerPassed()
	case o.State == registrations.OfferOpen:
		if err := a.h.Registrations.LeaveWaitlist(c.Request().Context(), conf.ID, o.EntryID); err != nil {
			return err
		}
		if o, err = a.h.Registrations.WaitlistOffer(c.Request().Context(), conf.ID, o.EntryID); err != nil {
			return err
		}
	}
	return a.answerOffer(c, conf, o)
}

func offerPassed() *Error {
	return apiErr(http.StatusGone, CodeOfferPassed, "", "the offer has passed: it was not taken in time or was declined, and its seats went on")
}

// conferenceOnSale is the published conference the :slug path parameter
// names, asked of Conference Management itself, not the read model, so a
// write works the moment a conference is published.
func (a *api) conferenceOnSale(c echo.Context) (*conferences.Conference, error) {
	slug := c.Param("slug")
	if len(slug) < 3 || len(slug) > 60 {
		return nil, notFound("conference")
	}
	return a.h.Conferences.GetPublishedBySlug(c.Request().Context(), slug)
}
