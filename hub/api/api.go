// Package api is the hub's JSON API under /api/v1: organizer endpoints
// (API token, tenant-scoped) and public registrant endpoints. Handlers
// decode and check the shape of input, call the services of hubapp and
// encode what they return; no rule of the domain lives here. Every error
// is {"error":{"code","message","field"}} with a stable code, mapped in
// one place (errors.go); unknown failures are logged and shown as
// "internal" without detail.
//
// The OpenAPI 3 document (openapi.yaml) describes every route, is served
// at /api/v1/openapi.yaml and drawn for people at /api/v1/docs; the tests
// keep the two in step (every route documented, every request and answer
// of the tests validated against the document's schemas), Redocly lints it
// (.ci/lint-openapi) and package client is generated from it.
package api

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"conference/hub/hubapp"
	"conference/shared/webui"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Options tune the API. The zero value is production's defaults.
type Options struct {
	// LookupRate and LookupBurst bound wrong access-code guesses at one
	// target (an order id, an access code, an email), from any client IP:
	// default one every 6 seconds with a burst of 10, which makes guessing
	// an 8-character code hopeless while a person mistyping twice is fine.
	// A look-up that succeeds costs nothing.
	LookupRate  rate.Limit
	LookupBurst int
	// AddressRate and AddressBurst bound wrong guesses from one client IP
	// at any targets: default 2 a second with a burst of 120, generous so
	// that registrants behind one venue Wi-Fi address are not locked out.
	AddressRate  rate.Limit
	AddressBurst int
	// MaxWait bounds the long poll of GET /orders/{id}?wait_while=...;
	// default 10 s.
	MaxWait time.Duration
	// TrustProxy makes the client IP come from X-Forwarded-For / X-Real-IP,
	// for a hub behind a reverse proxy. Off, the socket's peer is the
	// client, so a guesser cannot pick a fresh IP per request.
	TrustProxy bool
}

func (o Options) withDefaults() Options {
	if o.LookupRate == 0 {
		o.LookupRate = rate.Every(6 * time.Second)
	}
	if o.LookupBurst == 0 {
		o.LookupBurst = 10
	}
	if o.AddressRate == 0 {
		o.AddressRate = 2
	}
	if o.AddressBurst == 0 {
		o.AddressBurst = 120
	}
	if o.MaxWait == 0 {
		o.MaxWait = 10 * time.Second
	}
	return o
}

// api holds what every handler needs.
type api struct {
	h       *hubapp.Hub
	opts    Options
	log     *slog.Logger
	guesses *webui.Guesses
	reads   reads
	rm      readModels
	slugs   *slugCache
}

// Register mounts the API on e under Prefix.
func Register(e *echo.Echo, h *hubapp.Hub, opts Options) error {
	if h == nil {
		return errors.New("api: hub is required")
	}
	opts = opts.withDefaults()
	a := &api{h: h, opts: opts, log: h.Log, guesses: h.Guesses(webui.NewGuessesAt(opts.LookupRate, opts.LookupBurst, opts.AddressRate, opts.AddressBurst, time.Now), "api.lookups")}
	if a.log == nil {
		a.log = slog.Default()
	}
	if h.Reads == nil {
		return errors.New("api: hub has no read models")
	}
	a.reads, a.rm = newReads(h), h.Reads
	a.slugs = newSlugCache()
	a.routes(e)
	return nil
}

// errors turns a handler's error into the API's JSON error body, so the
// hub's shared echo error handler (HTML pages use it too) never sees one.
func (a *api) errors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			// A panic is a bug, but the client still gets JSON and the hub
			// keeps serving.
			if r := recover(); r != nil {
				a.log.Error("api: panic", "method", c.Request().Method, "path", c.Path(), "panic", r)
				err = a.writeError(c, apiErr(http.StatusInternalServerError, CodeInternal, "", "internal error"))
			}
		}()
		if err = next(c); err == nil {
			return nil
		}
		return a.writeError(c, err)
	}
}

func (a *api) writeError(c echo.Context, err error) error {
	ae := toAPIError(err)
	if ae.Status >= 500 {
		a.log.Error("api: request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Response().Committed {
		return nil
	}
	if ae.Status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	}
	if ae.RetryAfter != "" {
		c.Response().Header().Set("Retry-After", ae.RetryAfter)
	}
	return c.JSON(ae.Status, errorBody{Error: ae})
}
