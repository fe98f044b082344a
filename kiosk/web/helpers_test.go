package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
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
	"conference/shared/webui/webuitest"
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

// desk is a paired kiosk on a real SQLite file, fed by a stand-in hub,
// with the door-staff UI served on loopback.
type desk struct {
	t       testing.TB
	path    string
	opts    Options
	printer badges.Printer
	ctx     context.Context
	clock   *webuitest.Clock
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

// seedDoor records, as the hub would, the door fixtures every test starts
// from: the conference, its three seat types, this kiosk's leases, and the
// confirmed orders of Ann (with Bo) and of Mallory.
func seedDoor(t testing.TB, ctx context.Context, h *kiosktest.Hub) (annO, malloryO kiosktest.Order) {
	t.Helper()
	must(t, h.Conference(ctx, confID, "GopherCon Lisboa"))
	must(t, h.SeatType(ctx, confID, fullPass, "Full pass", 30000, 100, conferences.OnSitePolicy{}))
	must(t, h.SeatType(ctx, confID, workshop, "Go workshop", 4000, 10, conferences.OnSitePolicy{SellableAtKiosks: true, KioskAllocationSize: 2}))
	must(t, h.SeatType(ctx, confID, reception, "Reception", 1500, 5, conferences.OnSitePolicy{SellableAtKiosks: true, SellPastAllocation: true, KioskAllocationSize: 1}))
	must(t, h.Grant(ctx, confID, kioskID, workshop, 2))
	must(t, h.Grant(ctx, confID, kioskID, reception, 1))
	annO, err := h.ConfirmedOrder(ctx, confID, fullPass, ann, []registrations.Attendee{ann, bo})
	must(t, err)
	malloryO, err = h.ConfirmedOrder(ctx, confID, fullPass, mallory, []registrations.Attendee{mallory})
	must(t, err)
	return annO, malloryO
}

// nameKiosks records, as the hub does, the names of this kiosk ("Demo
// door") and of k2 ("Side door").
func nameKiosks(t testing.TB, ctx context.Context, h *kiosktest.Hub) {
	t.Helper()
	must(t, h.NameKiosk(ctx, confID, kioskID, "Demo door"))
	must(t, h.NameKiosk(ctx, confID, "k2", "Side door"))
}

// startDeskPrinter is startDesk with a print queue (nil: the browser prints).
func startDeskPrinter(t testing.TB, opts Options, p badges.Printer) *desk {
	t.Helper()
	return startDeskNamed(t, opts, p, true)
}

// startDeskNamed is startDeskPrinter; unnamed, the hub's record of the
// kiosks' names has not arrived.
func startDeskNamed(t testing.TB, opts Options, p badges.Printer, named bool) *desk {
	t.Helper()
	d := &desk{t: t, ctx: context.Background(), clock: webuitest.NewClock(time.Now().UTC().Truncate(time.Second)), printer: p}
	path := filepath.Join(t.TempDir(), "kiosk.db")
	d.path = path
	var err error
	if d.keys, err = kiosktest.NewKeys(kioskID, d.clock.Now()); err != nil {
		t.Fatal(err)
	}
	must(t, kiosktest.Pair(d.ctx, path, kioskID, confID, d.keys))
	d.k, err = kiosk.Open(d.ctx, kiosk.Config{Path: path, Now: d.clock.Now, Logger: quiet, Printer: p})
	must(t, err)
	t.Cleanup(func() { d.k.Close() })
	d.hub = kiosktest.NewHub(d.k.Store(), 0)
	d.annO, d.mallory = seedDoor(t, d.ctx, d.hub)
	if named {
		nameKiosks(t, d.ctx, d.hub)
	}
	must(t, d.k.Refresh(d.ctx))
	d.k.SetOnline(true)

	if opts.Now == nil {
		opts.Now = d.clock.Now
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	d.opts = opts
	d.serve()
	return d
}

// serve mounts the staff UI of d.k on a new loopback server.
func (d *desk) serve() {
	e := echo.New()
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	must(d.t, Register(e, d.k, d.opts))
	d.srv = httptest.NewServer(e)
	d.t.Cleanup(d.srv.Close)
}

// restart stops the kiosk and its UI and starts them again on the same
// database: only what the kiosk stored survives.
func (d *desk) restart() {
	d.t.Helper()
	d.srv.Close()
	must(d.t, d.k.Close())
	k, err := kiosk.Open(d.ctx, kiosk.Config{Path: d.path, Now: d.clock.Now, Logger: quiet, Printer: d.printer})
	must(d.t, err)
	d.k = k // closed by startDesk's cleanup
	d.hub = kiosktest.NewHub(d.k.Store(), d.hub.Seq())
	d.serve()
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

// client is a webuitest.Browser on the kiosk's pages.
type client struct {
	*webuitest.Browser
	d *desk
}

func (d *desk) client() *client {
	return &client{Browser: webuitest.NewBrowser(d.t, d.srv.URL, csrfCookie, "/unlock"), d: d}
}

type page = webuitest.Page

// unlocked returns a client unlocked as staff "Rita".
func (d *desk) unlocked() *client {
	c := d.client()
	c.Post("/unlock", url.Values{"staff": {"Rita"}, "pin": {kiosktest.PIN}}).WantRedirect(d.t, "/")
	return c
}

var receiptLink = regexp.MustCompile(`/(receipts|sales)/[A-Za-z0-9_-]+/badge\.pdf`)

// saleForm is the walk-up form for one seat of a seat type.
func saleForm(seatType uuid.UUID, name, payment string) url.Values {
	return url.Values{"seat": {seatType.String()}, "name": {name}, "email": {strings.ToLower(name) + "@example.org"},
		"company": {"Walk-in Ltd"}, "payment": {payment}, "print": {"on"}}
}
