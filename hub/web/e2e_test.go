//go:build e2e

package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/labstack/echo/v4"

	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/server"
	"conference/shared/browsertest"
	"conference/shared/registrations"
	"conference/shared/webui/webuitest"
)

// e2eHub is a real hub (SQLite file in a temp dir, workers running) served
// on loopback, with a clock the test can move to expire reservations.
type e2eHub struct {
	hub   *hubapp.Hub
	url   string
	clock *hubtest.Clock
}

func startE2E(t *testing.T) *e2eHub {
	t.Helper()
	clock := hubtest.NewClock()
	h := hubtest.OpenConfig(t, hubapp.Config{Now: clock.Now})
	e, err := server.New(h, func(e *echo.Echo) error { return Register(e, h, Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	// The test clock only moves when told; keep it near the wall clock so
	// countdowns in the browser make sense.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				clock.Advance(now.Sub(last))
				last = now
			}
		}
	}()
	return &e2eHub{hub: h, url: srv.URL, clock: clock}
}

func fill(b *browsertest.Browser, values map[string]string) {
	for id, v := range values {
		b.Run("fill "+id, chromedp.SendKeys(chromedp.ID(id), v))
	}
}

func TestE2EOrganizerPublishesAndRegistrantBuys(t *testing.T) {
	e := startE2E(t)
	org := browsertest.New(t)

	// The organizer signs up, creates a conference with seat types and publishes it.
	org.Run("open sign-up", chromedp.Navigate(e.url+"/org/signup"), chromedp.WaitVisible(chromedp.ID("f-email")))
	fill(org, map[string]string{"f-display-name": "Lisbon Gophers", "f-email": "org@example.com",
		"f-password": "correct horse battery", "f-password-again": "correct horse battery"})
	org.Screenshot("signup")
	org.Run("submit sign-up", chromedp.Click(chromedp.CSS("form button[type=submit]")))
	webuitest.WaitText(t, org, "Your conferences")
	org.Run("new conference", chromedp.Click(chromedp.CSS("a.primary[href='/org/conferences/new']")), chromedp.WaitVisible(chromedp.ID("f-name")))
	fill(org, map[string]string{"f-name": "GopherCon Lisbon", "f-slug": "gophercon-lisbon", "f-venue": "LX Factory",
		"f-tagline": "Go, by the river"})
	org.Run("dates", chromedp.SetValue(chromedp.ID("f-starts-at"), "2031-06-10T09:00"), chromedp.SetValue(chromedp.ID("f-ends-at"), "2031-06-11T18:00"))
	org.Run("save conference", chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, org, "No seat types yet")
	for _, st := range []struct{ name, price, quota string }{{"Conference pass", "299", "100"}, {"Workshop", "49.50", "3"}} {
		org.Run("add seat type", chromedp.Click(chromedp.CSS("a[href$='/seat-types/new']")), chromedp.WaitVisible(chromedp.ID("f-name")))
		fill(org, map[string]string{"f-name": st.name, "f-price": st.price, "f-quota": st.quota})
		org.Run("save seat type", chromedp.Click(chromedp.CSS("form button.primary")))
		webuitest.WaitText(t, org, st.name+" added")
	}
	org.Run("publish", chromedp.Click(chromedp.ID("publish")))
	webuitest.WaitText(t, org, "Published: registrants can now buy seats")
	org.Screenshot("conference-overview")

	// A registrant buys, in a browser of their own.
	reg := browsertest.New(t)
	reg.Run("home", chromedp.Navigate(e.url+"/"))
	webuitest.WaitText(t, reg, "GopherCon Lisbon")
	reg.Screenshot("home")
	reg.Run("open conference", chromedp.Click(chromedp.CSS("a[href='/c/gophercon-lisbon'].button")))
	webuitest.WaitText(t, reg, "Reserve seats")
	reg.Screenshot("conference")
	reg.Run("quantities",
		chromedp.SendKeys(chromedp.CSS("tr:nth-child(1) input.qty"), "2"),
		chromedp.SendKeys(chromedp.CSS("tr:nth-child(2) input.qty"), "1"),
		chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, reg, "Reserved for you")
	webuitest.WaitText(t, reg, "647.50 EUR")
	left := browsertest.Get(reg, "countdown", chromedp.Text(chromedp.CSS("[data-countdown]")))
	if !strings.Contains(left, ":") {
		t.Fatalf("countdown shows %q, want m:ss", left)
	}
	reg.Screenshot("reservation")

	// The organizer's overview follows without a reload.
	webuitest.WaitJS(t, org, "live counts", `[...document.querySelectorAll('tr[data-seat-type]')].some(r => r.textContent.includes('Workshop') && r.querySelector('[data-k=reserved]').textContent.trim() === '1')`)
	org.Screenshot("live-view")

	fill(reg, map[string]string{"f-name": "Ada Lovelace", "f-email": "ada@example.com"})
	reg.Run("save details", chromedp.Click(chromedp.CSS("#registrant + form button")))
	webuitest.WaitText(t, reg, "Thank you, Ada Lovelace")
	reg.Run("pay", chromedp.Click(chromedp.ID("pay-button")))
	webuitest.WaitText(t, reg, "FakePay")
	reg.Screenshot("payment")
	reg.Run("accept", chromedp.Click(chromedp.ID("accept")))
	webuitest.WaitText(t, reg, "You are registered")
	code := browsertest.Get(reg, "access code", chromedp.Text(chromedp.ID("access-code")))
	reg.Screenshot("confirmation")

	// The order is found again from a fresh browser with its code and email.
	other := browsertest.New(t)
	other.Run("find", chromedp.Navigate(e.url+"/find"), chromedp.WaitVisible(chromedp.ID("f-code")))
	fill(other, map[string]string{"f-code": strings.ToLower(code), "f-email": "ada@example.com"})
	other.Run("submit find", chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, other, code)
	webuitest.WaitText(t, other, "You are registered")

	// The organizer sees the order.
	org.Run("orders", chromedp.Click(chromedp.CSS(".subnav a[href$='/orders']")))
	webuitest.WaitText(t, org, code)
	webuitest.WaitText(t, org, "Ada Lovelace")
	org.Screenshot("orders")

	// Narrow screen: the pages stay readable on a phone.
	reg.Viewport(390, 844)
	reg.Run("phone conference page", chromedp.Navigate(e.url+"/c/gophercon-lisbon"))
	webuitest.WaitText(t, reg, "Reserve seats")
	reg.Screenshot("conference-phone")
}

