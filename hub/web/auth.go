package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	"conference/hub/web/accounts"
	"conference/shared/webui"
)

func (s *site) signUpForm(c echo.Context) error {
	if organizerOf(c) != nil {
		return redirect(c, "/org")
	}
	return s.render(c, http.StatusOK, "signup", view{Title: "Create an organizer account", Section: "org", Data: newForm(nil)})
}

func (s *site) signUp(c echo.Context) error {
	f := newForm(formValues(c))
	password := newPassword(f)
	in := conferences.NewOrganizer{Email: f.Get("email"), DisplayName: f.Get("display_name")}.Normalize()
	if err := in.Validate(); err != nil {
		failField(f, err)
	}
	if !f.OK() {
		return s.render(c, http.StatusUnprocessableEntity, "signup", view{Title: "Create an organizer account", Section: "org", Data: f})
	}
	ctx := c.Request().Context()
	o, err := s.hub.Conferences.CreateOrganizer(ctx, in)
	if errors.Is(err, conferences.ErrConflict) {
		f.Fail("email", "An account with this email exists already. Sign in instead.")
		return s.render(c, http.StatusUnprocessableEntity, "signup", view{Title: "Create an organizer account", Section: "org", Data: f})
	}
	if err != nil {
		if failField(f, err) {
			return s.render(c, http.StatusUnprocessableEntity, "signup", view{Title: "Create an organizer account", Section: "org", Data: f})
		}
		return err
	}
	if err := s.accounts.SetPassword(ctx, o.ID, password); err != nil {
		return err
	}
	if err := s.startSession(c, o.ID); err != nil {
		return err
	}
	s.flash.Set(c, "Welcome, "+o.DisplayName+". Your account is ready: create your first conference.")
	return redirect(c, "/org")
}

// newPassword returns the password of a form that sets one, its problems
// (and a differing repetition) put next to the fields. Passwords are never
// sent back into the form.
func newPassword(f *form) string {
	password := f.Get("password")
	if err := accounts.CheckPassword(password); err != nil {
		var pe *accounts.PasswordError
		if errors.As(err, &pe) {
			f.Fail("password", "Password "+pe.Message+".")
		}
	}
	if password != f.Get("password_again") {
		f.Fail("password_again", "The two passwords differ.")
	}
	f.Values.Del("password")
	f.Values.Del("password_again")
	return password
}

func (s *site) signInForm(c echo.Context) error {
	if organizerOf(c) != nil {
		return redirect(c, "/org")
	}
	f := newForm(nil)
	f.Values.Set("next", c.QueryParam("next"))
	return s.render(c, http.StatusOK, "signin", view{Title: "Sign in", Section: "org", Data: f})
}

func (s *site) signIn(c echo.Context) error {
	f := newForm(formValues(c))
	password := f.Get("password")
	f.Values.Del("password")
	email := strings.ToLower(strings.TrimSpace(f.Get("email")))
	if email == "" {
		f.Fail("email", "Enter the email you signed up with.")
	}
	if password == "" {
		f.Fail("password", "Enter your password.")
	}
	if !f.OK() {
		return s.render(c, http.StatusUnprocessableEntity, "signin", view{Title: "Sign in", Section: "org", Data: f})
	}
	// Both limits are spent on every attempt: one address cannot try many
	// accounts, and many addresses cannot hammer one account.
	okIP, okEmail := s.signInByIP.Allow(webui.ClientAddr(c)), s.signInByEmail.Allow(email)
	if !okIP || !okEmail {
		c.Response().Header().Set("Retry-After", "60")
		f.Fail("email", "Too many sign-in attempts. Wait a minute and try again.")
		return s.render(c, http.StatusTooManyRequests, "signin", view{Title: "Sign in", Section: "org", Data: f})
	}
	id, err := s.accounts.Verify(c.Request().Context(), email, password)
	if errors.Is(err, accounts.ErrBadCredentials) {
		f.Fail("password", "The email or the password is wrong.")
		return s.render(c, http.StatusUnauthorized, "signin", view{Title: "Sign in", Section: "org", Data: f})
	}
	if err != nil {
		return err
	}
	if err := s.startSession(c, id); err != nil {
		return err
	}
	return redirect(c, safeNext(f.Get("next")))
}

func (s *site) signOut(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := s.accounts.EndSession(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	s.cookies.Clear(c, sessionCookie)
	s.flash.Set(c, "You are signed out.")
	return redirect(c, "/org/signin")
}

func (s *site) startSession(c echo.Context, id [16]byte) error {
	token, expires, err := s.accounts.StartSession(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.SetCookie(s.cookie(c, sessionCookie, token, expires))
	// A fresh CSRF token with the new session: one planted before sign-in
	// is worthless afterwards.
	c.SetCookie(s.cookie(c, csrfCookie, webui.NewToken(), expires))
	return nil
}

// safeNext keeps a post-sign-in redirect on this site's organizer pages.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/org") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return "/org"
}

// formValues parses the posted form; a body that does not parse is an
// empty form, which then fails validation field by field.
func formValues(c echo.Context) map[string][]string {
	v, err := c.FormParams()
	if err != nil {
		return map[string][]string{}
	}
	v.Del(csrfField)
	return v
}

// failField puts every Conference Management validation error of err next
// to its field and reports whether err held any.
func failField(f *form, err error) bool {
	ves := webui.ErrorsOf[*conferences.ValidationError](err)
	for _, ve := range ves {
		f.Fail(ve.Field, capitalize(fieldLabel(ve.Field))+" "+ve.Message+".")
	}
	return len(ves) > 0
}

var fieldLabels = map[string]string{
	"display_name": "name", "email": "email", "slug": "web address", "name": "name", "tagline": "tagline",
	"description": "description", "venue": "venue", "contact_email": "contact email", "time_zone": "time zone",
	"starts_at": "start", "ends_at": "end", "reservation_window": "reservation window", "currency": "currency",
	"price.amount": "price", "price.currency": "currency", "quota": "quota",
	"on_site.kiosk_allocation_size": "kiosk allocation", "on_site.sell_past_allocation": "selling past the allocation",
}

func fieldLabel(field string) string {
	if l, ok := fieldLabels[field]; ok {
		return l
	}
	return strings.ReplaceAll(field, "_", " ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
