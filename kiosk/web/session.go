package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"conference/kiosk"
	"conference/shared/onsite"
	"conference/shared/webui"
)

// Cookie and field names.
const (
	sessionCookie = "kiosk_session"
	csrfCookie    = "kiosk_csrf"
	flashCookie   = "kiosk_flash"
	staffCookie   = "kiosk_staff" // last staff name, to prefill the unlock form
	csrfField     = webui.CSRFField

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
	tok := webui.NewToken()
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

func staffOf(c echo.Context) string { v, _ := c.Get(ctxStaff).(string); return v }

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
				s.cookies.Clear(c, sessionCookie)
				if errors.Is(err, errIdle) {
					s.flash.Set(c, "Locked after "+minutes(s.opts.IdleLock)+" without use.")
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
	if !s.pinByIP.Allow(webui.ClientAddr(c)) || !s.pinAll.Allow("") {
		d.Error = "Too many attempts. Wait a minute before trying again."
		return s.render(c, http.StatusTooManyRequests, "unlock", view{Title: "Unlock", Data: d})
	}
	switch err := s.k.CheckPIN(pin); {
	case errors.Is(err, kiosk.ErrNoPIN):
		d.NoPIN, d.Error = true, "No staff PIN is set on this kiosk yet. Set one on the kiosk's command line first."
		return s.render(c, http.StatusServiceUnavailable, "unlock", view{Title: "Unlock", Data: d})
	case err != nil:
		s.log.Warn("wrong staff PIN", "client", webui.ClientAddr(c))
		d.Error = "Wrong PIN."
		return s.render(c, http.StatusUnauthorized, "unlock", view{Title: "Unlock", Data: d})
	}
	if ck, err := c.Cookie(sessionCookie); err == nil {
		s.sessions.end(ck.Value)
	}
	c.SetCookie(s.cookies.New(c, sessionCookie, s.sessions.create(d.Staff)))
	name := s.cookies.New(c, staffCookie, url.QueryEscape(d.Staff))
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
	s.cookies.Clear(c, sessionCookie)
	if c.FormValue("idle") != "" {
		s.flash.Set(c, "Locked after "+minutes(s.opts.IdleLock)+" without use.")
	} else {
		s.flash.Set(c, "Locked.")
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
