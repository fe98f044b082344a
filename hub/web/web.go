// Package web is the hub's HTML adapter: the organizer back office and the
// registrant pages. Handlers call the application services of hubapp; no
// rule lives here.
//
// Pages are server-rendered with html/template; every asset (one CSS file,
// one small script) is embedded and served from /static, so the UI works
// on a venue network with no internet. Organizers sign in with a password
// (package accounts); every organizer route looks the conference up
// through Conference Management with the signed-in organizer as tenant, so
// another tenant's conference is simply not found.
package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/hubapp"
	"conference/hub/readmodels"
	"conference/hub/web/accounts"
	"conference/shared/sqldb"
	"conference/shared/webui"
)

// Options configure the pages.
type Options struct {
	// SecureCookies marks every cookie Secure even when the request did
	// not arrive over TLS (behind a TLS-terminating proxy). Requests that
	// do arrive over TLS always get Secure cookies.
	SecureCookies bool
	// SignInRate bounds sign-in attempts per client address and per email
	// (attempts per minute, with the same burst); 0 means 10.
	SignInRate int
	// LookupRate bounds wrong find-my-order guesses per minute at one
	// access code and at one email, from any address; 0 means 10.
	// Successful look-ups do not count.
	LookupRate int
	// LookupAddressRate bounds wrong find-my-order guesses per minute from
	// one client address, generous so that registrants sharing a venue's
	// address are not locked out; 0 means 120.
	LookupAddressRate int
	// ResetRate bounds password reset requests per minute from one client
	// address; 0 means 5. (Each account gets at most
	// accounts.ResetsPerHour mails an hour, whoever asks.)
	ResetRate int
	// Now is the clock of countdowns and sessions; time.Now when nil.
	Now func() time.Time
}

// site is the web UI: its dependencies and its parsed pages.
type site struct {
	hub      *hubapp.Hub
	reads    *readmodels.Models // h.Reads
	accounts *accounts.Accounts
	pages    *webui.Pages
	opts     Options
	now      func() time.Time
	cookies  webui.Cookies
	flash    webui.Flash
	csrf     webui.CSRF

	signInByIP, signInByEmail *webui.Limiter
	resetByIP                 *webui.Limiter
	lookups                   *webui.Guesses
	grants                    *grants
	badgeJobs                 *badgeJobs
}

// errNoReads is returned by pages that need read models the hub lacks.
var errNoReads = errors.New("read models not available")

// Register mounts the pages on e.
func Register(e *echo.Echo, h *hubapp.Hub, opts Options) error {
	s, err := newSite(context.Background(), h, opts)
	if err != nil {
		return err
	}
	return s.routes(e)
}

func newSite(ctx context.Context, h *hubapp.Hub, opts Options) (*site, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SignInRate <= 0 {
		opts.SignInRate = 10
	}
	if opts.LookupRate <= 0 {
		opts.LookupRate = 10
	}
	if opts.LookupAddressRate <= 0 {
		opts.LookupAddressRate = 120
	}
	if opts.ResetRate <= 0 {
		opts.ResetRate = 5
	}
	acc, err := accounts.New(ctx, h.Store.DB())
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	acc.Now = opts.Now
	p, err := webui.LoadPages(templateFiles, "templates", funcs)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	key, err := acc.Secret(ctx, "order-grants", 32)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	perMinute := func(n int, name string) *webui.Limiter { return h.Limiter(webui.PerMinute(n, opts.Now), name) }
	cookies := webui.Cookies{SameSite: http.SameSiteLaxMode, Secure: opts.SecureCookies}
	return &site{
		hub: h, reads: h.Reads, accounts: acc, pages: p, opts: opts, now: opts.Now,
		cookies: cookies,
		flash:   webui.Flash{Cookie: flashCookie, Cookies: cookies},
		csrf: webui.CSRF{Cookie: csrfCookie, Cookies: cookies, Header: "X-CSRF-Token",
			Expired: "The form had expired or did not come from this site. Go back, reload the page and send it again."},
		signInByIP: perMinute(opts.SignInRate, "web.signin.ip"), signInByEmail: perMinute(opts.SignInRate, "web.signin.email"),
		resetByIP: perMinute(opts.ResetRate, "web.reset.ip"),
		lookups:   h.Guesses(webui.NewGuesses(opts.LookupRate, opts.LookupAddressRate, opts.Now), "web.lookups"),
		grants:    &grants{key: key},
		badgeJobs: newBadgeJobs(),
	}, nil
}

