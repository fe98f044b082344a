package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

// waitlistPage is the form that puts a registrant in line for a seat type
// with none left; when seats come back the waitlist offers them in turn.
type waitlistPage struct {
	Conference *conferences.Conference
	Line       offerLine
	Form       *form
}

// waitlistLine finds the published conference and the seat type the URL
// names; ok is false (and the not-found page drawn) for anything else, and
// a seat type with seats left sends the registrant back to order them.
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
		if l.ID != id {
			continue
		}
		if !l.NoneLeft() {
			s.flash.Set(c, fmt.Sprintf("%s has seats left: order them here.", l.Name))
			return nil, false, redirect(c, "/c/"+conf.Conference.Slug)
		}
		return &waitlistPage{Conference: conf.Conference, Line: l}, true, nil
	}
	return nil, false, s.notFound(c)
}

func (s *site) waitlistForm(c echo.Context) error {
	p, ok, err := s.waitlistLine(c)
	if !ok || err != nil {
		return err
	}
	p.Form = newForm(url.Values{"quantity": {"1"}})
	return s.renderWaitlist(c, http.StatusOK, p)
}

func (s *site) joinWaitlist(c echo.Context) error {
	p, ok, err := s.waitlistLine(c)
	if !ok || err != nil {
		return err
	}
	f := newForm(formValues(c))
	p.Form = f
	name, email := strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("email"))
	n, err := strconv.Atoi(strings.TrimSpace(f.Get("quantity")))
	if err != nil || n < 1 || n > 50 {
		f.Fail("quantity", "Enter how many seats you want, from 1 to 50.")
	}
	if name == "" {
		f.Fail("name", "Enter your name.")
	}
	if email == "" {
		f.Fail("email", "Enter your email: it is how you are reached when seats come back.")
	}
	if !f.OK() {
		return s.renderWaitlist(c, http.StatusUnprocessableEntity, p)
	}
	_, err = s.hub.Registrations.JoinWaitlist(c.Request().Context(), p.Conference.ID, p.Line.ID, n, name, email)
	switch {
	case err == nil:
		s.flash.Set(c, fmt.Sprintf("You are on the waitlist for %d of %s. When seats come back they are offered in turn, held for you for a while.", n, p.Line.Name))
		return redirect(c, "/c/"+p.Conference.Slug)
	case errors.Is(err, registrations.ErrAlreadyWaiting):
		f.Fail("email", "This email is already on the waitlist for "+p.Line.Name+".")
	case errors.Is(err, registrationsapp.ErrConferenceNotFound), errors.Is(err, registrations.ErrUnknownSeatType):
		return s.notFound(c)
	case registrations.ErrorCode(err) == registrations.CodeInvalid:
		var de *registrations.Error
		errors.As(err, &de)
		field := "name"
		if strings.Contains(de.Message, "email") {
			field = "email"
		}
		f.Fail(field, capitalize(de.Message)+".")
	default:
		return err
	}
	return s.renderWaitlist(c, http.StatusUnprocessableEntity, p)
}

func (s *site) renderWaitlist(c echo.Context, status int, p *waitlistPage) error {
	return s.render(c, status, "waitlist_join", view{Title: "Waitlist · " + p.Line.Name, Section: "home", Data: p})
}
