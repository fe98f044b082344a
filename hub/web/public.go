package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

func (s *site) home(c echo.Context) error {
	list, err := s.hub.Conferences.ListPublished(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "home", view{Title: "Conferences", Section: "home", Data: list})
}

// offerLine is a seat type as a registrant sees it.
type offerLine struct {
	ID          uuid.UUID
	Name        string
	Description string
	Price       registrations.Money
	Remaining   int
	// Held are the seats held for orders not paid yet: they come back to
	// sale if those orders lapse.
	Held  int
	Field string
}

// NoneLeft reports a seat type with nothing to order now.
func (l offerLine) NoneLeft() bool { return l.Remaining <= 0 }

// AllHeld reports a seat type whose last seats are held, not sold: they
// may come back.
func (l offerLine) AllHeld() bool { return l.NoneLeft() && l.Held > 0 }

// SoldOut reports a seat type with every seat sold.
func (l offerLine) SoldOut() bool { return l.NoneLeft() && l.Held == 0 }

// Max is the most one order may ask for in the quantity field: never more
// than are left.
func (l offerLine) Max() int { return min(l.Remaining, 50) }

// shortMessage tells a registrant who asked for more than is left what is
// left, next to the quantity they typed.
func (l offerLine) shortMessage() string {
	switch {
	case !l.NoneLeft():
		return fmt.Sprintf("Only %d left. Nothing was reserved: ask for %d or fewer.", l.Remaining, l.Remaining)
	case l.AllHeld():
		return "None left: every seat is held by an order awaiting payment, and may come back. Nothing was reserved."
	}
	return "Sold out. Nothing was reserved; choose another seat type."
}

type conferencePage struct {
	Conference *conferences.Conference
	Lines      []offerLine
	Form       *form
}

// NoneLeft reports a conference with no seat of any type to order now.
func (p conferencePage) NoneLeft() bool {
	for _, l := range p.Lines {
		if !l.NoneLeft() {
			return false
		}
	}
	return true
}

// SoldOut reports a conference with every seat of every type sold.
func (p conferencePage) SoldOut() bool {
	for _, l := range p.Lines {
		if !l.SoldOut() {
			return false
		}
	}
	return true
}

// refuseShort puts what is left next to each quantity that asked for more,
// showing the counts the refusal found.
func (p *conferencePage) refuseShort(f *form, e *registrations.SeatsUnavailableError) {
	for _, s := range e.Short {
		i := slices.IndexFunc(p.Lines, func(l offerLine) bool { return l.ID == s.SeatType })
		if i < 0 {
			f.Fail("seats", "A seat type you chose is not on sale. Nothing was reserved.")
			continue
		}
		p.Lines[i].Remaining, p.Lines[i].Held = s.Left, s.Held
		f.Fail(p.Lines[i].Field, p.Lines[i].shortMessage())
	}
}

// publishedConference finds a published conference by slug with its seat
// types and what remains of each.
func (s *site) publishedConference(ctx context.Context, slug string) (*conferencePage, error) {
	conf, err := s.hub.Conferences.GetPublishedBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	list, err := s.hub.Conferences.ListPublishedSeatTypes(ctx, conf.ID)
	if err != nil {
		return nil, err
	}
	av, err := s.availability(ctx, conf.ID)
	if err != nil {
		return nil, err
	}
	p := &conferencePage{Conference: conf}
	for _, st := range list {
		p.Lines = append(p.Lines, offerLine{
			ID: st.ID, Name: st.Name, Description: st.Description, Price: st.Price,
			Remaining: av.Remaining(st.ID), Held: av.ReservedCount(st.ID), Field: "qty_" + st.ID.String(),
		})
	}
	return p, nil
}

