package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"conference/shared/registrations"
)

func TestPromoCodesAreAddedEditedWithErrorsByTheFieldAndWithdrawn(t *testing.T) {
	th := startHub(t, Options{})
	b := th.browser()
	b.signUp("Org", "org@example.com")
	conf := b.createConference("GopherCon", "gophercon")
	b.addSeatType(conf, "Full pass", "299", "100")
	org := th.conference(conf)
	promos := confURL(conf, "/promo-codes")

	b.Post(promos, url.Values{"code": {"x"}, "kind": {"percentage"}, "percent": {"150"}}).
		Want(t, http.StatusUnprocessableEntity, `value="x"`, "has-error")
	b.Post(promos, url.Values{"code": {"early"}, "kind": {"percentage"}, "percent": {"10"}, "max_uses": {"5"}}).
		WantRedirect(t, promos)
	list := b.Get(promos)
	list.Want(t, http.StatusOK, "EARLY", "10 %", "of 5")

	codes, err := th.hub.Conferences.ListPromoCodes(context.Background(), org, conf)
	if err != nil || len(codes) != 1 {
		t.Fatalf("promo codes: %v, %v", codes, err)
	}
	edit := promos + "/" + codes[0].ID.String()
	if !strings.Contains(list.Body, `href="`+edit+`"`) {
		t.Fatal("the list does not link to the edit page")
	}
	b.Get(edit).Want(t, http.StatusOK, `value="10"`, `value="5"`, "cannot change")

	// A bad change is shown by its field, keeps what was typed, saves nothing.
	b.Post(edit, url.Values{"kind": {"amount"}, "amount": {"-3"}, "max_uses": {"5"}}).
		Want(t, http.StatusUnprocessableEntity, `value="-3"`, `id="f-amount-error"`)
	// A good one is saved; the code itself stays (uses are counted by it).
	b.Post(edit, url.Values{"code": {"HACKED"}, "kind": {"amount"}, "amount": {"20"}, "max_uses": {"8"}}).
		WantRedirect(t, promos)
	b.Get(promos).Want(t, http.StatusOK, "EARLY", "20.00 EUR", "of 8")
	if got, _ := th.hub.Conferences.ListPromoCodes(context.Background(), org, conf); got[0].Code != "EARLY" {
		t.Fatalf("code changed to %q", got[0].Code)
	}

	// Another organizer reaches neither page.
	other := th.browser()
	other.signUp("Other", "other@example.com")
	other.Get(edit).Want(t, http.StatusNotFound)
	other.Post(edit, url.Values{"kind": {"percentage"}, "percent": {"100"}}).Want(t, http.StatusNotFound)
	b.Get(promos+"/not-an-id").Want(t, http.StatusNotFound)

	b.Post(edit+"/remove", nil).WantRedirect(t, promos)
	b.Get(promos).Want(t, http.StatusOK, "No promo codes yet")
}

func TestAValidPromoCodeDiscountsTheOrderTheRegistrantPays(t *testing.T) {
	th := startHub(t, Options{})
	ctx := context.Background()
	v := th.venue(t, "Promo Conf", "promo-conf")
	promos := confURL(v.conf, "/promo-codes")
	// Given 20 % off the main hall (50.00 EUR a seat), five uses...
	v.org.Post(promos, url.Values{"code": {"early"}, "kind": {"percentage"}, "percent": {"20"}, "max_uses": {"5"},
		"seat_type": {v.mainHall.String()}}).WantRedirect(t, promos)

	// ...when a registrant orders two main hall seats and a free workshop
	// seat with the code as they typed it...
	reg := th.browser()
	reg.Get("/c/promo-conf").Want(t, http.StatusOK, `id="f-promo"`)
	id := orderID(t, reg.Post("/c/promo-conf", url.Values{
		"qty_" + v.mainHall.String(): {"2"}, "qty_" + v.workshop.String(): {"1"}, "promo": {" early "}}))
	reg.waitStatus(id, registrations.OrderStatusReserved)

	// ...then the order shows the lines before the discount, the discount
	// row and the discounted total (the rows add up: 100 + 0 − 20 = 80),
	// and that total is what the payment asks and takes.
	caughtUp(t, th.hub)
	order := "/orders/" + id.String()
	mainHall := `<th scope="row">Main hall</th><td class="num">2</td><td class="num">50.00 EUR</td><td class="num">100.00 EUR</td>`
	reg.Get(order).Want(t, http.StatusOK, mainHall,
		`<th scope="row">Workshop</th><td class="num">1</td><td class="num">0.00 EUR</td><td class="num">0.00 EUR</td>`,
		`Discount (EARLY)</th><td class="num">−20.00 EUR</td>`, `<strong>80.00 EUR</strong>`)
	reg.Post(order+"/registrant", url.Values{"name": {"Ada Lovelace"}, "email": {"ada@example.com"}}).WantRedirect(t, order)
	reg.Get(order).Want(t, http.StatusOK, `id="pay-button">Pay 80.00 EUR`)
	pay := reg.pay(id)
	reg.Get(pay).Want(t, http.StatusOK, "Pay 80.00 EUR")
	reg.Post(pay, url.Values{"decision": {"accept"}}).WantRedirect(t, order)
	reg.waitStatus(id, registrations.OrderStatusConfirmed)
	reg.Get(order).Want(t, http.StatusOK, "You are registered", `Discount (EARLY)`, `<strong>80.00 EUR</strong>`)
	pays, err := th.hub.Payments.ForOrder(ctx, id)
	if err != nil || len(pays) != 1 || pays[0].Amount != registrations.NewMoney(8000, "EUR") {
		t.Fatalf("payments: %+v, %v; want one of 80.00 EUR", pays, err)
	}

	// The organizer sees the same discount and one use of the code.
	v.org.Get(confURL(v.conf, "/orders/"+id.String())).Want(t, http.StatusOK, mainHall, "Discount (EARLY)", "−20.00 EUR", "<strong>80.00 EUR</strong>")
	caughtUp(t, th.hub)
	if row := rowOf(v.org.Get(promos).Body, "EARLY"); !strings.Contains(row, `<td class="num">1 of 5</td>`) {
		t.Fatalf("promo list row: %s; want 1 of 5 uses", row)
	}
}

func TestAPromoCodeThatAppliesToNothingInTheOrderSaysSo(t *testing.T) {
	th := startHub(t, Options{})
	v := th.venue(t, "Promo Conf", "promo-conf")
	promos := confURL(v.conf, "/promo-codes")
	v.org.Post(promos, url.Values{"code": {"hall20"}, "kind": {"percentage"}, "percent": {"20"}, "max_uses": {"1"},
		"seat_type": {v.mainHall.String()}}).WantRedirect(t, promos)

	// Workshop seats only: the main-hall code would take nothing off.
	reg := th.browser()
	reg.Post("/c/promo-conf", url.Values{"qty_" + v.workshop.String(): {"1"}, "promo": {"HALL20"}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-promo-error"`, "seat type you did not choose", `value="HALL20"`)
	// Nothing was placed and the code's one use is still there.
	caughtUp(t, th.hub)
	if row := rowOf(v.org.Get(promos).Body, "HALL20"); !strings.Contains(row, `<td class="num">0 of 1</td>`) {
		t.Fatalf("promo list row: %s; want 0 of 1 uses", row)
	}
	orderID(t, reg.Post("/c/promo-conf", url.Values{"qty_" + v.mainHall.String(): {"1"}, "promo": {"HALL20"}}))
}
