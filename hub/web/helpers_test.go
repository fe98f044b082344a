package web

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/server"
	"conference/shared/webui/webuitest"
)

// testHub is a running hub with the web UI on a loopback HTTP server.
type testHub struct {
	t   testing.TB
	hub *hubapp.Hub

	srv  *httptest.Server
	echo *echo.Echo
}

// startHub opens a hub on a fresh SQLite file (hubtest), runs its read
// models and serves the pages. opts may tune limits.
func startHub(t testing.TB, opts Options) *testHub {
	t.Helper()
	return serveHub(t, hubtest.Open(t), opts)
}

// startIdleHub is startHub with the hub's workers held back until start
// is called: pages and services answer, nothing follows through the logs.
func startIdleHub(t testing.TB, opts Options) (th *testHub, start func()) {
	t.Helper()
	h, start := hubtest.OpenIdle(t, hubapp.Config{})
	return serveHub(t, h, opts), start
}

func serveHub(t testing.TB, h *hubapp.Hub, opts Options) *testHub {
	t.Helper()
	th := &testHub{t: t, hub: h}
	e, err := server.New(h, func(e *echo.Echo) error { return Register(e, h, opts) })
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	th.echo = e
	th.srv = httptest.NewServer(e)
	t.Cleanup(th.srv.Close)
	return th
}

// browser is a webuitest.Browser on the hub, with the organizer steps
// tests repeat.
type browser struct {
	*webuitest.Browser
	th *testHub
}

func (th *testHub) browser() *browser {
	return &browser{Browser: webuitest.NewBrowser(th.t, th.srv.URL, csrfCookie, "/"), th: th}
}

type page = webuitest.Page

// signUp creates an organizer through the sign-up page; the browser is
// signed in afterwards.
func (b *browser) signUp(name, email string) {
	b.T.Helper()
	p := b.Post("/org/signup", url.Values{
		"display_name": {name}, "email": {email}, "password": {"correct horse battery"}, "password_again": {"correct horse battery"},
	})
	p.WantRedirect(b.T, "/org")
}

// createConference creates a conference through the form and returns its id.
func (b *browser) createConference(name, slug string) uuid.UUID {
	b.T.Helper()
	p := b.Post("/org/conferences/new", url.Values{
		"name": {name}, "slug": {slug}, "time_zone": {"Europe/Lisbon"}, "currency": {"EUR"},
		"starts_at": {"2031-05-10T09:00"}, "ends_at": {"2031-05-12T18:00"}, "reservation_window": {"15"},
		"venue": {"Lisbon"},
	})
	p.WantRedirect(b.T, "/org/conferences/")
	id, err := uuid.Parse(strings.TrimPrefix(p.Location, "/org/conferences/"))
	if err != nil {
		b.T.Fatalf("conference id from %q: %v", p.Location, err)
	}
	return id
}

func (b *browser) addSeatType(conf uuid.UUID, name, price, quota string) {
	b.T.Helper()
	b.Post(confURL(conf, "/seat-types/new"), url.Values{"name": {name}, "price": {price}, "quota": {quota}}).
		WantRedirect(b.T, confURL(conf, ""))
}

// seatTypeID finds a seat type's id on the conference overview.
func (th *testHub) seatTypes(conf uuid.UUID, organizer uuid.UUID) map[string]uuid.UUID {
	th.t.Helper()
	list, err := th.hub.Conferences.ListSeatTypes(context.Background(), organizer, conf)
	if err != nil {
		th.t.Fatalf("seat types: %v", err)
	}
	out := map[string]uuid.UUID{}
	for _, st := range list {
		out[st.Name] = st.ID
	}
	return out
}

func (th *testHub) conference(conf uuid.UUID) (organizer uuid.UUID) {
	th.t.Helper()
	var raw []byte
	if err := th.hub.Store.DB().QueryRow(`SELECT organizer_id FROM conferences WHERE id = $1`, conf[:]).Scan(&raw); err != nil {
		th.t.Fatalf("organizer of %s: %v", conf, err)
	}
	return uuid.UUID(raw)
}