func (s *site) conferencePage(c echo.Context) error {
	p, err := s.publishedConference(c.Request().Context(), c.Param("slug"))
	if errors.Is(err, conferences.ErrNotFound) {
		return s.notFound(c)
	}
	if err != nil {
		return err
	}
	p.Form = newForm(nil)
	return s.render(c, http.StatusOK, "conference", view{Title: p.Conference.Name, Section: "home", Data: p})
}

func (s *site) placeOrder(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := s.publishedConference(ctx, c.Param("slug"))
	if errors.Is(err, conferences.ErrNotFound) {
		return s.notFound(c)
	}
	if err != nil {
		return err
	}
	f := newForm(formValues(c))
	p.Form = f
	var seats registrations.Seats
	for _, l := range p.Lines {
		v := strings.TrimSpace(f.Get(l.Field))
		if v == "" || v == "0" {
			continue
		}
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 0:
			f.Fail(l.Field, "Enter a whole number of seats.")
		case n > registrations.MaxSeatsPerLine:
			f.Fail(l.Field, "That is more seats than one order can hold.")
		default:
			seats = append(seats, registrations.SeatQuantity{SeatType: l.ID, Quantity: n})
		}
	}
	if f.OK() && len(seats) == 0 {
		f.Fail("seats", "Choose how many seats you want of at least one seat type.")
	}
	if !f.OK() {
		return s.render(c, http.StatusUnprocessableEntity, "conference", view{Title: p.Conference.Name, Section: "home", Data: p})
	}
	placed, err := s.hub.Registrations.PlaceOrder(ctx, p.Conference.ID, seats, strings.TrimSpace(f.Get("promo")), s.now())
	var short *registrations.SeatsUnavailableError
	if errors.As(err, &short) {
		p.refuseShort(f, short)
		return s.render(c, http.StatusUnprocessableEntity, "conference", view{Title: p.Conference.Name, Section: "home", Data: p})
	}
	if err != nil {
		if !orderError(f, err) {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, "conference", view{Title: p.Conference.Name, Section: "home", Data: p})
	}
	s.grant(c, placed.OrderID)
	return redirect(c, "/orders/"+placed.OrderID.String())
}

// orderError puts a refusal of the registrations context next to the field
// it concerns; false means an internal failure.
func orderError(f *form, err error) bool {
	switch {
	case errors.Is(err, registrations.ErrPromoUnknown):
		f.Fail("promo", "This promo code does not exist. Check the spelling, or leave the field empty.")
	case errors.Is(err, registrations.ErrPromoExpired):
		f.Fail("promo", "This promo code has expired.")
	case errors.Is(err, registrations.ErrPromoNotYetValid):
		f.Fail("promo", "This promo code is not valid yet.")
	case errors.Is(err, registrations.ErrPromoExhausted):
		f.Fail("promo", "This promo code has been used up.")
	case errors.Is(err, registrations.ErrPromoNotApplicable):
		f.Fail("promo", "This promo code is for a seat type you did not choose, so it would take nothing off. Add a seat of that type, or leave the field empty.")
	case errors.Is(err, registrationsapp.ErrConferenceNotFound):
		f.Fail("seats", "This conference is not on sale any more.")
	case registrations.ErrorCode(err) != "":
		var de *registrations.Error
		errors.As(err, &de)
		f.Fail("seats", capitalize(de.Message)+".")
	default:
		return false
	}
	return true
}

// orderFor returns the order named in the URL if this browser may open it;
// ok is false (and the not-found page drawn) otherwise.
func (s *site) orderFor(c echo.Context) (registrationsapp.OrderView, bool, error) {
	id, err := uuid.Parse(c.Param("oid"))
	if err != nil || !s.grants.has(c, id) {
		return registrationsapp.OrderView{}, false, s.notFound(c)
	}
	o, err := s.hub.Registrations.GetOrder(c.Request().Context(), id)
	if errors.Is(err, registrations.ErrOrderNotPlaced) {
		return o, false, s.notFound(c)
	}
	if err != nil {
		return o, false, err
	}
	return o, true, nil
}
