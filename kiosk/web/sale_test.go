package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"conference/kiosk/readmodel"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/shared/webui/webuitest"
)

func TestWalkUpSaleInsideThenPastTheAllocation(t *testing.T) {
	d := startDesk(t, Options{})
	d.k.SetOnline(false)
	c := d.unlocked()
	c.Get("/sale").Want(t, http.StatusOK, "Go workshop", "Reception", "1 left in this kiosk", "Cash").Lacks(t, "Full pass")

	// Inside the allocation: certain, checked in, badge ready.
	p := c.Post("/sale", saleForm(reception, "Ivo", "cash")).WantRedirect(t, "/sales/")
	r := c.Follow(p).Want(t, http.StatusOK, "Sale certain", "Ivo", "Checked in at", "15.00 EUR", `id="badge-frame"`)
	if receiptLink.FindString(r.Body) == "" {
		t.Fatal("no badge on the sale receipt")
	}
	c.Get("/?q=ivo").Want(t, http.StatusOK, "1 match", "Checked in")
	c.Get("/status-bar").Want(t, http.StatusOK, "Reception: <strong>0</strong> left")

	// Past it, for a seat type sold past allocation: sold, pending the hub.
	p = c.Post("/sale", saleForm(reception, "Jo", "card_present")).WantRedirect(t, "/sales/")
	c.Follow(p).Want(t, http.StatusOK, "Sold, pending hub confirmation", "pending hub confirmation", "1 × Reception")
	if n := d.ownEvents("registrations.WalkUpOrderPlaced"); n != 2 {
		t.Fatalf("%d sales recorded, want 2", n)
	}
}

func TestWalkUpSaleRefusedChangesNothing(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	// Use up the workshop allocation (2), then a third is refused: this
	// seat type is not sold past it.
	for _, name := range []string{"Ana", "Rui"} {
		c.Post("/sale", saleForm(workshop, name, "cash")).WantRedirect(t, "/sales/")
	}
	c.Post("/sale", saleForm(workshop, "Eve", "cash")).Want(t, http.StatusConflict,
		"Refused:", "not sold past it", "Nothing was sold", `value="Eve"`)

	bad := []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"not sold at kiosks", saleForm(fullPass, "Max", "cash"), http.StatusUnprocessableEntity, "not sold at kiosks"},
		{"unknown seat type", saleForm(ids.New(), "Max", "cash"), http.StatusUnprocessableEntity, "not sold at kiosks"},
		{"no seat", url.Values{"name": {"Max"}, "payment": {"cash"}}, http.StatusUnprocessableEntity, "Choose at least one seat type"},
		{"seat not an id", url.Values{"seat": {"<b>x</b>"}, "name": {"Max"}, "payment": {"cash"}}, http.StatusUnprocessableEntity, "Choose seat types from the list"},
		{"no name", saleForm(reception, "", "cash"), http.StatusUnprocessableEntity, "Type the attendee"},
		{"email without a dotted domain", func() url.Values { v := saleForm(reception, "Max", "cash"); v.Set("email", "walkup@example"); return v }(), http.StatusUnprocessableEntity, "Email must end in a domain name such as example.com"},
		{"no payment", saleForm(reception, "Max", ""), http.StatusUnprocessableEntity, "cash or card"},
		{"made-up payment", saleForm(reception, "Max", "bitcoin"), http.StatusUnprocessableEntity, "cash or card"},
		{"bad email", func() url.Values { v := saleForm(reception, "Max", "cash"); v.Set("email", "not-an-email"); return v }(), http.StatusUnprocessableEntity, `id="f-email-error"`},
		{"long name", saleForm(reception, strings.Repeat("x", 300), "cash"), http.StatusUnprocessableEntity, `id="f-name-error"`},
	}
	for _, tc := range bad {
		p := c.Post("/sale", tc.form)
		if p.Status != tc.status {
			t.Fatalf("%s: status %d, want %d:\n%s", tc.name, p.Status, tc.status, webuitest.Excerpt(p.Body))
		}
		p.Want(t, tc.status, tc.want)
	}
	if n := d.ownEvents("registrations.WalkUpOrderPlaced"); n != 2 {
		t.Fatalf("%d sales recorded, want the 2 allowed", n)
	}
}

func TestTheSaleFormShowsEveryProblemAtOnceNextToItsField(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	p := c.Post("/sale", url.Values{"name": {" "}, "email": {"walkup@example"}, "company": {"Acme"}, "payment": {"bitcoin"},
		"payment_ref": {strings.Repeat("r", 201)}})
	p.Want(t, http.StatusUnprocessableEntity, "Nothing was sold",
		`id="f-seat-error"`, "Choose at least one seat type",
		`id="f-name-error"`, "Type the attendee",
		`id="f-email-error"`, "Email must end in a domain name such as example.com after the @",
		`aria-describedby="f-email-error"`,
		`id="f-payment-error"`, "cash or card",
		`id="f-payment_ref-error"`, "Too long",
		`value="walkup@example"`, `value="Acme"`)
	if n := d.ownEvents("registrations.WalkUpOrderPlaced"); n != 0 {
		t.Fatalf("%d sales recorded from a refused form", n)
	}
	// A cash buyer may give no email at all.
	v := saleForm(reception, "Nia", "cash")
	v.Del("email")
	c.Post("/sale", v).WantRedirect(t, "/sales/")
}

