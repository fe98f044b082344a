package webui

import (
	"crypto/subtle"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// CSRFField is the hidden form field that echoes the CSRF token.
const CSRFField = "_csrf"

const ctxCSRF = "webui.csrf"

// CSRF is a double-submit token: a random value in an HttpOnly cookie that
// every form echoes in a hidden field. A cross-site page can make the
// browser send the cookie but cannot read it to fill the field. Requests
// whose Origin names another site are refused outright as well.
type CSRF struct {
	// Cookie names the cookie holding the token.
	Cookie  string
	Cookies Cookies
	// Header, if set, is accepted in place of the form field (for
	// scripts posting without a form).
	Header string
	// Expired is the message for a missing or wrong token.
	Expired string
}

// Middleware gives every request a token (CSRFToken reads it) and refuses
// unsafe methods without it, with 403.
func (x CSRF) Middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := ""
		if ck, err := c.Cookie(x.Cookie); err == nil && ValidToken(ck.Value) {
			token = ck.Value
		} else {
			token = NewToken()
			c.SetCookie(x.Cookies.New(c, x.Cookie, token))
		}
		c.Set(ctxCSRF, token)
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if origin := c.Request().Header.Get("Origin"); origin != "" && origin != "null" {
			if u, err := url.Parse(origin); err != nil || u.Host != c.Request().Host {
				return echo.NewHTTPError(http.StatusForbidden, "This form was sent from another site and was refused.")
			}
		}
		sent := c.FormValue(CSRFField)
		if sent == "" && x.Header != "" {
			sent = c.Request().Header.Get(x.Header)
		}
		if subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
			return echo.NewHTTPError(http.StatusForbidden, x.Expired)
		}
		return next(c)
	}
}

// CSRFToken is the request's token, for the forms of the page.
func CSRFToken(c echo.Context) string { v, _ := c.Get(ctxCSRF).(string); return v }

// Headers are the security headers that differ between UIs; the rest are
// the same for all.
type Headers struct {
	FrameOptions string // X-Frame-Options
	CSP          string // Content-Security-Policy
}

// Common sets the security headers every page carries and hands an error
// the handler returns to errorPage, which answers it as a page: nothing a
// visitor sends yields a bare 500. An answer already under way is left
// alone.
func Common(h Headers, errorPage func(echo.Context, error) error) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			rh := c.Response().Header()
			rh.Set("X-Content-Type-Options", "nosniff")
			rh.Set("X-Frame-Options", h.FrameOptions)
			rh.Set("Referrer-Policy", "same-origin")
			rh.Set("Content-Security-Policy", h.CSP)
			err := next(c)
			if err == nil || c.Response().Committed {
				return err
			}
			return errorPage(c, err)
		}
	}
}
