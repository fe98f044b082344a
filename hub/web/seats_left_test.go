package web

import (
	"context"
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

// seatRow is the conference page's table row of a seat type.
func seatRow(t *testing.T, body string, seatType uuid.UUID) string {
	t.Helper()
	row := rowOf(body, `data-seat-type="`+seatType.String()+`"`)
	if row == "" {
		t.Fatalf("no row for seat type %s on the page", seatType)
	}
	return row
}

// reserveWorkshop reserves n workshop seats for an unpaid order, and waits
// until the log is still.
func reserveWorkshop(t *testing.T, th *testHub, fx hubtest.Fixture, n int) uuid.UUID {
	t.Helper()
	placed, err := th.hub.Registrations.PlaceOrder(context.Background(), fx.ConferenceID,
		registrations.Seats{{SeatType: fx.Workshop, Quantity: n}}, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Payment starts once the registrant is named.
	if err := th.hub.Registrations.SetRegistrant(context.Background(), placed.OrderID, "Holder", "holder@example.com"); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitForAwaitingPayment(t, th.hub, placed.OrderID)
	hubtest.WaitForMessagesDelivered(t, th.hub)
	return placed.OrderID
}

func TestAskingForMoreThanIsLeftIsRefusedByTheFieldAndChangesNothing(t *testing.T) {
	th := startHub(t, Options{})
	fx := hubtest.PublishedConference(t, th.hub)
	reserveWorkshop(t, th, fx, 2)
	left := hubtest.WorkshopQuota - 2
	b := th.browser()

	// The quantity field never offers more than are left.
	row := seatRow(t, b.Get("/c/"+fx.Slug).Want(t, http.StatusOK).Body, fx.Workshop)
	if !strings.Contains(row, fmt.Sprintf(`<td class="num">%d`, left)) || !strings.Contains(row, fmt.Sprintf(`max="%d"`, left)) {
		t.Fatalf("workshop row should show %d left and cap the quantity at %d:\n%s", left, left, row)
	}

	// Asking for 50 anyway: refused next to the field with what is left,
	// the form kept as typed, and nothing recorded.
	head, err := th.hub.Store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p := b.Post("/c/"+fx.Slug, url.Values{"qty_" + fx.Workshop.String(): {"50"}, "qty_" + fx.Paid.String(): {"1"}, "promo": {"DEMO"}})
	p.Want(t, http.StatusUnprocessableEntity, `id="q-`+fx.Workshop.String()+`-error"`,
		fmt.Sprintf("Only %d left", left), `value="50"`, `value="DEMO"`)
	if after, _ := th.hub.Store.Head(context.Background()); after != head {
		t.Fatalf("a refused order moved the log head from %d to %d", head, after)
	}
	a, err := th.hub.Registrations.Availability(context.Background(), fx.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Remaining(fx.Workshop) != left || a.Remaining(fx.Paid) != hubtest.PaidQuota {
		t.Fatalf("remaining %d workshop, %d paid; want %d and %d untouched", a.Remaining(fx.Workshop), a.Remaining(fx.Paid), left, hubtest.PaidQuota)
	}

	// Asking for what is left is reserved in full.
	id := orderID(t, b.Post("/c/"+fx.Slug, url.Values{"qty_" + fx.Workshop.String(): {fmt.Sprint(left)}}))
	b.waitStatus(id, registrations.OrderStatusReserved)
	b.Get("/orders/"+id.String()).Want(t, http.StatusOK, "Reserved for you").Lacks(t, "Only part of your order")
}

func TestSeatsHeldByUnpaidOrdersShowAsHeldWithTheWaitlistOffered(t *testing.T) {
	th := startHub(t, Options{})
	fx := hubtest.PublishedConference(t, th.hub)
	held := reserveWorkshop(t, th, fx, hubtest.WorkshopQuota)
	b := th.browser()

	row := seatRow(t, b.Get("/c/"+fx.Slug).Want(t, http.StatusOK).Body, fx.Workshop)
	for _, want := range []string{"All held; may come back", `href="/c/` + fx.Slug + `/waitlist/` + fx.Workshop.String() + `"`} {
		if !strings.Contains(row, want) {
			t.Fatalf("workshop row lacks %q:\n%s", want, row)
		}
	}
	if regexp.MustCompile(`Sold out|name="qty_`).MatchString(row) {
		t.Fatalf("workshop row says sold out or offers a quantity while its seats are only held:\n%s", row)
	}

	// The waitlist: bad input by the field, then joined.
	join := "/c/" + fx.Slug + "/waitlist/" + fx.Workshop.String()
	b.Get(join).Want(t, http.StatusOK, "Join the waitlist", "held by an order awaiting payment")
	b.Post(join, url.Values{"quantity": {"2"}, "name": {"Grace Hopper"}, "email": {""}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-email-error"`, `value="Grace Hopper"`)
	b.Post(join, url.Values{"quantity": {"2"}, "name": {"Grace Hopper"}, "email": {"grace@example.com"}}).WantRedirect(t, join+"/joined")
	b.Get(join+"/joined").Want(t, http.StatusOK, "You are on the waitlist for 2 seats of Workshop, as grace@example.com.", "held for you for 2 hours")
	b.Get(join+"/joined").WantRedirect(t, "/c/"+fx.Slug) // shown once
	b.Post(join, url.Values{"quantity": {"1"}, "name": {"Grace Hopper"}, "email": {"GRACE@example.com"}}).
		Want(t, http.StatusUnprocessableEntity, "already on the waitlist")
	w, err := th.hub.Registrations.Waitlist(context.Background(), fx.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(w.Waiting(fx.Workshop)); got != 1 {
		t.Fatalf("got %d waiting for the workshop, want 1", got)
	}

	// Paid, the seats are sold: the row says so, and the waitlist stays
	// offered.
	pay(t, th, held)
	hubtest.WaitForSold(t, th.hub, fx.ConferenceID, held)
	row = seatRow(t, b.Get("/c/"+fx.Slug).Want(t, http.StatusOK).Body, fx.Workshop)
	if !strings.Contains(row, "Sold out") || !strings.Contains(row, "Join the waitlist") {
		t.Fatalf("workshop row should say sold out and offer the waitlist:\n%s", row)
	}
	// A seat type with seats left sends the waitlist link back to the sale.
	b.Get("/c/"+fx.Slug+"/waitlist/"+fx.Paid.String()).WantRedirect(t, "/c/"+fx.Slug)
}

// pay accepts the payment the order's process asked for.
func pay(t *testing.T, th *testHub, orderID uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	if err := th.hub.Registrations.SetRegistrant(ctx, orderID, "Payer", "payer@example.com"); err != nil {
		t.Fatal(err)
	}
	hubtest.Eventually(t, 10*time.Second, "payment accepted", func() error {
		p, err := th.hub.Payments.Start(ctx, orderID)
		if err != nil {
			return err
		}
		_, err = th.hub.Payments.Accept(ctx, p.ID)
		return err
	})
}

// The one way to a partial order: seats another order takes between the
// page's check and the reservation. Three registrants submit while the
// hub's workers are held back, each asking for no more than is left; then
// the reservations run in order.
func TestSeatsTakenBetweenTheClickAndTheReservationMakeAPartialOrderThatSaysSo(t *testing.T) {
	th, start := startIdleHub(t, Options{})
	fx := hubtest.PublishedConference(t, th.hub)
	first, second, third := th.browser(), th.browser(), th.browser()
	a := orderID(t, first.Post("/c/"+fx.Slug, url.Values{"qty_" + fx.Workshop.String(): {"8"}}))
	b := orderID(t, second.Post("/c/"+fx.Slug, url.Values{"qty_" + fx.Workshop.String(): {"8"}}))
	c := orderID(t, third.Post("/c/"+fx.Slug, url.Values{"qty_" + fx.Workshop.String(): {"1"}}))
	if err := th.hub.Registrations.SetRegistrant(context.Background(), c, "Late Comer", "late@example.com"); err != nil {
		t.Fatal(err)
	}
	start()

	first.waitStatus(a, registrations.OrderStatusReserved)
	second.waitStatus(b, registrations.OrderStatusReserved)
	hubtest.Eventually(t, 10*time.Second, "the partial order explained", func() error {
		p := second.Get("/orders/" + b.String())
		if !strings.Contains(p.Body, "Only part of your order could be reserved") || !strings.Contains(p.Body, "6 seats of Workshop") {
			return fmt.Errorf("order page:\n%s", p.Body)
		}
		return nil
	})
	third.waitStatus(c, registrations.OrderStatusRejected)
	third.Get("/orders/"+c.String()).Want(t, http.StatusOK, "Your order was turned down", `id="rejection-reason">Reason: `,
		`id="order-total">0.00 EUR`)

	// The rejected order is found again by its code and email.
	o, err := th.hub.Registrations.GetOrder(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	stranger := th.browser()
	hubtest.Eventually(t, 10*time.Second, "late order found", func() error {
		p := stranger.Post("/find", url.Values{"code": {o.AccessCode}, "email": {"late@example.com"}})
		if p.Location != "/orders/"+c.String() {
			return fmt.Errorf("find answered %d %q", p.Status, p.Location)
		}
		return nil
	})
}
