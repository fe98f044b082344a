package webui_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"conference/shared/webui"
	"conference/shared/webui/webuitest"
)

func TestLimiterRefusesPastTheBurstAndRefills(t *testing.T) {
	clock := webuitest.NewClock(time.Date(2031, 5, 10, 9, 0, 0, 0, time.UTC))
	l := webui.PerMinute(3, clock.Now)
	for i := range 3 {
		if !l.Allow("10.0.0.1") {
			t.Fatalf("attempt %d refused within the burst", i+1)
		}
	}
	if l.Allow("10.0.0.1") {
		t.Fatal("fourth attempt in the same instant allowed")
	}
	if !l.Allow("10.0.0.2") {
		t.Fatal("another key refused: buckets are per key")
	}
	clock.Add(20 * time.Second) // 3 a minute: one token back
	if !l.Allow("10.0.0.1") {
		t.Fatal("refused after a token came back")
	}
	if l.Allow("10.0.0.1") {
		t.Fatal("allowed twice on one refilled token")
	}
}

func TestLimiterMayTryDoesNotSpend(t *testing.T) {
	clock := webuitest.NewClock(time.Date(2031, 5, 10, 9, 0, 0, 0, time.UTC))
	l := webui.NewLimiter(rate.Every(time.Hour), 2, clock.Now)
	for range 5 {
		if ok, _ := l.MayTry("ip"); !ok {
			t.Fatal("MayTry refused a key with tokens")
		}
	}
	l.Allow("ip")
	l.Allow("ip")
	if ok, _ := l.MayTry("ip"); ok {
		t.Fatal("MayTry allowed a key with no token left")
	}
}

func TestLimiterForgetsIdleKeysButNotTheirLimit(t *testing.T) {
	clock := webuitest.NewClock(time.Date(2031, 5, 10, 9, 0, 0, 0, time.UTC))
	l := webui.PerMinute(2, clock.Now)
	for i := range 100 {
		l.Allow(fmt.Sprint("guesser-", i))
	}
	clock.Add(2 * time.Minute) // every bucket has refilled
	l.Allow("now")
	if n := l.Keys(); n != 1 {
		t.Fatalf("%d keys kept after they went idle, want 1", n)
	}

	// A slow bucket that has not refilled is kept: forgetting it would
	// hand the guesser a fresh burst.
	slow := webui.NewLimiter(rate.Every(time.Hour), 2, clock.Now)
	slow.Allow("guesser")
	slow.Allow("guesser")
	clock.Add(10 * time.Minute)
	slow.Allow("other")
	if slow.Keys() != 2 || slow.Allow("guesser") {
		t.Fatalf("slow bucket forgotten before it refilled (%d keys)", slow.Keys())
	}
}

func TestClientAddrIgnoresForwardedHeaders(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "192.0.2.7:51234"
	req.Header.Set("X-Forwarded-For", "198.51.100.1")
	req.Header.Set("X-Real-IP", "198.51.100.2")
	if got := webui.ClientAddr(echo.New().NewContext(req, httptest.NewRecorder())); got != "192.0.2.7" {
		t.Fatalf("ClientAddr = %q, want the peer 192.0.2.7", got)
	}
}

var templates = fstest.MapFS{
	"t/_layout.html": {Data: []byte(`{{define "layout"}}<header>{{.Title}}</header><main>{{template "content" .}}</main>{{end}}`)},
	"t/_bar.html":    {Data: []byte(`{{define "bar"}}<div id="bar">{{.Title}}</div>{{end}}`)},
	"t/ok.html":      {Data: []byte(`{{define "content"}}<p>{{shout .Title}}</p>{{end}}`)},
	"t/broken.html":  {Data: []byte(`{{define "content"}}<p>{{.Fail}}</p>{{end}}`)},
	"t/error.html":   {Data: []byte(`{{define "content"}}<p class="error">{{.Title}}</p>{{end}}`)},
}

type data struct{ Title string }

// Fail is a template method that fails halfway through a page.
func (data) Fail() (string, error) { return "", errors.New("boom") }

// site is a UI built from webui alone, served on loopback.
type site struct {
	pages   *webui.Pages
	flash   webui.Flash
	errors  []error
	browser *webuitest.Browser
}

func startSite(t *testing.T) *site {
	t.Helper()
	pages, err := webui.LoadPages(templates, "t", map[string]any{"shout": strings.ToUpper})
	if err != nil {
		t.Fatal(err)
	}
	cookies := webui.Cookies{SameSite: http.SameSiteLaxMode}
	s := &site{pages: pages, flash: webui.Flash{Cookie: "t_flash", Cookies: cookies}}
	errorPage := func(c echo.Context, err error) error {
		s.errors = append(s.errors, err)
		return s.pages.Render(c, http.StatusInternalServerError, "error", data{Title: "Something went wrong"})
	}
	csrf := webui.CSRF{Cookie: "t_csrf", Cookies: cookies, Header: "X-CSRF-Token", Expired: "The form had expired."}
	e := echo.New()
	mw := []echo.MiddlewareFunc{webui.Common(webui.Headers{FrameOptions: "DENY", CSP: "default-src 'self'"}, errorPage), csrf.Middleware}
	page := func(name string) echo.HandlerFunc {
		return func(c echo.Context) error {
			return s.pages.Render(c, http.StatusOK, name, data{Title: "hello " + s.flash.Take(c)})
		}
	}
	e.GET("/ok", page("ok"), mw...)
	e.GET("/broken", page("broken"), mw...)
	e.GET("/missing", page("missing"), mw...)
	e.GET("/bar", func(c echo.Context) error { return s.pages.RenderPartial(c, http.StatusOK, "bar", data{Title: "bar"}) }, mw...)
	e.POST("/form", func(c echo.Context) error {
		s.flash.Set(c, "Saved "+c.FormValue("name")+".")
		return c.Redirect(http.StatusSeeOther, "/ok")
	}, mw...)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	s.browser = webuitest.NewBrowser(t, srv.URL, "t_csrf", "/ok")
	return s
}