// SetPassword gives an organizer a password to sign in to the web UI with;
// the demo seeding of `hub serve` calls it. It ends the organizer's
// existing sessions. A password that is too short or too long is refused
// with an error matching accounts.ErrWeakPassword.
func SetPassword(ctx context.Context, h *hubapp.Hub, organizerID uuid.UUID, password string) error {
	acc, err := accounts.New(ctx, h.Store.DB())
	if err != nil {
		return err
	}
	return acc.SetPassword(ctx, organizerID, password)
}

// routes mounts every page. Each route gets the web middleware itself
// rather than through e.Use, so the JSON API and sync endpoints on the
// same echo keep their own rules (no CSRF cookie, no HTML errors).
func (s *site) routes(e *echo.Echo) error {
	if err := webui.MountStatic(e, staticFiles, "static"); err != nil {
		return fmt.Errorf("web: %w", err)
	}
	common := webui.Common(webui.Headers{
		FrameOptions: "DENY",
		CSP:          "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
	}, s.errorPage)
	pub := func(m, path string, h echo.HandlerFunc) { e.Add(m, path, h, common, s.csrf.Middleware, s.session) }
	org := func(m, path string, h echo.HandlerFunc) {
		e.Add(m, path, h, common, s.csrf.Middleware, s.session, s.requireOrganizer)
	}
	// org pages of one conference: the tenant check runs before the handler.
	conf := func(m, path string, h echo.HandlerFunc) {
		e.Add(m, "/org/conferences/:cid"+path, h, common, s.csrf.Middleware, s.session, s.requireOrganizer, s.loadConference)
	}

	// Registrant pages.
	pub(http.MethodGet, "/", s.home)
	pub(http.MethodGet, "/c/:slug", s.conferencePage)
	pub(http.MethodPost, "/c/:slug", s.placeOrder)
	pub(http.MethodGet, "/c/:slug/waitlist/:sid", s.waitlistForm)
	pub(http.MethodPost, "/c/:slug/waitlist/:sid", s.joinWaitlist)
	pub(http.MethodGet, "/c/:slug/waitlist/:sid/joined", s.waitlistJoined)
	pub(http.MethodGet, "/c/:slug/waitlist/offers/:eid", s.offerForm)
	pub(http.MethodPost, "/c/:slug/waitlist/offers/:eid", s.takeOffer)
	pub(http.MethodPost, "/c/:slug/waitlist/offers/:eid/decline", s.declineOffer)
	pub(http.MethodGet, "/orders/:oid", s.orderPage)
	pub(http.MethodGet, "/orders/:oid/state", s.orderState)
	pub(http.MethodPost, "/orders/:oid/registrant", s.setRegistrant)
	pub(http.MethodPost, "/orders/:oid/pay", s.startPayment)
	pub(http.MethodGet, "/orders/:oid/attendees", s.attendeesForm)
	pub(http.MethodPost, "/orders/:oid/attendees", s.assignAttendees)
	pub(http.MethodGet, "/orders/:oid/tickets.pdf", s.orderTickets)
	pub(http.MethodGet, "/find", s.findForm)
	pub(http.MethodPost, "/find", s.findOrder)
	pub(http.MethodGet, "/pay/:pid", s.paymentPage)
	pub(http.MethodPost, "/pay/:pid", s.decidePayment)

	// Organizer accounts.
	pub(http.MethodGet, "/org/signup", s.signUpForm)
	pub(http.MethodPost, "/org/signup", s.signUp)
	pub(http.MethodGet, "/org/signin", s.signInForm)
	pub(http.MethodPost, "/org/signin", s.signIn)
	pub(http.MethodPost, "/org/signout", s.signOut)
	pub(http.MethodGet, "/org/signin/forgot", s.forgotForm)
	pub(http.MethodPost, "/org/signin/forgot", s.forgotPassword)
	pub(http.MethodGet, "/org/signin/reset/:token", s.resetForm)
	pub(http.MethodPost, "/org/signin/reset/:token", s.resetPassword)

	// Organizer back office.
	org(http.MethodGet, "/org", s.conferenceList)
	s.tokenRoutes(org)
	org(http.MethodGet, "/org/conferences/new", s.newConferenceForm)
	org(http.MethodPost, "/org/conferences/new", s.createConference)
	conf(http.MethodGet, "", s.conferenceOverview)
	conf(http.MethodGet, "/edit", s.editConferenceForm)
	conf(http.MethodPost, "/edit", s.updateConference)
	conf(http.MethodPost, "/publish", s.publish)
	conf(http.MethodPost, "/unpublish", s.unpublish)
	conf(http.MethodGet, "/seat-types/new", s.newSeatTypeForm)
	conf(http.MethodPost, "/seat-types/new", s.addSeatType)
	conf(http.MethodGet, "/seat-types/:sid", s.editSeatTypeForm)
	conf(http.MethodPost, "/seat-types/:sid", s.updateSeatType)
	conf(http.MethodGet, "/live", s.liveStream)
	conf(http.MethodGet, "/orders", s.orderList)
	conf(http.MethodGet, "/orders/:oid", s.orderDetail)
	conf(http.MethodPost, "/orders/:oid/cancel", s.cancelOrder)
	conf(http.MethodGet, "/attendees", s.attendeeList)
	conf(http.MethodGet, "/attendees.csv", s.attendeesCSV)
	conf(http.MethodGet, "/waitlist", s.waitlist)
	conf(http.MethodGet, "/promo-codes", s.promoCodes)
	conf(http.MethodPost, "/promo-codes", s.addPromoCode)
	conf(http.MethodGet, "/promo-codes/:pcid", s.editPromoCode)
	conf(http.MethodPost, "/promo-codes/:pcid", s.updatePromoCode)
	conf(http.MethodPost, "/promo-codes/:pcid/remove", s.removePromoCode)
	conf(http.MethodGet, "/badges", s.badgesPage)
	conf(http.MethodPost, "/badges", s.startBadges)
	conf(http.MethodGet, "/badges/:job", s.badgeJobState)
	conf(http.MethodGet, "/badges/:job/pdf", s.badgeJobPDF)
	conf(http.MethodGet, "/attendance", s.attendancePage)
	conf(http.MethodGet, "/attendance/live", s.attendanceStream)
	conf(http.MethodGet, "/kiosks", s.kioskList)
	conf(http.MethodPost, "/kiosks", s.createKiosk)
	conf(http.MethodPost, "/kiosks/:kid/revoke", s.revokeKiosk)
	conf(http.MethodPost, "/kiosks/:kid/cancel-pairing", s.cancelPairing)
	conf(http.MethodPost, "/kiosks/on-site-sales/:sid/close", s.closeOnSiteSales)
	conf(http.MethodGet, "/conflicts", s.conflictList)
	conf(http.MethodPost, "/conflicts/:num/resolve", s.resolveConflict)
	conf(http.MethodGet, "/mail", s.mailList)
	conf(http.MethodGet, "/mail/:mid", s.mailView)
	conf(http.MethodGet, "/mail/:mid/eml", s.mailFile)
	conf(http.MethodGet, "/mail/:mid/html", s.mailHTML)
	conf(http.MethodPost, "/mail/:mid/resend", s.resendMail)
	return nil
}

