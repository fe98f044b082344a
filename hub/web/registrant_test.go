package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/hubapp/hubtest"
	"conference/shared/registrations"
)

// orderID is the order a post to /c/:slug redirected to.
func orderID(t testing.TB, p page) uuid.UUID {
	t.Helper()
	p.wantRedirect(t, "/orders/")
	id, err := uuid.Parse(strings.TrimPrefix(p.location, "/orders/"))
	if err != nil {
		t.Fatalf("order id from %q: %v", p.location, err)
	}
	return id
}

// waitStatus polls the order's state as the page's script does.
func (b *browser) waitStatus(id uuid.UUID, status registrations.OrderStatus) {
	b.t.Helper()
	hubtest.Eventually(b.t, 10*time.Second, "order "+string(status), func() error {
		p := b.get("/orders/" + id.String() + "/state")
		if p.status != http.StatusOK {
			return fmt.Errorf("state: %d", p.status)
		}
		var st struct{ Status string }
		if err := json.Unmarshal([]byte(p.body), &st); err != nil {
			return err
		}
		if st.Status != string(status) {
			return fmt.Errorf("status %q", st.Status)
		}
		return nil
	})
}

// pay follows "Pay" to the processor's page and returns its path.
func (b *browser) pay(id uuid.UUID) string {
	b.t.Helper()
	var to string
	hubtest.Eventually(b.t, 10*time.Second, "payment page", func() error {
		p := b.post("/orders/"+id.String()+"/pay", nil)
		if !strings.HasPrefix(p.location, "/pay/") {
			return fmt.Errorf("pay redirected to %q", p.location)
		}
		to = p.location
		return nil
	})
	return to
}

var accessCodeRE = regexp.MustCompile(`id="access-code">([A-Z0-9-]+)<`)

func TestRegistrantBuysPaysAndFindsTheOrderAgain(t *testing.T) {
	th := startHub(t, Options{})
	fx := hubtest.PublishedConference(t, th.hub)
	b := th.browser()
	b.get("/").want(t, http.StatusOK, fx.Slug)
	b.get("/c/"+fx.Slug).want(t, http.StatusOK, "Conference pass", "299.00 EUR", "Free", "Workshop")

	// Bad quantities are refused by their field, keeping what was typed.
	b.post("/c/"+fx.Slug, url.Values{"qty_" + fx.Paid.String(): {"two"}}).
		want(t, http.StatusUnprocessableEntity, `id="q-`+fx.Paid.String()+`-error"`, `value="two"`)
	b.post("/c/"+fx.Slug, url.Values{}).want(t, http.StatusUnprocessableEntity, "Choose how many seats")
	b.post("/c/"+fx.Slug, url.Values{"qty_" + fx.Paid.String(): {"1"}, "promo": {"NOPE"}}).
		want(t, http.StatusUnprocessableEntity, `id="f-promo-error"`, "does not exist", `value="NOPE"`)

	id := orderID(t, b.post("/c/"+fx.Slug, url.Values{"qty_" + fx.Paid.String(): {"2"}, "qty_" + fx.Workshop.String(): {"1"}}))
	b.waitStatus(id, registrations.OrderStatusReserved)
	b.get("/orders/"+id.String()).want(t, http.StatusOK, "Reserved for you", "647.00 EUR", "data-expires", `id="f-name"`)

	// Registrant details: errors by the field; then saved.
	b.post("/orders/"+id.String()+"/registrant", url.Values{"name": {"Ada Lovelace"}, "email": {"ada"}}).
		want(t, http.StatusUnprocessableEntity, `id="f-email-error"`, `value="Ada Lovelace"`)
	b.post("/orders/"+id.String()+"/registrant", url.Values{"name": {"Ada Lovelace"}, "email": {"ada@example.com"}}).
		wantRedirect(t, "/orders/"+id.String())

	// Another browser cannot open the order or its payment.
	stranger := th.browser()
	stranger.get("/orders/"+id.String()).want(t, http.StatusNotFound)
	payPage := b.pay(id)
	stranger.get(payPage).want(t, http.StatusNotFound)

	// Declined first, then accepted.
	b.get(payPage).want(t, http.StatusOK, "Pay 647.00 EUR", `id="accept"`, `id="reject"`)
	b.post(payPage, url.Values{"decision": {"reject"}}).wantRedirect(t, "/orders/"+id.String())
	b.get("/orders/"+id.String()).want(t, http.StatusOK, "Your last payment was declined", `id="pay-button"`)
	b.post(payPage, url.Values{"decision": {"accept"}}).want(t, http.StatusSeeOther) // already rejected: told so
	payPage = b.pay(id)
	b.post(payPage, url.Values{"decision": {"accept"}}).wantRedirect(t, "/orders/"+id.String())
	b.waitStatus(id, registrations.OrderStatusConfirmed)
	p := b.get("/orders/" + id.String())
	p.want(t, http.StatusOK, "You are registered")
	m := accessCodeRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no access code on the confirmation:\n%s", excerpt(p.body))
	}
	code := m[1]

	// Find it again from another browser: a wrong code is refused the
	// same way as a wrong email; the right pair opens the order.
	stranger.post("/find", url.Values{"code": {"ZZZZ-ZZZZ"}, "email": {"ada@example.com"}}).
		want(t, http.StatusNotFound, `id="f-code-error"`, "No order has this access code and email", `value="ZZZZ-ZZZZ"`)
	stranger.post("/find", url.Values{"code": {code}, "email": {"eve@example.com"}}).
		want(t, http.StatusNotFound, "No order has this access code and email")
	hubtest.Eventually(t, 10*time.Second, "order found by access code", func() error {
		p := stranger.post("/find", url.Values{"code": {strings.ToLower(code)}, "email": {"ADA@example.com"}})
		if p.location != "/orders/"+id.String() {
			return fmt.Errorf("find answered %d %q", p.status, p.location)
		}
		return nil
	})
	stranger.get("/orders/"+id.String()).want(t, http.StatusOK, code)
}

