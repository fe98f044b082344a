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
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"conference/kiosk"
	"conference/shared/onsite"
)

// Cookie and field names.
const (
	sessionCookie = "kiosk_session"
	csrfCookie    = "kiosk_csrf"
	flashCookie   = "kiosk_flash"
	staffCookie   = "kiosk_staff" // last staff name, to prefill the unlock form
	csrfField     = "_csrf"

	ctxCSRF  = "kioskweb.csrf"
	ctxStaff = "kioskweb.staff"
)

// maxSessions bounds the unlocked sessions kept; a kiosk has one screen,
// so the oldest go first.
const maxSessions = 32

// session is one unlocked screen: who unlocked it and when it was last
// used.
type session struct {
	staff    string
	lastUsed time.Time
}

// sessions live in memory only: a restarted kiosk asks for the PIN again,
// which is what staff expect of a door screen.
type sessions struct {
	mu   sync.Mutex
	m    map[string]*session
	idle time.Duration
	now  func() time.Time
}

func newSessions(idle time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[string]*session{}, idle: idle, now: now}
}

func (ss *sessions) create(staff string) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.m) >= maxSessions {
		var oldest string
		for tok, s := range ss.m {
			if oldest == "" || s.lastUsed.Before(ss.m[oldest].lastUsed) {
				oldest = tok
			}
		}
		delete(ss.m, oldest)
	}
	tok := newToken()
	ss.m[tok] = &session{staff: staff, lastUsed: ss.now()}
	return tok
}

// errIdle: the session existed but was idle too long.
var errIdle = errors.New("locked after idle time")

// use returns the session's staff name; touch counts the request as
// activity.
func (ss *sessions) use(tok string, touch bool) (string, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[tok]
	if !ok {
		return "", errors.New("no session")
	}
	now := ss.now()
	if now.Sub(s.lastUsed) > ss.idle {
		delete(ss.m, tok)
		return "", errIdle
	}
	if touch {
		s.lastUsed = now
	}
	return s.staff, nil
}

func (ss *sessions) end(tok string) {
	ss.mu.Lock()
	delete(ss.m, tok)
	ss.mu.Unlock()
}

// cookie is HttpOnly and SameSite=Strict: the staff UI is never reached
// from another site, so no cross-site request carries its cookies.
func (s *site) cookie(c echo.Context, name, value string) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.opts.SecureCookies || c.IsTLS()}
}

func (s *site) clearCookie(c echo.Context, name string) {
	ck := s.cookie(c, name, "")
	ck.MaxAge = -1
	c.SetCookie(ck)
}

// csrf is a double-submit token: a random value in a cookie that every
// form echoes in a hidden field. Requests whose Origin names another site
// are refused as well.
func (s *site) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := ""
		if ck, err := c.Cookie(csrfCookie); err == nil && validToken(ck.Value) {
			token = ck.Value
		} else {
			token = newToken()
			c.SetCookie(s.cookie(c, csrfCookie, token))
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
		if subtle.ConstantTimeCompare([]byte(c.FormValue(csrfField)), []byte(token)) != 1 {
			return echo.NewHTTPError(http.StatusForbidden,
				"The form had expired. Go back, reload the page and try again. Nothing was recorded.")
		}
		return next(c)
	}
}

func csrfToken(c echo.Context) string { v, _ := c.Get(ctxCSRF).(string); return v }

func staffOf(c echo.Context) string { v, _ := c.Get(ctxStaff).(string); return v }

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func validToken(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// requireStaff lets unlocked screens through and sends locked ones to the
// PIN pad (the page they wanted comes back after unlocking, for GETs).
// touch counts the request as activity for the idle lock.
func (s *site) requireStaff(touch bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ck, err := c.Cookie(sessionCookie)
			if err == nil && ck.Value != "" {
				staff, err := s.sessions.use(ck.Value, touch)
				if err == nil {
					c.Set(ctxStaff, staff)
					return next(c)
				}
				s.clearCookie(c, sessionCookie)
				if errors.Is(err, errIdle) {
					s.setFlash(c, "Locked after "+minutes(s.opts.IdleLock)+" without use.")
				}
			}
			if !touch {
				return c.NoContent(http.StatusUnauthorized)
			}
			target := "/unlock"
			if c.Request().Method == http.MethodGet && c.Request().URL.Path != "/" {
				target += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
			}
			return c.Redirect(http.StatusSeeOther, target)
		}
	}
}

