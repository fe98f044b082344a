package web

import (
	"context"
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
	"conference/hub/payments"
	"conference/shared/registrations"
)

// paidOrder buys n Main hall seats (50 EUR each) as a registrant named
// name, pays them on the processor's page and returns the registrant's
// browser and the confirmed order.
func (th *testHub) paidOrder(t testing.TB, v venue, slug string, n int, name, email string) (*browser, uuid.UUID) {
	t.Helper()
	reg := th.browser()
	id := orderID(t, reg.Post("/c/"+slug, url.Values{"qty_" + v.mainHall.String(): {strconv.Itoa(n)}}))
	reg.waitStatus(id, registrations.OrderStatusReserved)
	reg.Post("/orders/"+id.String()+"/registrant", url.Values{"name": {name}, "email": {email}}).
		WantRedirect(t, "/orders/"+id.String())
	reg.Post(reg.pay(id), url.Values{"decision": {"accept"}}).WantRedirect(t, "/orders/"+id.String())
	reg.waitStatus(id, registrations.OrderStatusConfirmed)
	hubtest.WaitForSold(t, th.hub, v.conf, id)
	return reg, id
}

// seatCount is the count the organizer's overview shows for a seat type in
// column k (quota, sold, reserved, allocated, free).
func (b *browser) seatCount(conf, seatType uuid.UUID, k string) int {
	b.T.Helper()
	p := b.Get(confURL(conf, ""))
	re := regexp.MustCompile(`data-seat-type="` + seatType.String() + `">[\s\S]*?data-k="` + k + `">(\d+)<`)
	m := re.FindStringSubmatch(p.Body)
	if m == nil {
		b.T.Fatalf("overview shows no %s count for seat type %s", k, seatType)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestOrderListIsSearchedByCodeNameOrEmailAndFilteredByStatus(t *testing.T) {
	th := startHub(t, Options{})
	v := th.venue(t, "Search Summit", "search-summit")
	_, ada := th.paidOrder(t, v, "search-summit", 1, "Ada Lovelace", "ada@example.com")
	_, grace := th.paidOrder(t, v, "search-summit", 1, "Grace Hopper", "grace@navy.example")
	held := th.browser()
	reserved := orderID(t, held.Post("/c/search-summit", url.Values{"qty_" + v.mainHall.String(): {"1"}}))
	held.waitStatus(reserved, registrations.OrderStatusReserved)
	held.Post("/orders/"+reserved.String()+"/registrant", url.Values{"name": {"Edsger Dijkstra"}, "email": {"ewd@example.com"}})
	caughtUp(t, th.hub)
	code := func(id uuid.UUID) string {
		o, err := th.hub.Registrations.GetOrder(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return o.AccessCode
	}
	orders := confURL(v.conf, "/orders")

	cases := []struct {
		name, query string
		want, not   []string
	}{
		{"everything", "", []string{"Ada Lovelace", "Grace Hopper", "Edsger Dijkstra"}, nil},
		{"by part of a name, any case", "?q=LOVE", []string{"Ada Lovelace"}, []string{"Grace Hopper", "Edsger Dijkstra"}},
		{"by email", "?q=navy.example", []string{"Grace Hopper"}, []string{"Ada Lovelace", "Edsger Dijkstra"}},
		{"by access code as typed, lower case", "?q=" + url.QueryEscape(strings.ToLower(code(grace))), []string{"Grace Hopper", code(grace)}, []string{"Ada Lovelace"}},
		{"by status", "?status=reserved", []string{"Edsger Dijkstra"}, []string{"Ada Lovelace", "Grace Hopper"}},
		{"by status and name", "?status=confirmed&q=hopper", []string{"Grace Hopper"}, []string{"Ada Lovelace", "Edsger Dijkstra"}},
		{"an unknown status keeps all", "?status=bogus", []string{"Ada Lovelace", "Edsger Dijkstra"}, nil},
		{"nothing matches", "?q=nobody-at-all", []string{"No orders match."}, []string{"Ada Lovelace", "Grace Hopper", "Edsger Dijkstra"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v.org.Get(orders+tc.query).Want(t, http.StatusOK, tc.want...).Lacks(t, tc.not...)
		})
	}
	// The filter the list was drawn with stays in the form.
	v.org.Get(orders+"?status=confirmed&q=hopper").Want(t, http.StatusOK, `value="hopper"`, `value="confirmed" selected`)
	v.org.Get(orders).Want(t, http.StatusOK, `href="`+orders+"/"+ada.String()+`"`)
}

func TestCancellingAPaidOrderFreesItsSeatsAndRefundsIt(t *testing.T) {
	th := startHub(t, Options{})
	ctx := context.Background()
	v := th.venue(t, "Cancel Conf", "cancel-conf")
	_, order := th.paidOrder(t, v, "cancel-conf", 2, "Ada Lovelace", "ada@example.com")
	detail := confURL(v.conf, "/orders/"+order.String())
	cancel := detail + "/cancel"
	if sold := v.org.seatCount(v.conf, v.mainHall, "sold"); sold != 2 {
		t.Fatalf("main hall sold before cancelling: %d, want 2", sold)
	}
	unchanged := func(when string) {
		t.Helper()
		o, err := th.hub.Registrations.GetOrder(ctx, order)
		if err != nil || o.Status != registrations.OrderStatusConfirmed {
			t.Fatalf("%s: order %v, %v; want it still confirmed", when, o.Status, err)
		}
		if pays, _ := th.hub.Payments.ForOrder(ctx, order); len(pays) != 1 || pays[0].Status != payments.StatusAccepted {
			t.Fatalf("%s: payments %+v, want the one accepted payment", when, pays)
		}
	}

	// Without the form's CSRF token: refused, nothing changes.
	v.org.PostRaw(cancel, url.Values{"reason": {"forged"}}).Want(t, http.StatusForbidden)
	unchanged("after a post without a CSRF token")

	// Another organizer, through their own conference or the owner's: 404.
	other := th.browser()
	other.signUp("Other Org", "other@example.com")
	otherConf := other.createConference("Other Conf", "other-conf")
	other.Post(cancel, url.Values{"reason": {"hijack"}}).Want(t, http.StatusNotFound)
	other.Post(confURL(otherConf, "/orders/"+order.String()+"/cancel"), url.Values{"reason": {"hijack"}}).Want(t, http.StatusNotFound)
	// The owner's order through the owner's other conference: 404 too.
	second := v.org.createConference("Second Conf", "second-conf")
	v.org.Post(confURL(second, "/orders/"+order.String()+"/cancel"), nil).Want(t, http.StatusNotFound)
	unchanged("after posts through the wrong conference")

	// A reason longer than 500 characters is refused by its field, kept
	// as typed; the order is not cancelled.
	long := strings.Repeat("é", 501)
	v.org.Post(cancel, url.Values{"reason": {long}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-reason-error"`, "at most 500 characters", `value="`+long+`"`, "Cancel order")
	unchanged("after a too long reason")

	// Cancelled with a reason of exactly 500 characters: the seats go
	// back on sale and the payment is refunded.
	reason := strings.Repeat("r", 499) + "!"
	v.org.Post(cancel, url.Values{"reason": {reason}}).WantRedirect(t, detail)
	v.org.Get(detail).Want(t, http.StatusOK, "Order cancelled", "cancelled").Lacks(t, `action="`+cancel+`"`)
	hubtest.Eventually(t, 10*time.Second, "seats released and payment refunded", func() error {
		pays, err := th.hub.Payments.ForOrder(ctx, order)
		if err != nil || len(pays) != 1 || pays[0].Status != payments.StatusRefunded || pays[0].Amount != registrations.NewMoney(10000, "EUR") {
			return fmt.Errorf("payments %+v, %v", pays, err)
		}
		if n, err := th.hub.Sold.SeatsSold(ctx, v.conf, v.mainHall); err != nil || n != 0 {
			return fmt.Errorf("main hall seats in use %d, %v", n, err)
		}
		return nil
	})
	if sold, free := v.org.seatCount(v.conf, v.mainHall, "sold"), v.org.seatCount(v.conf, v.mainHall, "free"); sold != 0 || free != 10 {
		t.Fatalf("overview after cancelling: sold %d free %d, want 0 and 10", sold, free)
	}
	v.org.Get(detail).Want(t, http.StatusOK, "refunded")
	if o, _ := th.hub.Registrations.GetOrder(ctx, order); o.Status != registrations.OrderStatusCancelled {
		t.Fatalf("order after cancelling: %s", o.Status)
	}
	caughtUp(t, th.hub)
	v.org.Get(confURL(v.conf, "/orders?status=cancelled")).Want(t, http.StatusOK, "Ada Lovelace")
}

func TestCancellingAFreeOrderFreesItsSeatsWithoutAPayment(t *testing.T) {
	th := startHub(t, Options{})
	ctx := context.Background()
	v := th.venue(t, "Free Cancel", "free-cancel")
	_, order := th.confirmedOrder(t, v, "free-cancel", 2)
	if free := v.org.seatCount(v.conf, v.workshop, "free"); free != 0 {
		t.Fatalf("workshop free before cancelling: %d, want 0", free)
	}
	v.org.Post(confURL(v.conf, "/orders/"+order.String()+"/cancel"), nil).WantRedirect(t, confURL(v.conf, "/orders/"))
	hubtest.Eventually(t, 10*time.Second, "workshop seats back on sale", func() error {
		if free := v.org.seatCount(v.conf, v.workshop, "free"); free != 2 {
			return fmt.Errorf("workshop free %d", free)
		}
		return nil
	})
	if pays, _ := th.hub.Payments.ForOrder(ctx, order); len(pays) != 0 {
		t.Fatalf("a free order has payments after cancelling: %+v", pays)
	}
	// The seats really are for sale again.
	th.confirmedOrder(t, v, "free-cancel", 2)
}

// rowOf is the table row of a page that shows text, "" if none does.
func rowOf(body, text string) string {
	for _, row := range strings.Split(body, "<tr")[1:] {
		row, _, _ = strings.Cut(row, "</tr>")
		if strings.Contains(row, text) {
			return row
		}
	}
	return ""
}

func TestWaitlistListsWhoWaitsInLineAndTheirOffers(t *testing.T) {
	th := startHub(t, Options{})
	ctx := context.Background()
	v := th.venue(t, "Waitlist Conf", "waitlist-conf")
	page := confURL(v.conf, "/waitlist")
	v.org.Get(page).Want(t, http.StatusOK, "Nobody is waiting.")

	// Given the workshop sold out and two registrants in line for it...
	_, order := th.confirmedOrder(t, v, "waitlist-conf", 2)
	if _, err := th.hub.Registrations.JoinWaitlist(ctx, v.conf, v.workshop, 2, "Ann First", "ann@example.com"); err != nil {
		t.Fatalf("join waitlist: %v", err)
	}
	if _, err := th.hub.Registrations.JoinWaitlist(ctx, v.conf, v.workshop, 1, "Bo Second", "bo@example.com"); err != nil {
		t.Fatalf("join waitlist: %v", err)
	}
	caughtUp(t, th.hub)
	// ...the organizer sees both, in line order, with what they wait for.
	p := v.org.Get(page).Want(t, http.StatusOK, "Ann First", "ann@example.com", "Bo Second", "bo@example.com").Lacks(t, "Nobody is waiting.")
	ann, bo := rowOf(p.Body, "Ann First"), rowOf(p.Body, "Bo Second")
	for _, want := range []string{"Workshop", `<td class="num">1</td>`, `<td class="num">2</td>`, "waiting"} {
		if !strings.Contains(ann, want) {
			t.Fatalf("Ann's row lacks %q: %s", want, ann)
		}
	}
	if !strings.Contains(bo, `<td class="num">2</td><th`) || !strings.Contains(bo, "waiting") {
		t.Fatalf("Bo's row is not second in line: %s", bo)
	}
	if strings.Index(p.Body, "Ann First") > strings.Index(p.Body, "Bo Second") {
		t.Fatal("the line is not in the order people joined")
	}

	// When the order is cancelled, the first in line is offered its seats
	// and the second moves up.
	v.org.Post(confURL(v.conf, "/orders/"+order.String()+"/cancel"), nil).WantRedirect(t, confURL(v.conf, "/orders/"))
	hubtest.Eventually(t, 10*time.Second, "offer shown", func() error {
		p := v.org.Get(page)
		if ann := rowOf(p.Body, "Ann First"); !strings.Contains(ann, `data-offer="open"`) || !strings.Contains(ann, "offered</span> 2 seats until") {
			return fmt.Errorf("Ann's row: %s", ann)
		}
		if bo := rowOf(p.Body, "Bo Second"); !strings.Contains(bo, `<td class="num">1</td><th`) {
			return fmt.Errorf("Bo's row: %s", bo)
		}
		return nil
	})
}
