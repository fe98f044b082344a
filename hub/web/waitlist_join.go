package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

// waitlistPage is the form that puts a registrant in line for a seat type
// with none left, and the confirmation after joining; when seats come back
// the waitlist offers them in turn.
type waitlistPage struct {
	Conference *conferences.Conference
	Line       offerLine
	Form       *form
	// Joined is what the confirmation says was joined; Window how long an
	// offer holds its seats, in words.
	Joined string
	Window string
}

// maxWaitlistSeats bounds the seats one registrant waits for on the form.
const maxWaitlistSeats = 50

// waitlistLine finds the published conference and the seat type the URL
// names; ok is false (and the not-found page drawn) for anything else.
func (s *site) waitlistLine(c echo.Context) (page *waitlistPage, ok bool, err error) {
	conf, err := s.publishedConference(c.Request().Context(), c.Param("slug"))
	if errors.Is(err, conferences.ErrNotFound) {
		return nil, false, s.notFound(c)
	}
	if err != nil {
		return nil, false, err
	}
	id, err := uuid.Parse(c.Param("sid"))
	if err != nil {
		return nil, false, s.notFound(c)
	}
	for _, l := range conf.Lines {
		if l.ID == id {
			return &waitlistPage{Conference: conf.Conference, Line: l, Window: inWords(s.hub.Registrations.WaitlistOfferWindow())}, true, nil
		}
	}
	return nil, false, s.notFound(c)
}

// waitlistOpenLine is waitlistLine for the form: a seat type with seats
// left sends the registrant back to order them.
func (s *site) waitlistOpenLine(c echo.Context) (page *waitlistPage, ok bool, err error) {
	p, ok, err := s.waitlistLine(c)
	if ok && !p.Line.NoneLeft() {
		return nil, false, s.backToSale(c, p)
	}
	return p, ok, err
}

func (s *site) backToSale(c echo.Context, p *waitlistPage) error {
	s.flash.Set(c, fmt.Sprintf("%s has seats left: order them here.", p.Line.Name))
	return redirect(c, "/c/"+p.Conference.Slug)
}

func (s *site) waitlistForm(c echo.Context) error {
	p, ok, err := s.waitlistOpenLine(c)
	if !ok || err != nil {
		return err
	}
	p.Form = newForm(url.Values{"quantity": {"1"}})
	return s.renderWaitlist(c, http.StatusOK, p)
}

// waitlistHints say what an empty field of the join form is for.
var waitlistHints = map[string]string{
	"name":  "Enter your name.",
	"email": "Enter your email: it is how you are reached when seats come back.",
}

func (s *site) joinWaitlist(c echo.Context) error {
	p, ok, err := s.waitlistOpenLine(c)
	if !ok || err != nil {
		return err
	}
	f := newForm(formValues(c))
	p.Form = f
	name, email := strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("email"))
	n, err := strconv.Atoi(strings.TrimSpace(f.Get("quantity")))
	if err != nil || n < 1 || n > maxWaitlistSeats {
		f.Fail("quantity", fmt.Sprintf("Enter how many seats you want, from 1 to %d.", maxWaitlistSeats))
	}
	if !f.OK() {
		for field, hint := range waitlistHints {
			if strings.TrimSpace(f.Get(field)) == "" {
				f.Fail(field, hint)
			}
		}
		return s.renderWaitlist(c, http.StatusUnprocessableEntity, p)
	}
	// The domain checks the name and email and names every one at fault.
	_, err = s.hub.Registrations.JoinWaitlist(c.Request().Context(), p.Conference.ID, p.Line.ID, n, name, email)
	switch {
	case err == nil:
		s.flash.Set(c, fmt.Sprintf("You are on the waitlist for %s of %s, as %s.", plural(n, "seat", "seats"), p.Line.Name, email))
		return redirect(c, "/c/"+p.Conference.Slug+"/waitlist/"+p.Line.ID.String()+"/joined")
	case errors.Is(err, registrations.ErrAlreadyWaiting):
		f.Fail("email", "This email is already on the waitlist for "+p.Line.Name+".")
	case errors.Is(err, registrations.ErrSeatsOnSale):
		return s.backToSale(c, p) // seats came back and nobody waits for them
	case errors.Is(err, registrationsapp.ErrConferenceNotFound), errors.Is(err, registrations.ErrUnknownSeatType):
		return s.notFound(c)
	case !failFields(f, err, waitlistHints, ""):
		return err
	}
	return s.renderWaitlist(c, http.StatusUnprocessableEntity, p)
}

// waitlistJoined confirms a join: what was joined, and what happens next.
// Without the confirmation to show (the page reloaded), it sends the
// visitor to the conference.
func (s *site) waitlistJoined(c echo.Context) error {
	p, ok, err := s.waitlistLine(c)
	if !ok || err != nil {
		return err
	}
	p.Joined = s.flash.Take(c)
	if p.Joined == "" {
		return redirect(c, "/c/"+p.Conference.Slug)
	}
	return s.render(c, http.StatusOK, "waitlist_joined", view{Title: "On the waitlist · " + p.Line.Name, Section: "home", Flash: p.Joined, Data: p})
}

func (s *site) renderWaitlist(c echo.Context, status int, p *waitlistPage) error {
	return s.render(c, status, "waitlist_join", view{Title: "Waitlist · " + p.Line.Name, Section: "home", Data: p})
}

// inWords says a duration as people do: "2 hours", "90 minutes".
func inWords(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return plural(int(d/time.Hour), "hour", "hours")
	}
	return plural(int(d/time.Minute), "minute", "minutes")
}