func TestASaleSoldPastTheAllocationShowsPendingOnTheAttendeePageUntilTheHubAppliesIt(t *testing.T) {
	d := startDesk(t, Options{})
	d.k.SetOnline(false)
	c := d.unlocked()
	// Given the reception's one seat of allocation sold, and a second sold past it.
	c.Post("/sale", saleForm(reception, "Ivo", "cash")).WantRedirect(t, "/sales/")
	c.Post("/sale", saleForm(reception, "Jo", "cash")).WantRedirect(t, "/sales/")
	ivo, jo := d.walkUp(t, "Ivo"), d.walkUp(t, "Jo")

	// Then, long after the receipt, Jo's page still says the hub has to confirm.
	c.Get(attendeeURL(jo.Seat)).Want(t, http.StatusOK, `id="pending-hub"`, "pending hub confirmation", "1 × Reception")
	c.Get(attendeeURL(ivo.Seat)).Want(t, http.StatusOK, "sold at Demo door").Lacks(t, "pending-hub")

	// When the hub's merge of the sales arrives, the mark goes.
	d.k.SetOnline(true)
	for _, a := range []readmodel.AttendeeView{ivo, jo} {
		must(t, d.hub.RecordOnSiteSale(d.ctx, confID, kioskID, a.Seat.OrderID, registrations.Seats{{SeatType: reception, Quantity: 1}}))
	}
	must(t, d.k.Refresh(d.ctx))
	c.Get(attendeeURL(jo.Seat)).Want(t, http.StatusOK, "sold at Demo door").Lacks(t, "pending-hub")
}

// walkUp is the one attendee of that name the desk sold to.
func (d *desk) walkUp(t *testing.T, name string) readmodel.AttendeeView {
	t.Helper()
	found := d.k.Model().Find(confID, name, 5)
	if len(found) != 1 || found[0].WalkUpKioskID != kioskID {
		t.Fatalf("walk-up %q: found %+v", name, found)
	}
	return found[0]
}

// creationDate is what changes in a badge PDF each time it is drawn: its
// creation and modification times.
var creationDate = regexp.MustCompile(`/(CreationDate|ModDate) \([^)]*\)`)

// A walk-up receipt (access code, badge) can be shown again after the
// kiosk restarts: it is drawn again from the kiosk's log, the same badge.
func TestAWalkUpReceiptIsShownAgainAfterARestart(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	form := saleForm(reception, "Ivo Ĳsselmeer", "cash")
	form.Set("email", "ivo@example.org")
	p := c.Post("/sale", form).WantRedirect(t, "/sales/")
	r := c.Follow(p).Want(t, http.StatusOK, "Sale certain", "Ivo Ĳsselmeer", "Checked in at")
	code := regexp.MustCompile(`id="sale-code">([A-Z0-9-]+)<`).FindStringSubmatch(r.Body)
	if code == nil {
		t.Fatalf("no access code on the receipt:\n%s", r.Body)
	}
	before := c.Get(p.Location+"/badge.pdf").Want(t, http.StatusOK)

	d.restart()
	c = d.unlocked()
	again := c.Get(p.Location).Want(t, http.StatusOK, "Walk-up sale", "Sale certain", "Ivo Ĳsselmeer", "Checked in at", code[1], `id="badge-frame"`)
	if link := receiptLink.FindString(again.Body); link != p.Location+"/badge.pdf" {
		t.Fatalf("badge link %q on the receipt after a restart", link)
	}
	after := c.Get(p.Location+"/badge.pdf").Want(t, http.StatusOK)
	if !strings.HasPrefix(after.Body, "%PDF-") || creationDate.ReplaceAllString(after.Body, "") != creationDate.ReplaceAllString(before.Body, "") {
		t.Fatal("the badge drawn again after a restart is not the badge of the sale")
	}
	c.Get(attendeeURL(onsite.Seat{OrderID: uuid.MustParse(strings.TrimPrefix(p.Location, "/sales/"))})).Want(t, http.StatusOK,
		`<a href="`+p.Location+`" id="sale-receipt">sale receipt</a>`)
	c.Get("/sales/"+ids.New().String()).Want(t, http.StatusNotFound)
	c.Get("/sales/"+seatOf(d.annO, 0).OrderID.String()).Want(t, http.StatusNotFound) // an online order has no walk-up receipt
}
