package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"conference/hub/conferences"
	"conference/hub/web/accounts"
)

// Cookie names.
const (
	sessionCookie = "hub_session"
	csrfCookie    = "hub_csrf"
	flashCookie   = "hub_flash"
	grantsCookie  = "hub_orders"
	csrfField     = "_csrf"
)

// Context keys.
const (
	ctxOrganizer  = "web.organizer"
	ctxCSRF       = "web.csrf"
	ctxConference = "web.conference"
)

// cookie returns a cookie with the attributes every cookie here shares:
// HttpOnly, SameSite=Lax, Secure when the request came over TLS (or the
// hub is told it sits behind TLS).
func (s *site) cookie(c echo.Context, name, value string, expires time.Time) *http.Cookie {
	ck := &http.Cookie{
		Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.opts.SecureCookies || c.IsTLS(),
	}
	if !expires.IsZero() {
		ck.Expires = expires
	}
	return ck
}

func (s *site) clearCookie(c echo.Context, name string) {
	ck := s.cookie(c, name, "", time.Time{})
	ck.MaxAge = -1
	c.SetCookie(ck)
}

// csrf is a double-submit token: a random value in an HttpOnly cookie that
// every form echoes in a hidden field. A cross-site page can make the
// browser send the cookie but cannot read it to fill the field. Requests
// whose Origin names another site are refused outright as well.
func (s *site) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := ""
		if ck, err := c.Cookie(csrfCookie); err == nil && validToken(ck.Value) {
			token = ck.Value
		} else {
			token = newToken()
			c.SetCookie(s.cookie(c, csrfCookie, token, time.Time{}))
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
		sent := c.FormValue(csrfField)
		if sent == "" {
			sent = c.Request().Header.Get("X-CSRF-Token")
		}
		if subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
			return echo.NewHTTPError(http.StatusForbidden,
				"The form had expired or did not come from this site. Go back, reload the page and send it again.")
		}
		return next(c)
	}
}

func csrfToken(c echo.Context) string { v, _ := c.Get(ctxCSRF).(string); return v }

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func validToken(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
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
			s.clearCookie(c, sessionCookie)
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

// setFlash leaves a one-line message for the next page (after a redirect).
func (s *site) setFlash(c echo.Context, msg string) {
	c.SetCookie(s.cookie(c, flashCookie, url.QueryEscape(msg), time.Time{}))
}

func takeFlash(c echo.Context) string {
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	ck2 := &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.IsTLS()}
	c.SetCookie(ck2)
	msg, err := url.QueryUnescape(ck.Value)
	if err != nil || len(msg) > 300 {
		return ""
	}
	return msg
}

// redirect answers a form post with 303 See Other, so reloading the next
// page does not send the form again.
func redirect(c echo.Context, target string) error { return c.Redirect(http.StatusSeeOther, target) }

// limiter is a token bucket per key (client address, email), forgetting
// keys that have been idle for a while.
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	every   rate.Limit
	burst   int
	now     func() time.Time
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(n int, per time.Duration, now func() time.Time) *limiter {
	return &limiter{buckets: map[string]*bucket{}, every: rate.Limit(float64(n) / per.Seconds()), burst: n, now: now}
}

// Allow spends one token of key's bucket.
func (l *limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) > 10*time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// clientAddr is the key rate limits count by: the connection's peer
// address. Forwarded headers are not trusted, since anyone can send them.
func clientAddr(c echo.Context) string {
	host, _, err := net.SplitHostPort(c.Request().RemoteAddr)
	if err != nil {
		return c.Request().RemoteAddr
	}
	return strings.TrimSpace(host)
}
