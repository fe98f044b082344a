package web

import (
	"errors"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

// The offer page is where the link of a waitlist offer mail leads:
// /c/{slug}/waitlist/offers/{entry id}. The entry id is the link's secret
// (random, mailed to the registrant only), so whoever holds the link may
// take the offer, and open the order it became, as the browser that
// placed an order may.

// offerPage is a waitlist offer as its registrant sees it.
type offerPage struct {
	Conference *conferences.Conference
	Offer      registrationsapp.WaitlistOffer
	// Line is the seat type offered; Total what the seats cost.
	Line  offerLine
	Total registrations.Money
	// Path is the page's own address, where its forms post.
	Path string
}

// Open, Taken and Passed say where the offer stands.
func (p offerPage) Open() bool   { return p.Offer.State == registrations.OfferOpen }
func (p offerPage) Taken() bool  { return p.Offer.State == registrations.OfferTaken }
func (p offerPage) Passed() bool { return p.Offer.State == registrations.OfferPassed }

// Declined reports an offer its registrant passed on themselves.
func (p offerPage) Declined() bool { return p.Offer.Status == registrations.WaitlistGone }

// waitlistOffer finds the offer the URL names; ok is false (and the
// not-found page drawn) for an unknown conference or entry, or an entry
// offered nothing.
func (s *site) waitlistOffer(c echo.Context) (*offerPage, bool, error) {
	ctx := c.Request().Context()
	conf, err := s.publishedConference(ctx, c.Param("slug"))
	if errors.Is(err, conferences.ErrNotFound) {
		return nil, false, s.offerNotFound(c)
	}
	if err != nil {
		return nil, false, err
	}
	id, err := uuid.Parse(c.Param("eid"))
	if err != nil {
		return nil, false, s.offerNotFound(c)
	}
	o, err := s.hub.Registrations.WaitlistOffer(ctx, conf.Conference.ID, id)
	if errors.Is(err, registrations.ErrWaitlistEntryNotFound) {
		return nil, false, s.offerNotFound(c)
	}
	if err != nil {
		return nil, false, err
	}
	p := &offerPage{Conference: conf.Conference, Offer: o, Line: offerLine{ID: o.SeatType, Name: "Seats"},
		Path: "/c/" + conf.Conference.Slug + "/waitlist/offers/" + id.String()}
	for _, l := range conf.Lines {
		if l.ID == o.SeatType {
			p.Line = l
		}
	}
	p.Total = p.Line.Price.Mul(o.OfferedSeats)
	return p, true, nil
}

func (s *site) offerForm(c echo.Context) error {
	p, ok, err := s.waitlistOffer(c)
	if !ok || err != nil {
		return err
	}
	return s.renderOffer(c, p)
}

// takeOffer turns the offer into an order held for the registrant, in the
// name and email they joined with, and opens it to pay. Taking an offer
// taken already opens the same order.
func (s *site) takeOffer(c echo.Context) error {
	p, ok, err := s.waitlistOffer(c)
	if !ok || err != nil {
		return err
	}
	if p.Passed() {
		return s.renderOffer(c, p)
	}
	placed, err := s.hub.Registrations.AcceptWaitlistOffer(c.Request().Context(), p.Conference.ID, p.Offer.EntryID)
	if errors.Is(err, registrations.ErrOfferExpired) || errors.Is(err, registrations.ErrNoOpenOffer) {
		// It passed between the page's look and the take.
		p.Offer.State = registrations.OfferPassed
		return s.renderOffer(c, p)
	}
	if err != nil {
		return err
	}
	s.grant(c, placed.OrderID)
	if p.Open() {
		s.flash.Set(c, "The seats are yours to pay for: they stay held while you do.")
	}
	return redirect(c, "/orders/"+placed.OrderID.String())
}

// declineOffer passes the offered seats on to the next in line at once.
func (s *site) declineOffer(c echo.Context) error {
	p, ok, err := s.waitlistOffer(c)
	if !ok || err != nil {
		return err
	}
	if !p.Open() {
		return s.renderOffer(c, p)
	}
	err = s.hub.Registrations.LeaveWaitlist(c.Request().Context(), p.Conference.ID, p.Offer.EntryID)
	if err != nil {
		return err
	}
	s.flash.Set(c, "You passed the seats on. Thank you: the next person in line is offered them now.")
	return redirect(c, "/c/"+p.Conference.Slug)
}

// renderOffer draws the offer as it stands: one that has passed answers
// 410 Gone, and changes nothing.
func (s *site) renderOffer(c echo.Context, p *offerPage) error {
	status := http.StatusOK
	if p.Passed() {
		status = http.StatusGone
	}
	return s.render(c, status, "waitlist_offer", view{Title: "Waitlist offer · " + p.Conference.Name, Section: "home", Data: p})
}

func (s *site) offerNotFound(c echo.Context) error {
	return s.render(c, http.StatusNotFound, "error", view{Title: "No such offer", Section: "home", Data: errorPage{
		Heading: "No such offer",
		Message: "This link does not lead to a waitlist offer. Check that it was copied whole from the offer mail.",
	}})
}
