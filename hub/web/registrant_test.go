package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/hubapp/hubtest"
	"conference/shared/registrations"
	"conference/shared/webui/webuitest"
)

// orderID is the order a post to /c/:slug redirected to.
func orderID(t testing.TB, p page) uuid.UUID {
	t.Helper()
	p.WantRedirect(t, "/orders/")
	id, err := uuid.Parse(strings.TrimPrefix(p.Location, "/orders/"))
	if err != nil {
		t.Fatalf("order id from %q: %v", p.Location, err)
	}
	return id
}

// waitStatus polls the order's state as the page's script does.
func (b *browser) waitStatus(id uuid.UUID, status registrations.OrderStatus) {
	b.T.Helper()
	hubtest.Eventually(b.T, 10*time.Second, "order "+string(status), func() error {
		p := b.Get("/orders/" + id.String() + "/state")
		if p.Status != http.StatusOK {
			return fmt.Errorf("state: %d", p.Status)
		}
		var st struct{ Status string }
		if err := json.Unmarshal([]byte(p.Body), &st); err != nil {
			return err
		}
		if st.Status != string(status) {
			return fmt.Errorf("status %q", st.Status)
		}
		return nil
	})
}

// giveDetails saves the registrant's details on the order page's form.
func (b *browser) giveDetails(id uuid.UUID, name, email string) {
	b.T.Helper()
	b.Post("/orders/"+id.String()+"/registrant", url.Values{"name": {name}, "email": {email}}).
		WantRedirect(b.T, "/orders/"+id.String())
}

// pay follows "Pay" to the processor's page and returns its path.
func (b *browser) pay(id uuid.UUID) string {
	b.T.Helper()
	var to string
	hubtest.Eventually(b.T, 10*time.Second, "payment page", func() error {
		p := b.Post("/orders/"+id.String()+"/pay", nil)
		if !strings.HasPrefix(p.Location, "/pay/") {
			return fmt.Errorf("pay redirected to %q", p.Location)
		}
		to = p.Location
		return nil
	})
	return to
}

var accessCodeRE = regexp.MustCompile(`id="access-code">([A-Z0-9-]+)<`)

