package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"

	"conference/hub/server"
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
	h := hubtest.Open(t)
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

// browser is an HTTP client with its own cookies that does not follow
// redirects, so tests see where each answer points.
type browser struct {
	t  testing.TB
	th *testHub
	hc *http.Client
}

func (th *testHub) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: th.t, th: th, hc: &http.Client{
		Jar:           jar,
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, location: res.Header.Get("Location"), body: string(body), header: res.Header}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.th.srv.URL+path, nil)
	return b.do(req)
}

// csrf is the browser's CSRF cookie, which a page puts in its forms.
func (b *browser) csrf() string {
	u, _ := url.Parse(b.th.srv.URL)
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == csrfCookie {
			return c.Value
		}
	}
	return ""
}

// post sends a form as the page would, with the CSRF token (fetching a
// page first if the browser has none yet).
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if b.csrf() == "" {
		b.get("/")
	}
	v := url.Values{}
	for k, vs := range form {
		v[k] = vs
	}
	v.Set(csrfField, b.csrf())
	return b.postRaw(path, v)
}

func (b *browser) postRaw(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.th.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (p page) want(t testing.TB, status int, contains ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; location %q; body:\n%s", p.status, status, p.location, excerpt(p.body))
	}
	for _, s := range contains {
		if !strings.Contains(p.body, s) {
			t.Fatalf("page lacks %q; body:\n%s", s, excerpt(p.body))
		}
	}
}

func (p page) wantRedirect(t testing.TB, prefix string) {
	t.Helper()
	if p.status != http.StatusSeeOther && p.status != http.StatusFound {
		t.Fatalf("status %d, want a redirect to %s; body:\n%s", p.status, prefix, excerpt(p.body))
	}
	if !strings.HasPrefix(p.location, prefix) {
		t.Fatalf("redirect to %q, want %s...", p.location, prefix)
	}
}

func excerpt(s string) string {
	if i := strings.Index(s, `<main`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000] + "…"
	}
	return s
}

// signUp creates an organizer through the sign-up page; the browser is
// signed in afterwards.
func (b *browser) signUp(name, email string) {
	b.t.Helper()
	p := b.post("/org/signup", url.Values{
		"display_name": {name}, "email": {email}, "password": {"correct horse battery"}, "password_again": {"correct horse battery"},
	})
	p.wantRedirect(b.t, "/org")
}

// createConference creates a conference through the form and returns its id.
func (b *browser) createConference(name, slug string) uuid.UUID {
	b.t.Helper()
	p := b.post("/org/conferences/new", url.Values{
		"name": {name}, "slug": {slug}, "time_zone": {"Europe/Lisbon"}, "currency": {"EUR"},
		"starts_at": {"2031-05-10T09:00"}, "ends_at": {"2031-05-12T18:00"}, "reservation_window": {"15"},
		"venue": {"Lisbon"},
	})
	p.wantRedirect(b.t, "/org/conferences/")
	id, err := uuid.Parse(strings.TrimPrefix(p.location, "/org/conferences/"))
	if err != nil {
		b.t.Fatalf("conference id from %q: %v", p.location, err)
	}
	return id
}

func (b *browser) addSeatType(conf uuid.UUID, name, price, quota string) {
	b.t.Helper()
	b.post(confURL(conf, "/seat-types/new"), url.Values{"name": {name}, "price": {price}, "quota": {quota}}).
		wantRedirect(b.t, confURL(conf, ""))
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
	if err := th.hub.Store.DB().QueryRow(`SELECT organizer_id FROM conferences WHERE id = ?`, conf[:]).Scan(&raw); err != nil {
		th.t.Fatalf("organizer of %s: %v", conf, err)
	}
	return uuid.UUID(raw)
}