// errorPage answers an error a handler returned as a page (webui.Common):
// nothing a visitor sends yields a bare 500.
func (s *site) errorPage(c echo.Context, err error) error {
	if errors.Is(err, errNoReads) {
		return s.render(c, http.StatusServiceUnavailable, "error", view{Title: "Not available", Data: errorPage{
			Heading: "Not available yet", Message: "This page needs the hub's read models, which this hub does not run."}})
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if he.Code == http.StatusNotFound {
			return s.notFound(c)
		}
		return s.render(c, he.Code, "error", view{Title: http.StatusText(he.Code), Data: errorPage{
			Heading: http.StatusText(he.Code), Message: fmt.Sprint(he.Message)}})
	}
	if sqldb.IsUnavailable(err) {
		s.hub.Log.Warn("web page: database unavailable", "path", c.Request().URL.Path, "err", err)
		c.Response().Header().Set("Retry-After", "5")
		return s.render(c, http.StatusServiceUnavailable, "error", view{Title: "Try again shortly", Data: errorPage{
			Heading: "Try again in a moment", Message: "The hub cannot reach its database right now. Nothing was changed; please try again shortly."}})
	}
	s.hub.Log.Error("web page failed", "path", c.Request().URL.Path, "err", err)
	return s.render(c, http.StatusInternalServerError, "error", view{Title: "Something went wrong", Data: errorPage{
		Heading: "Something went wrong", Message: "The hub could not finish this request. Nothing was changed unless the page says so; please try again.",
	}})
}