func TestE2ESadPaths(t *testing.T) {
	e := startE2E(t)
	fx := hubtest.PublishedConference(t, e.hub)
	b := browsertest.New(t)
	buy := func(row int, n string) {
		b.Run("open conference", chromedp.Navigate(e.url+"/c/"+fx.Slug), chromedp.WaitVisible(chromedp.CSS("input.qty")))
		b.Run("order", chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("tbody tr:nth-child(%d) input.qty", row)), n),
			chromedp.Click(chromedp.CSS("form button.primary")))
	}

	// Payment rejected: the seats stay held and the registrant may retry.
	buy(1, "1")
	webuitest.WaitText(t, b, "Reserved for you")
	fill(b, map[string]string{"f-name": "Bob Declined", "f-email": "bob@example.com"})
	b.Run("save details", chromedp.Click(chromedp.CSS("#registrant + form button")))
	b.Run("pay", chromedp.WaitVisible(chromedp.ID("pay-button")), chromedp.Click(chromedp.ID("pay-button")))
	b.Run("decline", chromedp.WaitVisible(chromedp.ID("reject")), chromedp.Click(chromedp.ID("reject")))
	webuitest.WaitText(t, b, "Your last payment was declined")
	b.Screenshot("payment-declined")

	// The reservation expires: the page says so without a reload.
	e.clock.Advance(16 * time.Minute)
	webuitest.WaitText(t, b, "Your reservation expired")
	b.Screenshot("expired")

	// The workshop's last seats are taken (held for an unpaid order)
	// between loading the page and submitting.
	b.Run("open conference", chromedp.Navigate(e.url+"/c/"+fx.Slug), chromedp.WaitVisible(chromedp.CSS("tbody tr:nth-child(3) input.qty")))
	placed, err := e.hub.Registrations.PlaceOrder(context.Background(), fx.ConferenceID,
		registrations.Seats{{SeatType: fx.Workshop, Quantity: hubtest.WorkshopQuota}}, "", e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	hubtest.WaitForOrder(t, e.hub, placed.OrderID, registrations.OrderStatusReserved)
	b.Run("order the workshop", chromedp.SendKeys(chromedp.CSS("tbody tr:nth-child(3) input.qty"), "1"),
		chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, b, "None left: every seat is held by an order awaiting payment")
	webuitest.WaitText(t, b, "All held; may come back")
	webuitest.WaitText(t, b, "Join the waitlist")
	b.Screenshot("all-held")

	// More passes than are left: refused by the field, the number kept.
	b.Run("too many passes", chromedp.SendKeys(chromedp.CSS("tbody tr:nth-child(1) input.qty"), "150"),
		chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, b, fmt.Sprintf("Only %d left", hubtest.PaidQuota))
	if v := browsertest.Get(b, "quantity kept", chromedp.Value(chromedp.CSS("tbody tr:nth-child(1) input.qty"))); v != "150" {
		t.Fatalf("quantity field holds %q after the refusal, want what was typed", v)
	}
	b.Screenshot("only-n-left")

	// The held workshop offers the waitlist.
	b.Run("waitlist", chromedp.Click(chromedp.CSS("a.waitlist-link")), chromedp.WaitVisible(chromedp.ID("f-name")))
	fill(b, map[string]string{"f-name": "Grace Hopper", "f-email": "grace@example.com"})
	b.Screenshot("waitlist-join")
	b.Run("join", chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, b, "You are on the waitlist for 1 seat of Workshop, as grace@example.com.")
	b.Screenshot("waitlist-joined")

	// The held order is cancelled: a seat is offered to Grace, and the
	// link of her offer mail takes it (on a phone).
	w, err := e.hub.Registrations.Waitlist(context.Background(), fx.ConferenceID)
	if err != nil || len(w.Waiting(fx.Workshop)) != 1 {
		t.Fatalf("waitlist: %v", err)
	}
	entry := w.Waiting(fx.Workshop)[0].EntryID
	if err := e.hub.Registrations.CancelOrder(context.Background(), placed.OrderID, "plans changed"); err != nil {
		t.Fatal(err)
	}
	hubtest.Eventually(t, 10*time.Second, "the offer made", func() error {
		_, err := e.hub.Registrations.WaitlistOffer(context.Background(), fx.ConferenceID, entry)
		return err
	})
	b.Viewport(browsertest.PhoneWidth, browsertest.PhoneHeight)
	b.Run("offer link", chromedp.Navigate(e.url+"/c/"+fx.Slug+"/waitlist/offers/"+entry.String()), chromedp.WaitVisible(chromedp.ID("take")))
	webuitest.WaitText(t, b, "Seats held for you")
	b.WantFitsWidth("waitlist-offer-phone")
	b.Run("take", chromedp.Click(chromedp.ID("take")))
	webuitest.WaitText(t, b, "Reserved for you")
	b.Screenshot("waitlist-offer-taken")
	b.Viewport(1280, 900)

	// A wrong access code is refused next to the field, keeping what was typed.
	b.Run("find", chromedp.Navigate(e.url+"/find"), chromedp.WaitVisible(chromedp.ID("f-code")))
	fill(b, map[string]string{"f-code": "WRNG-CODE", "f-email": "bob@example.com"})
	b.Run("submit find", chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, b, "No order has this access code and email")
	if v := browsertest.Get(b, "code kept", chromedp.Value(chromedp.ID("f-code"))); v != "WRNG-CODE" {
		t.Fatalf("code field holds %q after the error, want what was typed", v)
	}
	b.Screenshot("wrong-access-code")
}
