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

	b.post(promos, url.Values{"code": {"x"}, "kind": {"percentage"}, "percent": {"150"}}).
		want(t, http.StatusUnprocessableEntity, `value="x"`, "has-error")
	b.post(promos, url.Values{"code": {"early"}, "kind": {"percentage"}, "percent": {"10"}, "max_uses": {"5"}}).
		wantRedirect(t, promos)
	list := b.get(promos)
	list.want(t, http.StatusOK, "EARLY", "10 %", "of 5")

	codes, err := th.hub.Conferences.ListPromoCodes(context.Background(), org, conf)
	if err != nil || len(codes) != 1 {
		t.Fatalf("promo codes: %v, %v", codes, err)
	}
	edit := promos + "/" + codes[0].ID.String()
	if !strings.Contains(list.body, `href="`+edit+`"`) {
		t.Fatal("the list does not link to the edit page")
	}
	b.get(edit).want(t, http.StatusOK, `value="10"`, `value="5"`, "cannot change")

	// A bad change is shown by its field, keeps what was typed, saves nothing.
	b.post(edit, url.Values{"kind": {"amount"}, "amount": {"-3"}, "max_uses": {"5"}}).
		want(t, http.StatusUnprocessableEntity, `value="-3"`, `id="f-amount-error"`)
	// A good one is saved; the code itself stays (uses are counted by it).
	b.post(edit, url.Values{"code": {"HACKED"}, "kind": {"amount"}, "amount": {"20"}, "max_uses": {"8"}}).
		wantRedirect(t, promos)
	b.get(promos).want(t, http.StatusOK, "EARLY", "20.00 EUR", "of 8")
	if got, _ := th.hub.Conferences.ListPromoCodes(context.Background(), org, conf); got[0].Code != "EARLY" {
		t.Fatalf("code changed to %q", got[0].Code)
	}

	// Another organizer reaches neither page.
	other := th.browser()
	other.signUp("Other", "other@example.com")
	other.get(edit).want(t, http.StatusNotFound)
	other.post(edit, url.Values{"kind": {"percentage"}, "percent": {"100"}}).want(t, http.StatusNotFound)
	b.get(promos+"/not-an-id").want(t, http.StatusNotFound)

	b.post(edit+"/remove", nil).wantRedirect(t, promos)
	b.get(promos).want(t, http.StatusOK, "No promo codes yet")
}
