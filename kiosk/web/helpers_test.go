package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/badges"
	"conference/hub/conferences"
	"conference/kiosk"
	"conference/kiosk/kiosktest"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

var (
	confID    = uuid.MustParse("00000000-0000-0000-0000-00000000c0f1")
	otherConf = uuid.MustParse("00000000-0000-0000-0000-00000000c0f2")
	fullPass  = uuid.MustParse("00000000-0000-0000-0000-000000000f01") // not sold at kiosks
	workshop  = uuid.MustParse("00000000-0000-0000-0000-000000000f02") // sellable, refused past allocation
	reception = uuid.MustParse("00000000-0000-0000-0000-000000000f03") // sellable past allocation
	ann       = registrations.Attendee{Name: "Ângela Ødegård-Lee", Email: "angela@example.org", Company: "Acme", Role: "CTO"}
	bo        = registrations.Attendee{Name: "Bo Berg", Email: "bo@example.org"}
	mallory   = registrations.Attendee{Name: `<script>alert("x")</script> Mallory`, Email: "mallory@example.org", Company: `"><img src=x onerror=alert(1)>`}
)

const kioskID = "k1"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is a settable time source shared by kiosk, UI and test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// desk is a paired kiosk on a real SQLite file, fed by a stand-in hub,
// with the door-staff UI served on loopback.
type desk struct {
	t       testing.TB
	ctx     context.Context
	clock   *clock
	keys    kiosktest.Keys
	k       *kiosk.Kiosk
	hub     *kiosktest.Hub
	srv     *httptest.Server
	annO    kiosktest.Order // Ângela and Bo
	mallory kiosktest.Order
}

func startDesk(t testing.TB, opts Options) *desk {
	t.Helper()
	return startDeskPrinter(t, opts, nil)
}

