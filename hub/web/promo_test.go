package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
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
