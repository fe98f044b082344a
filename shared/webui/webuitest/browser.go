// Package webuitest helps test server-rendered pages over real HTTP: a
// browser stand-in with its own cookies that follows no redirect, so a
// test sees where every answer points, page assertions, and a settable
// clock. Browser-driven (Chromium) helpers are in the e2e build.
package webuitest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"conference/shared/webui"
)

// Browser is an HTTP client with its own cookies that does not follow
// redirects.
type Browser struct {
	T testing.TB
	// URL is the server's base URL (httptest.Server.URL).
	URL string
	// CSRFCookie names the cookie holding the CSRF token that Post sends
	// back in webui.CSRFField; Home is the page fetched for one when the
	// browser has none yet.
	CSRFCookie, Home string
	HC               *http.Client
}

// NewBrowser returns a browser with an empty cookie jar.
func NewBrowser(t testing.TB, url, csrfCookie, home string) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{T: t, URL: url, CSRFCookie: csrfCookie, Home: home, HC: &http.Client{
		Jar:           jar,
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Page is one answer, read whole.
type Page struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

// Do sends req; a transport error fails the test.
func (b *Browser) Do(req *http.Request) Page {
	b.T.Helper()
	res, err := b.HC.Do(req)
	if err != nil {
		b.T.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return Page{Status: res.StatusCode, Location: res.Header.Get("Location"), Body: string(body), Header: res.Header}
}

// Get fetches path (with its query) on the server.
func (b *Browser) Get(path string) Page {
	b.T.Helper()
	req, err := http.NewRequest(http.MethodGet, b.URL+path, nil)
	if err != nil {
		b.T.Fatalf("GET %s: %v", path, err)
	}
	return b.Do(req)
}

// Follow GETs where a redirect points.
func (b *Browser) Follow(p Page) Page {
	b.T.Helper()
	if p.Location == "" {
		b.T.Fatalf("no redirect (status %d):\n%s", p.Status, Excerpt(p.Body))
	}
	return b.Get(p.Location)
}

// Cookie is the value of the browser's cookie name for the server, "" if
// it has none.
func (b *Browser) Cookie(name string) string {
	u, _ := url.Parse(b.URL)
	for _, ck := range b.HC.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// CSRF is the browser's CSRF token, which a page puts in its forms.
func (b *Browser) CSRF() string { return b.Cookie(b.CSRFCookie) }

// Post sends a form as the page would, with the CSRF token (fetching Home
// first if the browser has none yet).
func (b *Browser) Post(path string, form url.Values) Page {
	b.T.Helper()
	if b.CSRF() == "" {
		b.Get(b.Home)
	}
	v := url.Values{}
	for k, vs := range form {
		v[k] = vs
	}
	v.Set(webui.CSRFField, b.CSRF())
	return b.PostRaw(path, v)
}

// PostRaw sends form exactly as given.
func (b *Browser) PostRaw(path string, form url.Values) Page {
	b.T.Helper()
	req, err := http.NewRequest(http.MethodPost, b.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.T.Fatalf("POST %s: %v", path, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(req)
}

// Want fails the test unless the page has status and every text.
func (p Page) Want(t testing.TB, status int, contains ...string) Page {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d; location %q; body:\n%s", p.Status, status, p.Location, Excerpt(p.Body))
	}
	for _, s := range contains {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("page lacks %q; body:\n%s", s, Excerpt(p.Body))
		}
	}
	return p
}

// Lacks fails the test if the page shows any of texts.
func (p Page) Lacks(t testing.TB, texts ...string) Page {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.Body, s) {
			t.Fatalf("page has %q; body:\n%s", s, Excerpt(p.Body))
		}
	}
	return p
}

// WantRedirect fails the test unless the page redirects to a target
// starting with prefix.
func (p Page) WantRedirect(t testing.TB, prefix string) Page {
	t.Helper()
	if p.Status != http.StatusSeeOther && p.Status != http.StatusFound {
		t.Fatalf("status %d, want a redirect to %s; body:\n%s", p.Status, prefix, Excerpt(p.Body))
	}
	if !strings.HasPrefix(p.Location, prefix) {
		t.Fatalf("redirect to %q, want %s...", p.Location, prefix)
	}
	return p
}

// Excerpt is the part of a page worth printing in a failure: from <main>
// on, cut short.
func Excerpt(s string) string {
	if i := strings.Index(s, `<main`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 4000 {
		s = s[:4000] + "…"
	}
	return s
}
