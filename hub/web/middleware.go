package web

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	"conference/hub/web/accounts"
	"conference/shared/webui"
)

// Cookie names.
const (
	sessionCookie = "hub_session"
	csrfCookie    = "hub_csrf"
	flashCookie   = "hub_flash"
	grantsCookie  = "hub_orders"
	csrfField     = webui.CSRFField
)

// Context keys.
const (
	ctxOrganizer  = "web.organizer"
	ctxConference = "web.conference"
)

// cookie is a cookie of the hub's pages (webui.Cookies: HttpOnly,
// SameSite=Lax, Secure over TLS); a zero expires makes a session cookie.
func (s *site) cookie(c echo.Context, name, value string, expires time.Time) *http.Cookie {
	ck := s.cookies.New(c, name, value)
	ck.Expires = expires
	return ck
}

// session puts the signed-in organizer, if any, in the context.
func (s *site) session(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(sessionCookie)
		if err != nil || ck.Value == "" {
			return next(c)
		}
		o, err := s.accounts.Session(c.Request().Context(), ck.Value)
		switch {
		case errors.Is(err, accounts.ErrNoSession):
			s.cookies.Clear(c, sessionCookie)
		case err != nil:
			return err
		default:
			c.Set(ctxOrganizer, o)
		}
		return next(c)
	}
}

func organizerOf(c echo.Context) *conferences.Organizer {
	o, _ := c.Get(ctxOrganizer).(*conferences.Organizer)
	return o
}

// requireOrganizer sends anonymous visitors to sign in, coming back here
// afterwards (GET pages only; a form post is not replayed).
func (s *site) requireOrganizer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if organizerOf(c) != nil {
			return next(c)
		}
		target := "/org/signin"
		if c.Request().Method == http.MethodGet {
			target += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
		}
		return c.Redirect(http.StatusSeeOther, target)
	}
}

// loadConference resolves :cid for the signed-in organizer. Conference
// Management answers ErrNotFound for another tenant's conference, so a
// foreign id is a 404 like a missing one.
func (s *site) loadConference(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := uuid.Parse(c.Param("cid"))
		if err != nil {
			return s.notFound(c)
		}
		conf, err := s.hub.Conferences.GetConference(c.Request().Context(), organizerOf(c).ID, id)
		if errors.Is(err, conferences.ErrNotFound) {
			return s.notFound(c)
		}
		if err != nil {
			return err
		}
		c.Set(ctxConference, conf)
		return next(c)
	}
}

func conferenceOf(c echo.Context) *conferences.Conference {
	v, _ := c.Get(ctxConference).(*conferences.Conference)
	return v
}

// redirect answers a form post with 303 See Other, so reloading the next
// page does not send the form again.
func redirect(c echo.Context, target string) error { return c.Redirect(http.StatusSeeOther, target) }