type unlockData struct {
	Staff, Next, Error string
	NoPIN              bool
}

func (s *site) unlockForm(c echo.Context) error {
	d := unlockData{Next: safeNext(c.QueryParam("next"))}
	if ck, err := c.Cookie(staffCookie); err == nil {
		d.Staff, _ = url.QueryUnescape(ck.Value)
	}
	return s.render(c, http.StatusOK, "unlock", view{Title: "Unlock", Data: d})
}

// unlock checks the PIN. Attempts are rate limited per client address and
// for the whole kiosk before the PIN is even compared.
func (s *site) unlock(c echo.Context) error {
	d := unlockData{Staff: strings.TrimSpace(c.FormValue("staff")), Next: safeNext(c.FormValue("next"))}
	pin := strings.TrimSpace(c.FormValue("pin"))
	switch {
	case d.Staff == "":
		d.Error = "Type your name: check-ins and prints record who did them."
	case !utf8.ValidString(d.Staff) || utf8.RuneCountInString(d.Staff) > onsite.MaxTextLength:
		d.Error = "That name is too long."
	case pin == "":
		d.Error = "Type the staff PIN."
	}
	if d.Error != "" {
		return s.render(c, http.StatusUnprocessableEntity, "unlock", view{Title: "Unlock", Data: d})
	}
	if !s.pinByIP.Allow(clientAddr(c)) || !s.pinAll.Allow("") {
		d.Error = "Too many attempts. Wait a minute before trying again."
		return s.render(c, http.StatusTooManyRequests, "unlock", view{Title: "Unlock", Data: d})
	}
	switch err := s.k.CheckPIN(pin); {
	case errors.Is(err, kiosk.ErrNoPIN):
		d.NoPIN, d.Error = true, "No staff PIN is set on this kiosk yet. Set one on the kiosk's command line first."
		return s.render(c, http.StatusServiceUnavailable, "unlock", view{Title: "Unlock", Data: d})
	case err != nil:
		s.log.Warn("wrong staff PIN", "client", clientAddr(c))
		d.Error = "Wrong PIN."
		return s.render(c, http.StatusUnauthorized, "unlock", view{Title: "Unlock", Data: d})
	}
	if ck, err := c.Cookie(sessionCookie); err == nil {
		s.sessions.end(ck.Value)
	}
	c.SetCookie(s.cookie(c, sessionCookie, s.sessions.create(d.Staff)))
	name := s.cookie(c, staffCookie, url.QueryEscape(d.Staff))
	name.MaxAge = 12 * 3600
	c.SetCookie(name)
	target := d.Next
	if target == "" {
		target = "/"
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// lock ends the session: the lock button, or the page's idle timer.
func (s *site) lock(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		s.sessions.end(ck.Value)
	}
	s.clearCookie(c, sessionCookie)
	if c.FormValue("idle") != "" {
		s.setFlash(c, "Locked after "+minutes(s.opts.IdleLock)+" without use.")
	} else {
		s.setFlash(c, "Locked.")
	}
	return c.Redirect(http.StatusSeeOther, "/unlock")
}

// safeNext keeps a post-unlock target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || len(next) > 500 ||
		strings.ContainsFunc(next, func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }) {
		return ""
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return next
}

// setFlash leaves a one-line message for the next page (after a redirect).
func (s *site) setFlash(c echo.Context, msg string) {
	c.SetCookie(s.cookie(c, flashCookie, url.QueryEscape(msg)))
}

func (s *site) takeFlash(c echo.Context) string {
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	s.clearCookie(c, flashCookie)
	msg, err := url.QueryUnescape(ck.Value)
	if err != nil || len(msg) > 500 {
		return ""
	}
	return msg
}

// limiter is a token bucket per key, forgetting keys idle for a while.
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

// clientAddr is the connection's peer address; forwarded headers are not
// trusted, since anyone can send them.
func clientAddr(c echo.Context) string {
	host, _, err := net.SplitHostPort(c.Request().RemoteAddr)
	if err != nil {
		return c.Request().RemoteAddr
	}
	return host
}
