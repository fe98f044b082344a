package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"conference/hub/web/accounts"
	"conference/shared/contact"
	"conference/shared/webui"
)

// An organizer who forgot their password asks for a link by mail (sent
// through the outbox, never from the request), follows it and sets a new
// password. The form answers the same whether or not the email has an
// account; requests are limited per client address here and per account
// in the database (accounts.ResetsPerHour), so nobody floods a mailbox.

func (s *site) forgotForm(c echo.Context) error {
	return s.render(c, http.StatusOK, "password_forgot", view{Title: "Forgot your password", Section: "org", Data: newForm(nil)})
}

func (s *site) forgotPassword(c echo.Context) error {
	f := newForm(formValues(c))
	email := strings.TrimSpace(f.Get("email"))
	if _, err := contact.ParseEmail(email); err != nil {
		f.Fail("email", "Enter the email you signed up with.")
		return s.render(c, http.StatusUnprocessableEntity, "password_forgot", view{Title: "Forgot your password", Section: "org", Data: f})
	}
	if !s.resetByIP.Allow(webui.ClientAddr(c)) {
		c.Response().Header().Set("Retry-After", "60")
		f.Fail("email", "Too many requests from your network. Wait a minute and try again.")
		return s.render(c, http.StatusTooManyRequests, "password_forgot", view{Title: "Forgot your password", Section: "org", Data: f})
	}
	err := s.hub.RequestPasswordReset(c.Request().Context(), email)
	switch {
	case errors.Is(err, accounts.ErrNoAccount):
		s.hub.Log.Info("password reset for an unknown email: nothing sent")
	case errors.Is(err, accounts.ErrTooManyResets):
		s.hub.Log.Warn("password reset refused: too many for this account this hour")
	case err != nil:
		return err
	}
	return s.render(c, http.StatusOK, "password_sent", view{Title: "Check your mail", Section: "org", Data: email})
}

func (s *site) resetForm(c echo.Context) error {
	r, err := s.accounts.CheckReset(c.Request().Context(), c.Param("token"))
	if errors.Is(err, accounts.ErrResetInvalid) {
		return s.resetGone(c)
	}
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "password_reset", view{Title: "Set a new password", Section: "org",
		Data: resetPage{Email: r.Email, Form: newForm(nil)}})
}

type resetPage struct {
	Email string
	Token string
	Form  *form
}

func (s *site) resetPassword(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	r, err := s.accounts.CheckReset(ctx, token)
	if errors.Is(err, accounts.ErrResetInvalid) {
		return s.resetGone(c)
	}
	if err != nil {
		return err
	}
	f := newForm(formValues(c))
	password := newPassword(f)
	if !f.OK() {
		return s.render(c, http.StatusUnprocessableEntity, "password_reset", view{Title: "Set a new password", Section: "org",
			Data: resetPage{Email: r.Email, Form: f}})
	}
	id, err := s.accounts.ResetPassword(ctx, token, password)
	if errors.Is(err, accounts.ErrResetInvalid) {
		return s.resetGone(c) // used by a request racing this one
	}
	if err != nil {
		return err
	}
	if err := s.startSession(c, id); err != nil {
		return err
	}
	s.flash.Set(c, "Your new password is set, and you are signed in. Any other session was signed out.")
	return redirect(c, "/org")
}

// resetGone answers a link that is unknown, used, replaced or expired.
func (s *site) resetGone(c echo.Context) error {
	return s.render(c, http.StatusGone, "error", view{Title: "Link expired", Section: "org", Data: errorPage{
		Heading: "This link no longer works",
		Message: "A password reset link works once, for an hour, and only the newest one sent. Ask for a new one from the sign-in page.",
	}})
}
