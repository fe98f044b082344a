// Package web is the kiosk's door-staff UI: unlock with the staff PIN, find
// an attendee (name, email, access code or a scanned badge), check in,
// print badges, verify badges offline and sell walk-up seats. Handlers call
// package kiosk; no rule lives here.
//
// It is made for a touch screen and a USB barcode scanner. The scanner
// types what it reads and presses Enter into whatever field has focus, so
// every page puts the focus in the search field, and a badge token or an
// access code typed there with Enter finds (or verifies) the attendee.
//
// Pages are server-rendered with html/template and every asset is
// embedded: the UI never needs the network. Each page shows the kiosk's
// status (online, uploads waiting, allocation left) and says plainly when
// the kiosk cannot record, in which case no action is offered or shown as
// done.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"conference/badges"
	"conference/kiosk"
	"conference/shared/registrations"
	"conference/shared/webui"
)

// Options configure the UI.
type Options struct {
	// IdleLock locks the screen after this long without use; 0 means 5
	// minutes.
	IdleLock time.Duration
	// PINRate bounds unlock attempts per minute (per client address, and
	// four times that for the whole kiosk, since one PIN guards it); 0
	// means 5.
	PINRate int
	// SecureCookies marks cookies Secure even when the request did not
	// arrive over TLS (behind a TLS-terminating proxy).
	SecureCookies bool
	// StatusRefresh is how often pages refresh the status bar; 0 means 5
	// seconds.
	StatusRefresh time.Duration
	// Now is the clock of sessions; time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// site is the UI: the kiosk and the UI's own in-memory state.
type site struct {
	k        *kiosk.Kiosk
	opts     Options
	now      func() time.Time
	log      *slog.Logger
	pages    *webui.Pages
	cookies  webui.Cookies
	flash    webui.Flash
	csrf     webui.CSRF
	sessions *sessions
	pinByIP  *webui.Limiter
	pinAll   *webui.Limiter
	receipts *receipts
}

// Register mounts the door-staff pages on e. Only its own routes get its
// middleware, so /healthz and anything else on e keep their rules.
func Register(e *echo.Echo, k *kiosk.Kiosk, opts Options) error {
	s, err := newSite(k, opts)
	if err != nil {
		return err
	}
	return s.routes(e)
}

func newSite(k *kiosk.Kiosk, opts Options) (*site, error) {
	if k == nil {
		return nil, errors.New("kiosk web: no kiosk")
	}
	if opts.IdleLock <= 0 {
		opts.IdleLock = 5 * time.Minute
	}
	if opts.PINRate <= 0 {
		opts.PINRate = 5
	}
	if opts.StatusRefresh <= 0 {
		opts.StatusRefresh = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	// SameSite=Strict: the staff UI is never reached from another site, so
	// no cross-site request carries its cookies.
	cookies := webui.Cookies{SameSite: http.SameSiteStrictMode, Secure: opts.SecureCookies}
	s := &site{
		k: k, opts: opts, now: opts.Now, log: opts.Logger,
		cookies:  cookies,
		flash:    webui.Flash{Cookie: flashCookie, Cookies: cookies},
		csrf:     webui.CSRF{Cookie: csrfCookie, Cookies: cookies, Expired: "The form had expired. Go back, reload the page and try again. Nothing was recorded."},
		sessions: newSessions(opts.IdleLock, opts.Now),
		pinByIP:  webui.PerMinute(opts.PINRate, opts.Now),
		pinAll:   webui.PerMinute(4*opts.PINRate, opts.Now),
		receipts: newReceipts(opts.Now, k.HasPrinter()),
	}
	var err error
	if s.pages, err = webui.LoadPages(templateFiles, "templates", s.funcs()); err != nil {
		return nil, fmt.Errorf("kiosk web: %w", err)
	}
	return s, nil
}

// routes mounts every page; each route carries the middleware it needs.
func (s *site) routes(e *echo.Echo) error {
	if err := webui.MountStatic(e, staticFiles, "static"); err != nil {
		return fmt.Errorf("kiosk web: %w", err)
	}
	limit := middleware.BodyLimit("64K")
	common := webui.Common(webui.Headers{
		FrameOptions: "SAMEORIGIN",
		CSP:          "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-src 'self'; object-src 'self'; frame-ancestors 'self'; form-action 'self'",
	}, s.errorPage)
	open := func(m, path string, h echo.HandlerFunc) { e.Add(m, path, h, limit, common, s.csrf.Middleware) }
	staff := func(m, path string, h echo.HandlerFunc) {
		e.Add(m, path, h, limit, common, s.csrf.Middleware, s.requireStaff(true))
	}

	open(http.MethodGet, "/unlock", s.unlockForm)
	open(http.MethodPost, "/unlock", s.unlock)
	open(http.MethodPost, "/lock", s.lock)
	// The status bar refreshes itself; that is not staff activity, so it
	// does not keep an idle screen unlocked.
	e.Add(http.MethodGet, "/status-bar", s.statusBar, common, s.csrf.Middleware, s.requireStaff(false))

	staff(http.MethodGet, "/", s.findPage)
	staff(http.MethodPost, "/find", s.find)
	staff(http.MethodGet, "/scan", s.scanForm)
	staff(http.MethodPost, "/scan", s.scan)
	staff(http.MethodGet, "/scans/:id", s.scanPage)
	staff(http.MethodGet, "/attendees/:order/:pos", s.attendeePage)
	staff(http.MethodPost, "/attendees/:order/:pos/check-in", s.checkIn)
	staff(http.MethodPost, "/attendees/:order/:pos/admit", s.admit)
	staff(http.MethodPost, "/attendees/:order/:pos/print", s.print)
	staff(http.MethodPost, "/attendees/:order/:pos/reprint", s.reprint)
	staff(http.MethodGet, "/receipts/:id", s.receiptPage)
	staff(http.MethodGet, "/receipts/:id/badge.pdf", s.badgePDF)
	staff(http.MethodGet, "/sales/:order", s.salePage)
	staff(http.MethodGet, "/sales/:order/badge.pdf", s.saleBadgePDF)
	staff(http.MethodGet, "/sale", s.saleForm)
	staff(http.MethodPost, "/sale", s.sell)
	return nil
}

// errorPage explains an error that reached the top. What it says about
// what was recorded is true for every action: the core stores all of an
// action or nothing of it.
func (s *site) errorPage(c echo.Context, err error) error {
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		title := http.StatusText(he.Code)
		return s.render(c, he.Code, "error", view{Title: title, Data: errorData{Heading: title, Message: fmt.Sprint(he.Message)}})
	case errors.Is(err, kiosk.ErrCannotRecord):
		return s.render(c, http.StatusServiceUnavailable, "error", view{Title: "Not recorded", Data: errorData{
			Heading: "The kiosk cannot record", Bad: true,
			Message: "The kiosk's database refused the write (disk full or read-only). Nothing of this action was recorded. Call support; do not let people in on this kiosk's word."}})
	case errors.Is(err, badges.ErrPrintFailed):
		return s.render(c, http.StatusBadGateway, "error", view{Title: "Not printed", Data: errorData{
			Heading: "The printer refused the badge", Bad: true,
			Message: err.Error() + ". Check the printer; the attendee's page shows what was recorded."}})
	case errors.Is(err, kiosk.ErrNotPaired):
		return s.render(c, http.StatusServiceUnavailable, "error", view{Title: "Not paired", Data: errorData{
			Heading: "This kiosk is not paired", Bad: true,
			Message: "Pair it with the hub (kiosk pair) or load a venue file (kiosk load) before use. Nothing was recorded."}})
	case errors.Is(err, kiosk.ErrRestartRequired):
		return s.render(c, http.StatusServiceUnavailable, "error", view{Title: "Restart needed", Data: errorData{
			Heading: "Restart the kiosk", Bad: true,
			Message: "The kiosk was paired while running; restart it so its records carry its new identity. Nothing was recorded."}})
	}
	if code := registrations.ErrorCode(err); code != "" {
		status := http.StatusUnprocessableEntity
		switch code {
		case registrations.CodeConflict:
			status = http.StatusConflict
		case registrations.CodeNotFound:
			status = http.StatusNotFound
		}
		return s.render(c, status, "error", view{Title: "Not done", Data: errorData{
			Heading: "Not done", Message: domainMessage(err) + " Nothing was recorded."}})
	}
	s.log.Error("kiosk page failed", "path", c.Request().URL.Path, "err", err)
	return s.render(c, http.StatusInternalServerError, "error", view{Title: "Something went wrong", Data: errorData{
		Heading: "Something went wrong", Bad: true,
		Message: "The kiosk could not finish this. Nothing was recorded unless a page said so; please try again."}})
}

// domainMessage is a domain error as a sentence; the domain writes its
// messages (and the context the core wraps them in) to be shown.
func domainMessage(err error) string {
	msg := strings.TrimSuffix(err.Error(), ".")
	return upperFirst(msg) + "."
}

type errorData struct {
	Heading, Message string
	Bad              bool
}
