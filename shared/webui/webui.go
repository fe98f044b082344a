// Package webui is the plumbing the hub's and the kiosk's server-rendered
// pages share: cookies, one-line flash messages, double-submit CSRF
// tokens, the headers and error pages every page answer gets, template
// sets loaded from embedded files, and per-key rate limits.
//
// It is an adapter package: it knows echo and net/http, and no rule of the
// domain. What differs between the two UIs (cookie names, SameSite, error
// wording, who is signed in) is configuration their packages pass in.
package webui

import (
	"crypto/rand"
	"encoding/base64"
	"io/fs"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// Cookies makes the cookies of one UI. Every cookie is HttpOnly with Path
// "/", and Secure when the request came over TLS or Secure says so.
type Cookies struct {
	SameSite http.SameSite
	// Secure marks every cookie Secure even on plain HTTP, for a server
	// behind a TLS-terminating proxy.
	Secure bool
}

// New returns a session cookie (no expiry); callers set Expires or MaxAge
// on it for a lasting one.
func (k Cookies) New(c echo.Context, name, value string) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: k.SameSite,
		Secure: k.Secure || c.IsTLS()}
}

// Clear tells the browser to drop the cookie.
func (k Cookies) Clear(c echo.Context, name string) {
	ck := k.New(c, name, "")
	ck.MaxAge = -1
	c.SetCookie(ck)
}

// maxFlash bounds a flash message read back from a cookie, which the
// browser may have been made to send anything in.
const maxFlash = 500

// Flash carries a one-line message to the next page, across the redirect
// that answers a form post.
type Flash struct {
	Cookie  string
	Cookies Cookies
}

// Set leaves msg for the next page.
func (f Flash) Set(c echo.Context, msg string) {
	c.SetCookie(f.Cookies.New(c, f.Cookie, url.QueryEscape(msg)))
}

// Take returns the waiting message, if any, and clears it so it shows
// once. A message that does not decode or is too long is dropped.
func (f Flash) Take(c echo.Context) string {
	ck, err := c.Cookie(f.Cookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	f.Cookies.Clear(c, f.Cookie)
	msg, err := url.QueryUnescape(ck.Value)
	if err != nil || len(msg) > maxFlash {
		return ""
	}
	return msg
}

// NewToken returns 32 random bytes, URL-safe base64: session ids, CSRF
// tokens, unguessable job and receipt ids.
func NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidToken reports whether s has the form NewToken gives.
func ValidToken(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// MountStatic serves dir of files under /static/ with an hour of caching:
// the assets are embedded, so they change only with the binary.
func MountStatic(e *echo.Echo, files fs.FS, dir string) error {
	root, err := fs.Sub(files, dir)
	if err != nil {
		return err
	}
	server := http.FileServerFS(root)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		server.ServeHTTP(w, r)
	})
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", h)))
	return nil
}
