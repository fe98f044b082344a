package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"conference/hub/readmodels"
	"conference/shared/contact"
	"conference/shared/webui"
)

func (s *site) findForm(c echo.Context) error {
	return s.render(c, http.StatusOK, "find", view{Title: "Find your order", Section: "find", Data: newForm(nil)})
}

// findOrder opens an order for the registrant who knows its access code
// and email; a wrong code and a wrong email get the same answer. Wrong
// guesses are limited per access code and per email (from any address)
// and, more generously, per client address (webui.Guesses); a look-up
// that finds the order costs nothing.
func (s *site) findOrder(c echo.Context) error {
	f := newForm(formValues(c))
	code, email := strings.TrimSpace(f.Get("code")), strings.TrimSpace(f.Get("email"))
	if code == "" {
		f.Fail("code", "Enter the access code from your confirmation, e.g. K7QM-3XTR.")
	}
	if email == "" {
		f.Fail("email", "Enter the email you gave with the order.")
	} else if _, err := contact.ParseEmail(email); err != nil {
		// No order has an address the email rule refuses: say so by the
		// field, without spending a guess.
		var ee *contact.EmailError
		errors.As(err, &ee)
		f.Fail("email", "Email "+ee.Reason+".")
	}
	if !f.OK() {
		return s.render(c, http.StatusUnprocessableEntity, "find", view{Title: "Find your order", Section: "find", Data: f})
	}
	if s.reads == nil {
		return errNoReads
	}
	guess, wait := s.lookups.Try(webui.ClientAddr(c), readmodels.GuessTargets(code, email)...)
	if guess == nil {
		retry := webui.RetryAfter(wait)
		c.Response().Header().Set("Retry-After", retry)
		f.Fail("code", "Too many wrong attempts for this order or from this network. Wait "+retry+" seconds and try again.")
		return s.render(c, http.StatusTooManyRequests, "find", view{Title: "Find your order", Section: "find", Data: f})
	}
	o, err := s.reads.OrderByAccessCode(c.Request().Context(), code, email)
	if errors.Is(err, readmodels.ErrNotFound) {
		guess.Wrong()
		f.Fail("code", "No order has this access code and email. Check both and try again.")
		return s.render(c, http.StatusNotFound, "find", view{Title: "Find your order", Section: "find", Data: f})
	}
	if err != nil {
		return err
	}
	s.grant(c, o.OrderID)
	return redirect(c, "/orders/"+o.OrderID.String())
}