func TestRegistrantBuysPaysAndFindsTheOrderAgain(t *testing.T) {
	th := startHub(t, Options{})
	fx := hubtest.PublishedConference(t, th.hub)
	b := th.browser()
	b.Get("/").Want(t, http.StatusOK, fx.Slug)
	b.Get("/c/"+fx.Slug).Want(t, http.StatusOK, "Conference pass", "299.00 EUR", "Free", "Workshop")

	// Bad quantities are refused by their field, keeping what was typed.
	b.Post("/c/"+fx.Slug, url.Values{"qty_" + fx.Paid.String(): {"two"}}).
		Want(t, http.StatusUnprocessableEntity, `id="q-`+fx.Paid.String()+`-error"`, `value="two"`)
	b.Post("/c/"+fx.Slug, url.Values{}).Want(t, http.StatusUnprocessableEntity, "Choose how many seats")
	b.Post("/c/"+fx.Slug, url.Values{"qty_" + fx.Paid.String(): {"1"}, "promo": {"NOPE"}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-promo-error"`, "does not exist", `value="NOPE"`)

	id := orderID(t, b.Post("/c/"+fx.Slug, url.Values{"qty_" + fx.Paid.String(): {"2"}, "qty_" + fx.Workshop.String(): {"1"}}))
	b.waitStatus(id, registrations.OrderStatusReserved)
	b.Get("/orders/"+id.String()).Want(t, http.StatusOK, "Reserved for you", "647.00 EUR", "data-expires", `id="f-name"`)

	// Registrant details: errors by the field; then saved.
	b.Post("/orders/"+id.String()+"/registrant", url.Values{"name": {"Ada Lovelace"}, "email": {"ada"}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-email-error"`, `value="Ada Lovelace"`)
	b.Post("/orders/"+id.String()+"/registrant", url.Values{"name": {"Ada Lovelace"}, "email": {"ada@example.com"}}).
		WantRedirect(t, "/orders/"+id.String())

	// Another browser cannot open the order or its payment.
	stranger := th.browser()
	stranger.Get("/orders/"+id.String()).Want(t, http.StatusNotFound)
	payPage := b.pay(id)
	stranger.Get(payPage).Want(t, http.StatusNotFound)

	// Declined first, then accepted.
	b.Get(payPage).Want(t, http.StatusOK, "Pay 647.00 EUR", `id="accept"`, `id="reject"`)
	b.Post(payPage, url.Values{"decision": {"reject"}}).WantRedirect(t, "/orders/"+id.String())
	b.Get("/orders/"+id.String()).Want(t, http.StatusOK, "Your last payment was declined", `id="pay-button"`)
	b.Post(payPage, url.Values{"decision": {"accept"}}).Want(t, http.StatusSeeOther) // already rejected: told so
	payPage = b.pay(id)
	b.Post(payPage, url.Values{"decision": {"accept"}}).WantRedirect(t, "/orders/"+id.String())
	b.waitStatus(id, registrations.OrderStatusConfirmed)
	p := b.Get("/orders/" + id.String())
	p.Want(t, http.StatusOK, "You are registered")
	m := accessCodeRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no access code on the confirmation:\n%s", webuitest.Excerpt(p.Body))
	}
	code := m[1]

	// Find it again from another browser: a wrong code is refused the
	// same way as a wrong email; the right pair opens the order.
	stranger.Post("/find", url.Values{"code": {"ZZZZ-ZZZZ"}, "email": {"ada@example.com"}}).
		Want(t, http.StatusNotFound, `id="f-code-error"`, "No order has this access code and email", `value="ZZZZ-ZZZZ"`)
	stranger.Post("/find", url.Values{"code": {code}, "email": {"eve@example.com"}}).
		Want(t, http.StatusNotFound, "No order has this access code and email")
	hubtest.Eventually(t, 10*time.Second, "order found by access code", func() error {
		p := stranger.Post("/find", url.Values{"code": {strings.ToLower(code)}, "email": {"ADA@example.com"}})
		if p.Location != "/orders/"+id.String() {
			return fmt.Errorf("find answered %d %q", p.Status, p.Location)
		}
		return nil
	})
	stranger.Get("/orders/"+id.String()).Want(t, http.StatusOK, code)
}

func TestTheRegistrantGivesDetailsBeforePaymentAndSeesEveryErrorAtOnce(t *testing.T) {
	th := startHub(t, Options{})
	fx := hubtest.PublishedConference(t, th.hub)
	b := th.browser()
	id := orderID(t, b.Post("/c/"+fx.Slug, url.Values{"qty_" + fx.Paid.String(): {"1"}}))
	b.waitStatus(id, registrations.OrderStatusReserved)
	order := "/orders/" + id.String()
	b.Get(order).Want(t, http.StatusOK, "Save your details above to continue to payment").Lacks(t, `id="pay-button"`)

	// Payment cannot start before the details.
	b.Post(order+"/pay", nil).WantRedirect(t, order+"#registrant")
	b.Get(order).Want(t, http.StatusOK, "Enter your name and email first")
	if pays, err := th.hub.Payments.ForOrder(context.Background(), id); err != nil || len(pays) != 0 {
		t.Fatalf("payments before the registrant's details: %+v, %v", pays, err)
	}

	// Both fields wrong: both errors at once, each by its field.
	b.Post(order+"/registrant", url.Values{"name": {" "}, "email": {"ana@example"}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-name-error"`, "Enter your name",
			`id="f-email-error"`, "Email must end in a domain name such as example.com after the @", `value="ana@example"`)
	b.giveDetails(id, "Ana Lima", "ana@example.com")
	b.Get(order).Want(t, http.StatusOK, `id="pay-button"`)
	b.pay(id)
}

func TestAFreeOrderIsConfirmedOnceTheRegistrantGivesDetails(t *testing.T) {
	th := startHub(t, Options{})
	fx := hubtest.PublishedConference(t, th.hub)
	b := th.browser()
	id := orderID(t, b.Post("/c/"+fx.Slug, url.Values{"qty_" + fx.Free.String(): {"2"}}))
	b.waitStatus(id, registrations.OrderStatusReserved)
	order := "/orders/" + id.String()
	b.Get(order).Want(t, http.StatusOK, `id="confirm-hint"`, `id="f-name"`).Lacks(t, "Confirming your order")

	b.giveDetails(id, "Ana Lima", "ana@example.com")
	b.waitStatus(id, registrations.OrderStatusConfirmed)
	b.Get(order).Want(t, http.StatusOK, "You are registered")
}

func TestFindOrderIsRateLimited(t *testing.T) {
	th := startHub(t, Options{LookupRate: 2})
	b := th.browser()
	for range 2 {
		b.Post("/find", url.Values{"code": {"AAAA-BBBB"}, "email": {"x@example.com"}}).Want(t, http.StatusNotFound)
	}
	// An email no order can have is refused by its field, spending no guess.
	b.Post("/find", url.Values{"code": {"AAAA-BBBB"}, "email": {"x@example"}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-email-error"`, "Email must end in a domain name")
	// The same code however typed is the same target.
	p := b.Post("/find", url.Values{"code": {"aaaa bbbb"}, "email": {"y@example.com"}})
	p.Want(t, http.StatusTooManyRequests, "Too many wrong attempts", `id="f-code-error"`)
	// Two a minute: the next guess is possible within 30 s.
	if ra, err := strconv.Atoi(p.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 30 {
		t.Fatalf("Retry-After %q, want 1 to 30 seconds", p.Header.Get("Retry-After"))
	}
}

func TestFindingOrdersIsNotLockedByOtherPeoplesSuccesses(t *testing.T) {
	// Strict limits: 2 wrong guesses a minute per code or email, 3 per
	// address.
	th := startHub(t, Options{LookupRate: 2, LookupAddressRate: 3})
	fx := hubtest.PublishedConference(t, th.hub)
	type found struct {
		id          uuid.UUID
		code, email string
	}
	var orders []found
	for i := range hubtest.FreeQuota {
		email := fmt.Sprintf("reg%d@example.com", i)
		placed, err := th.hub.Registrations.PlaceOrder(context.Background(), fx.ConferenceID,
			registrations.Seats{{SeatType: fx.Free, Quantity: 1}}, "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := th.hub.Registrations.SetRegistrant(context.Background(), placed.OrderID, "Reg", email); err != nil {
			t.Fatal(err)
		}
		orders = append(orders, found{placed.OrderID, placed.AccessCode, email})
	}
	caughtUp(t, th.hub)
	// Everyone behind the venue's one address finds their order, more
	// than once, and one of them mistypes twice on the way.
	venue := th.browser()
	venue.Post("/find", url.Values{"code": {"ZZZZ-ZZZZ"}, "email": {orders[0].email}}).Want(t, http.StatusNotFound)
	venue.Post("/find", url.Values{"code": {orders[0].code}, "email": {"typo@example.com"}}).Want(t, http.StatusNotFound)
	for round := range 3 {
		for _, o := range orders {
			p := venue.Post("/find", url.Values{"code": {o.code}, "email": {o.email}})
			if p.Location != "/orders/"+o.id.String() {
				t.Fatalf("round %d: finding %s answered %d %q", round, o.code, p.Status, p.Location)
			}
		}
	}
}

func TestSeatsTakenWhileOnThePageAreExplainedByTheField(t *testing.T) {
	th := startHub(t, Options{})
	fx := hubtest.PublishedConference(t, th.hub)
	first, second := th.browser(), th.browser()
	// The second registrant sees the workshop on sale...
	second.Get("/c/"+fx.Slug).Want(t, http.StatusOK, `name="qty_`+fx.Workshop.String()+`"`)
	// ...the first reserves every seat, then the second submits: refused
	// by the field, saying the seats are held rather than sold.
	a := orderID(t, first.Post("/c/"+fx.Slug, url.Values{"qty_" + fx.Workshop.String(): {fmt.Sprint(hubtest.WorkshopQuota)}}))
	first.waitStatus(a, registrations.OrderStatusReserved)
	second.Post("/c/"+fx.Slug, url.Values{"qty_" + fx.Workshop.String(): {"2"}}).
		Want(t, http.StatusUnprocessableEntity, `id="q-`+fx.Workshop.String()+`-error"`, "None left", "held by an order awaiting payment", "Nothing was reserved")
	second.Get("/c/"+fx.Slug).Want(t, http.StatusOK, "All held; may come back")
}

func TestTheReservationCountdownSaysTheConferencesTime(t *testing.T) {
	th := startHub(t, Options{})
	ctx := context.Background()
	fx := hubtest.PublishedConference(t, th.hub)
	// Tokyo is nine hours ahead of UTC all year.
	c, err := th.hub.Conferences.GetConference(ctx, fx.OrganizerID, fx.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	d := c.ConferenceDetails
	d.TimeZone = "Asia/Tokyo"
	if _, err = th.hub.Conferences.UpdateConference(ctx, fx.OrganizerID, fx.ConferenceID, d); err != nil {
		t.Fatal(err)
	}
	hubtest.Eventually(t, 10*time.Second, "the read models to have the new zone", func() error {
		v, err := th.hub.Reads.Conference(ctx, fx.ConferenceID)
		if err == nil && v.TimeZone != "Asia/Tokyo" {
			return errors.New("still " + v.TimeZone)
		}
		return err
	})

	b := th.browser()
	id := orderID(t, b.Post("/c/"+fx.Slug, url.Values{"qty_" + fx.Paid.String(): {"1"}}))
	b.waitStatus(id, registrations.OrderStatusReserved)
	o, err := th.hub.Registrations.GetOrder(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	tokyo := o.ExpiresAt.In(time.FixedZone("JST", 9*3600)).Format("15:04 JST")
	b.Get("/orders/"+id.String()).Want(t, http.StatusOK, `id="expires-at">`+tokyo+`<`).Lacks(t, o.ExpiresAt.UTC().Format("15:04 UTC"))
}