func TestFindOrderIsRateLimited(t *testing.T) {
	th := startHub(t, Options{LookupRate: 2})
	b := th.browser()
	for range 2 {
		b.post("/find", url.Values{"code": {"AAAA-BBBB"}, "email": {"x@example.com"}}).want(t, http.StatusNotFound)
	}
	b.post("/find", url.Values{"code": {"AAAA-BBBB"}, "email": {"x@example.com"}}).want(t, http.StatusTooManyRequests, "Too many attempts")
}

func TestSoldOutMidPurchaseIsExplained(t *testing.T) {
	th := startHub(t, Options{})
	fx := hubtest.PublishedConference(t, th.hub)
	ctx := context.Background()
	first, second := th.browser(), th.browser()
	// The second registrant sees the workshop on sale...
	second.get("/c/"+fx.Slug).want(t, http.StatusOK, `name="qty_`+fx.Workshop.String()+`"`)
	// ...the first buys every seat, then the second submits: refused by
	// the field, with what was typed kept.
	a := orderID(t, first.post("/c/"+fx.Slug, url.Values{"qty_" + fx.Workshop.String(): {fmt.Sprint(hubtest.WorkshopQuota)}}))
	first.waitStatus(a, registrations.OrderStatusReserved)
	second.post("/c/"+fx.Slug, url.Values{"qty_" + fx.Workshop.String(): {"2"}}).
		want(t, http.StatusUnprocessableEntity, `id="q-`+fx.Workshop.String()+`-error"`, "Sold out")
	second.get("/c/"+fx.Slug).want(t, http.StatusOK, "Sold out")

	// An order placed while the last seats were being taken is rejected,
	// and its page says so.
	seats := func(n int) registrations.Seats { return registrations.Seats{{SeatType: fx.Paid, Quantity: n}} }
	if _, err := th.hub.Registrations.PlaceOrder(ctx, fx.ConferenceID, seats(hubtest.PaidQuota), "", time.Now()); err != nil {
		t.Fatal(err)
	}
	late, err := th.hub.Registrations.PlaceOrder(ctx, fx.ConferenceID, seats(2), "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := th.hub.Registrations.SetRegistrant(ctx, late.OrderID, "Late Comer", "late@example.com"); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitForOrder(t, th.hub, late.OrderID, registrations.OrderStatusRejected)
	hubtest.Eventually(t, 10*time.Second, "late order found", func() error {
		p := second.post("/find", url.Values{"code": {late.AccessCode}, "email": {"late@example.com"}})
		if p.location != "/orders/"+late.OrderID.String() {
			return fmt.Errorf("find answered %d %q", p.status, p.location)
		}
		return nil
	})
	second.get("/orders/"+late.OrderID.String()).want(t, http.StatusOK, "No seats could be reserved", "sold out while you were ordering")

	// A partial reservation says what was and was not reserved.
	c := orderID(t, second.post("/c/"+fx.Slug, url.Values{"qty_" + fx.Free.String(): {fmt.Sprint(hubtest.FreeQuota - 1)}}))
	second.waitStatus(c, registrations.OrderStatusConfirmed) // free: no payment
	third := th.browser()
	// The page still offers one seat; ask for three of them.
	d := orderID(t, third.post("/c/"+fx.Slug, url.Values{"qty_" + fx.Free.String(): {"3"}}))
	third.waitStatus(d, registrations.OrderStatusConfirmed)
	third.get("/orders/"+d.String()).want(t, http.StatusOK, "Only part of your order could be reserved", "2 seats of Community day")
}