func TestRenderDrawsThePageWithItsLayout(t *testing.T) {
	s := startSite(t)
	p := s.browser.Get("/ok").Want(t, http.StatusOK, "<header>hello </header>", "<p>HELLO </p>")
	for h, want := range map[string]string{
		"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'self'",
		"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Content-Type": "text/html; charset=UTF-8",
	} {
		if got := p.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	s.browser.Get("/bar").Want(t, http.StatusOK, `<div id="bar">bar</div>`).Lacks(t, "<header>")
}

func TestRenderErrorsBecomeCleanErrorPages(t *testing.T) {
	s := startSite(t)
	// The layout's header was drawn before the failure: none of it is sent.
	s.browser.Get("/broken").Want(t, http.StatusInternalServerError, `<p class="error">Something went wrong</p>`).
		Lacks(t, "hello", "<p></p>")
	s.browser.Get("/missing").Want(t, http.StatusInternalServerError, "Something went wrong")
	if len(s.errors) != 2 || !strings.Contains(s.errors[0].Error(), "render broken") ||
		!errors.Is(s.errors[1], webui.ErrNoPage) {
		t.Fatalf("errors handed to the error page: %v", s.errors)
	}
}

func TestLoadPagesRefusesBrokenTemplates(t *testing.T) {
	bad := fstest.MapFS{
		"t/_layout.html": {Data: []byte(`{{define "layout"}}{{template "content" .}}{{end}}`)},
		"t/page.html":    {Data: []byte(`{{define "content"}}{{.Title}{{end}}`)},
	}
	if _, err := webui.LoadPages(bad, "t", nil); err == nil || !strings.Contains(err.Error(), "page.html") {
		t.Fatalf("LoadPages of a broken page: %v, want an error naming it", err)
	}
}

func TestCSRFRefusesFormsWithoutTheToken(t *testing.T) {
	s := startSite(t)
	b := s.browser
	b.PostRaw("/form", url.Values{"name": {"x"}}).Want(t, http.StatusInternalServerError) // no cookie yet: 403, shown by the error page
	b.Get("/ok")
	if !webui.ValidToken(b.CSRF()) {
		t.Fatalf("CSRF cookie %q is not a token", b.CSRF())
	}
	first := b.CSRF()
	b.Get("/ok")
	if b.CSRF() != first {
		t.Fatal("the token changed between pages")
	}
	b.PostRaw("/form", url.Values{"name": {"x"}, webui.CSRFField: {"forged"}}).Want(t, http.StatusInternalServerError)

	req, _ := http.NewRequest(http.MethodPost, b.URL+"/form", strings.NewReader(url.Values{webui.CSRFField: {b.CSRF()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	b.Do(req).Want(t, http.StatusInternalServerError)

	req, _ = http.NewRequest(http.MethodPost, b.URL+"/form", nil)
	req.Header.Set("X-CSRF-Token", b.CSRF())
	b.Do(req).WantRedirect(t, "/ok")

	for i, err := range s.errors {
		var he *echo.HTTPError
		if !errors.As(err, &he) || he.Code != http.StatusForbidden {
			t.Fatalf("refusal %d: %v, want 403", i, err)
		}
	}
	if len(s.errors) != 3 || !strings.Contains(fmt.Sprint(s.errors[1]), "The form had expired.") ||
		!strings.Contains(fmt.Sprint(s.errors[2]), "another site") {
		t.Fatalf("refusals: %v", s.errors)
	}
}

func TestFlashShowsOnce(t *testing.T) {
	s := startSite(t)
	b := s.browser
	b.Follow(b.Post("/form", url.Values{"name": {"Ada & co"}}).WantRedirect(t, "/ok")).
		Want(t, http.StatusOK, "hello Saved Ada &amp; co.")
	b.Get("/ok").Want(t, http.StatusOK).Lacks(t, "Saved")

	for _, value := range []string{"%zz", strings.Repeat("x", 600)} {
		req, _ := http.NewRequest(http.MethodGet, b.URL+"/ok", nil)
		req.AddCookie(&http.Cookie{Name: "t_flash", Value: value})
		b.Do(req).Want(t, http.StatusOK, "<header>hello </header>")
	}
}

func TestTokens(t *testing.T) {
	a, b := webui.NewToken(), webui.NewToken()
	if a == b || !webui.ValidToken(a) {
		t.Fatalf("tokens %q, %q", a, b)
	}
	for _, s := range []string{"", "short", a + "x", strings.Repeat("A", 43) + "="} {
		if webui.ValidToken(s) {
			t.Errorf("ValidToken(%q) = true", s)
		}
	}
}