// startDeskPrinter is startDesk with a print queue (nil: the browser prints).
func startDeskPrinter(t testing.TB, opts Options, p badges.Printer) *desk {
	t.Helper()
	d := &desk{t: t, ctx: context.Background(), clock: &clock{now: time.Now().UTC().Truncate(time.Second)}}
	path := filepath.Join(t.TempDir(), "kiosk.db")
	var err error
	if d.keys, err = kiosktest.NewKeys(kioskID, d.clock.Now()); err != nil {
		t.Fatal(err)
	}
	must(t, kiosktest.Pair(d.ctx, path, kioskID, confID, d.keys))
	d.k, err = kiosk.Open(d.ctx, kiosk.Config{Path: path, Now: d.clock.Now, Logger: quiet, Printer: p})
	must(t, err)
	t.Cleanup(func() { d.k.Close() })
	d.hub = kiosktest.NewHub(d.k.Store(), 0)
	h := d.hub
	must(t, h.Conference(d.ctx, confID, "GopherCon Lisboa"))
	must(t, h.SeatType(d.ctx, confID, fullPass, "Full pass", 30000, 100, conferences.OnSitePolicy{}))
	must(t, h.SeatType(d.ctx, confID, workshop, "Go workshop", 4000, 10, conferences.OnSitePolicy{SellableAtKiosks: true, KioskAllocationSize: 2}))
	must(t, h.SeatType(d.ctx, confID, reception, "Reception", 1500, 5, conferences.OnSitePolicy{SellableAtKiosks: true, SellPastAllocation: true, KioskAllocationSize: 1}))
	must(t, h.Grant(d.ctx, confID, kioskID, workshop, 2))
	must(t, h.Grant(d.ctx, confID, kioskID, reception, 1))
	d.annO, err = h.ConfirmedOrder(d.ctx, confID, fullPass, ann, []registrations.Attendee{ann, bo})
	must(t, err)
	d.mallory, err = h.ConfirmedOrder(d.ctx, confID, fullPass, mallory, []registrations.Attendee{mallory})
	must(t, err)
	must(t, d.k.Refresh(d.ctx))
	d.k.SetOnline(true)

	if opts.Now == nil {
		opts.Now = d.clock.Now
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	e := echo.New()
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	must(t, Register(e, d.k, opts))
	d.srv = httptest.NewServer(e)
	t.Cleanup(d.srv.Close)
	return d
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func seatOf(o kiosktest.Order, pos int) onsite.Seat { return onsite.Seat{OrderID: o.ID, Position: pos} }

// checkInElsewhere is another kiosk's check-in, relayed by the hub.
func (d *desk) checkInElsewhere(seat onsite.Seat, kioskID, staff string) {
	d.t.Helper()
	must(d.t, d.hub.Append(d.ctx, onsite.AttendanceStreamID(seat), "onsite.Attendance",
		onsite.AttendeeCheckedIn{ConferenceID: confID, OrderID: seat.OrderID, Position: seat.Position, KioskID: kioskID, Staff: staff, At: d.clock.Now().Add(-10 * time.Minute)}))
	must(d.t, d.k.Refresh(d.ctx))
}

// ownEvents counts the kiosk's own recorded events of a type.
func (d *desk) ownEvents(typ string) int {
	d.t.Helper()
	evs, err := d.k.OwnEventsAfter(d.ctx, 0, 10000)
	must(d.t, err)
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// client is a browser stand-in: its own cookies, no redirect following.
type client struct {
	t  testing.TB
	d  *desk
	hc *http.Client
}

func (d *desk) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: d.t, d: d, hc: &http.Client{Jar: jar, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (c *client) do(req *http.Request) page {
	c.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, location: res.Header.Get("Location"), body: string(body), header: res.Header}
}

func (c *client) get(path string) page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.d.srv.URL+path, nil)
	return c.do(req)
}

// follow GETs where a redirect points.
func (c *client) follow(p page) page {
	c.t.Helper()
	if p.location == "" {
		c.t.Fatalf("no redirect (status %d):\n%s", p.status, excerpt(p.body))
	}
	return c.get(p.location)
}

func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.d.srv.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// post sends a form with the CSRF token, as the page would.
func (c *client) post(path string, form url.Values) page {
	c.t.Helper()
	if c.cookie(csrfCookie) == "" {
		c.get("/unlock")
	}
	v := url.Values{}
	for k, vs := range form {
		v[k] = vs
	}
	v.Set(csrfField, c.cookie(csrfCookie))
	return c.postRaw(path, v)
}

func (c *client) postRaw(path string, form url.Values) page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.d.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// unlocked returns a client unlocked as staff "Rita".
func (d *desk) unlocked() *client {
	c := d.client()
	c.post("/unlock", url.Values{"staff": {"Rita"}, "pin": {kiosktest.PIN}}).wantRedirect(d.t, "/")
	return c
}

func (p page) want(t testing.TB, status int, contains ...string) page {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; location %q; body:\n%s", p.status, status, p.location, excerpt(p.body))
	}
	for _, s := range contains {
		if !strings.Contains(p.body, s) {
			t.Fatalf("page lacks %q; body:\n%s", s, excerpt(p.body))
		}
	}
	return p
}

func (p page) lacks(t testing.TB, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.body, s) {
			t.Fatalf("page has %q; body:\n%s", s, excerpt(p.body))
		}
	}
}

func (p page) wantRedirect(t testing.TB, prefix string) page {
	t.Helper()
	if p.status != http.StatusSeeOther && p.status != http.StatusFound {
		t.Fatalf("status %d, want a redirect to %s; body:\n%s", p.status, prefix, excerpt(p.body))
	}
	if !strings.HasPrefix(p.location, prefix) {
		t.Fatalf("redirect to %q, want %s...", p.location, prefix)
	}
	return p
}

func excerpt(s string) string {
	if i := strings.Index(s, `<main`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 4000 {
		s = s[:4000] + "…"
	}
	return s
}

var receiptLink = regexp.MustCompile(`/receipts/[A-Za-z0-9_-]+/badge\.pdf`)

// saleForm is the walk-up form for one seat of a seat type.
func saleForm(seatType uuid.UUID, name, payment string) url.Values {
	return url.Values{"seat": {seatType.String()}, "name": {name}, "email": {strings.ToLower(name) + "@example.org"},
		"company": {"Walk-in Ltd"}, "payment": {payment}, "print": {"on"}}
}
