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

	"conference/hub/conferences"
	"conference/hub/hubapp/hubtest"
	"conference/shared/registrations"
	"conference/shared/webui/webuitest"
)

func TestConferenceFormShowsErrorsByTheFieldAndSavesNothing(t *testing.T) {
	th := startHub(t, Options{})
	b := th.browser()
	b.signUp("Org", "org@example.com")
	p := b.Post("/org/conferences/new", url.Values{
		"name": {"GopherCon"}, "slug": {"Bad Slug!"}, "time_zone": {"Europe/Lisbon"}, "currency": {"EUR"},
		"starts_at": {"2031-05-10T09:00"}, "ends_at": {"not a date"}, "reservation_window": {"500"},
	})
	// Every field's problem at once: what did not parse and what the
	// domain refuses, the contact email by the one email rule.
	p.Want(t, http.StatusUnprocessableEntity, `value="GopherCon"`, `value="Bad Slug!"`, `value="not a date"`,
		`id="f-ends-at-error"`, `id="f-reservation-window-error"`, `id="f-slug-error"`)
	p = b.Post("/org/conferences/new", url.Values{
		"name": {"GopherCon"}, "slug": {"Bad Slug!"}, "time_zone": {"Mars/Olympus"}, "currency": {"EUR"},
		"starts_at": {"2031-05-10T09:00"}, "ends_at": {"2031-05-11T09:00"}, "reservation_window": {"15"},
		"contact_email": {"team@gophercon"},
	})
	p.Want(t, http.StatusUnprocessableEntity, `id="f-slug-error"`, "lowercase letters", `id="f-time-zone-error"`,
		`id="f-contact-email-error"`, "Contact email must end in a domain name such as example.com")
	b.Get("/org").Want(t, http.StatusOK, "You have no conference yet")

	conf := b.createConference("GopherCon", "gophercon")
	// A second conference cannot take the slug.
	b.Post("/org/conferences/new", url.Values{
		"name": {"Copy"}, "slug": {"gophercon"}, "time_zone": {"UTC"}, "currency": {"EUR"},
		"starts_at": {"2031-05-10T09:00"}, "ends_at": {"2031-05-11T09:00"}, "reservation_window": {"15"},
	}).Want(t, http.StatusUnprocessableEntity, `id="f-slug-error"`, "already taken")

	// Seat types: a bad price and quota are shown by their fields.
	b.Post(confURL(conf, "/seat-types/new"), url.Values{"name": {"Full pass"}, "price": {"12.345"}, "quota": {"-3"}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-price-error"`, `id="f-quota-error"`, `value="12.345"`)
	b.addSeatType(conf, "Full pass", "299", "100")
	b.addSeatType(conf, "Workshop", "49.50", "2")
	b.Get(confURL(conf, "")).Want(t, http.StatusOK, "Full pass", "299.00 EUR", "49.50 EUR", `id="publish"`)

	// Edit the conference: the reservation window changes.
	b.Post(confURL(conf, "/edit"), url.Values{
		"name": {"GopherCon EU"}, "slug": {"gophercon"}, "time_zone": {"Europe/Lisbon"}, "currency": {"EUR"},
		"starts_at": {"2031-05-10T09:00"}, "ends_at": {"2031-05-12T18:00"}, "reservation_window": {"5"},
	}).WantRedirect(t, confURL(conf, ""))
	b.Get(confURL(conf, "")).Want(t, http.StatusOK, "GopherCon EU", "reservations held 5 minutes")

	// Publish and unpublish.
	b.Post(confURL(conf, "/publish"), nil).WantRedirect(t, confURL(conf, ""))
	th.browser().Get("/c/gophercon").Want(t, http.StatusOK, "GopherCon EU", "Full pass", "Reserve seats")
	b.Post(confURL(conf, "/unpublish"), nil).WantRedirect(t, confURL(conf, ""))
	th.browser().Get("/c/gophercon").Want(t, http.StatusNotFound)
	b.Post(confURL(conf, "/publish"), nil).WantRedirect(t, confURL(conf, ""))

	// Lowering a quota below the seats sold is refused by the field.
	st := th.seatTypes(conf, th.conference(conf))
	hubtest.WaitForQuotas(t, th.hub, conf, map[uuid.UUID]int{st["Workshop"]: 2})
	reg := th.browser()
	reg.Post("/c/gophercon", url.Values{"qty_" + st["Workshop"].String(): {"2"}}).WantRedirect(t, "/orders/")
	hubtest.Eventually(t, 10*time.Second, "workshop reserved", func() error {
		n, err := th.hub.Sold.SeatsSold(context.Background(), conf, st["Workshop"])
		if err != nil || n != 2 {
			return fmt.Errorf("in use %d, %v", n, err)
		}
		return nil
	})
	p = b.Post(confURL(conf, "/seat-types/"+st["Workshop"].String()), url.Values{"name": {"Workshop"}, "price": {"49.50"}, "quota": {"1"}})
	p.Want(t, http.StatusUnprocessableEntity, `id="f-quota-error"`, "lower than the 2 seats", `value="1"`)
	b.Post(confURL(conf, "/seat-types/"+st["Workshop"].String()), url.Values{"name": {"Workshop"}, "price": {"49.50"}, "quota": {"10"}}).
		WantRedirect(t, confURL(conf, ""))
}

func TestHTMLIsEscapedEverywhere(t *testing.T) {
	th := startHub(t, Options{})
	b := th.browser()
	const evil = `<script>alert("x")</script>`
	b.signUp(evil, "evil@example.com")
	p := b.Post("/org/conferences/new", url.Values{
		"name": {evil}, "slug": {"evil-conf"}, "tagline": {evil}, "venue": {evil}, "time_zone": {"UTC"}, "currency": {"EUR"},
		"starts_at": {"2031-05-10T09:00"}, "ends_at": {"2031-05-11T09:00"}, "reservation_window": {"15"},
	})
	p.WantRedirect(t, "/org/conferences/")
	conf := strings.TrimPrefix(p.Location, "/org/conferences/")
	b.Post("/org/conferences/"+conf+"/seat-types/new", url.Values{"name": {evil}, "price": {"1"}, "quota": {"5"}}).
		WantRedirect(t, "/org/conferences/")
	b.Post("/org/conferences/"+conf+"/publish", nil).WantRedirect(t, "/org/conferences/")

	// A registrant with the same name orders the seat type named so.
	confID := uuid.MustParse(conf)
	st := th.seatTypes(confID, th.conference(confID))[evil]
	hubtest.WaitForQuotas(t, th.hub, confID, map[uuid.UUID]int{st: 5})
	reg := th.browser()
	order := orderID(t, reg.Post("/c/evil-conf", url.Values{"qty_" + st.String(): {"1"}}))
	reg.waitStatus(order, registrations.OrderStatusReserved)
	orderPage := "/orders/" + order.String()
	reg.Post(orderPage+"/registrant", url.Values{"name": {evil}, "email": {"evil@example.com"}}).WantRedirect(t, orderPage)
	payPage := reg.pay(order)
	caughtUp(t, th.hub)

	shows := []page{
		b.Get("/org"), b.Get("/org/conferences/" + conf), b.Get("/org/conferences/" + conf + "/edit"),
		th.browser().Get("/"), th.browser().Get("/c/evil-conf"),
		// An invalid form echoes what was typed: escaped too.
		b.Post("/org/conferences/new", url.Values{"name": {evil}, "slug": {evil}}),
		// The order, as the registrant and the organizer see it.
		reg.Get(orderPage), b.Get("/org/conferences/" + conf + "/orders"), b.Get("/org/conferences/" + conf + "/orders/" + order.String()),
		// A refused cancel reason comes back in its field.
		b.Post("/org/conferences/"+conf+"/orders/"+order.String()+"/cancel", url.Values{"reason": {strings.Repeat(evil, 20)}}),
	}
	for _, pg := range shows {
		if strings.Contains(pg.Body, "<script>alert") {
			t.Fatalf("unescaped script in page:\n%s", webuitest.Excerpt(pg.Body))
		}
		if !strings.Contains(pg.Body, "&lt;script&gt;") {
			t.Fatalf("page does not show the escaped name:\n%s", webuitest.Excerpt(pg.Body))
		}
	}
	// The payment page names no one, but must not run script either.
	if p := reg.Get(payPage).Want(t, http.StatusOK, "Pay 1.00 EUR"); strings.Contains(p.Body, "<script>alert") {
		t.Fatalf("unescaped script in the payment page:\n%s", webuitest.Excerpt(p.Body))
	}
}

func TestConferenceEditShowsErrorsByTheFieldAndChangesNothing(t *testing.T) {
	th := startHub(t, Options{})
	b := th.browser()
	b.signUp("Org", "org@example.com")
	conf := b.createConference("GopherCon", "gophercon")
	b.createConference("RustConf", "rustconf")
	edit := confURL(conf, "/edit")
	good := url.Values{
		"name": {"GopherCon EU"}, "slug": {"gophercon"}, "time_zone": {"Europe/Lisbon"}, "currency": {"EUR"},
		"starts_at": {"2031-05-10T09:00"}, "ends_at": {"2031-05-12T18:00"}, "reservation_window": {"15"}, "venue": {"Lisbon"},
	}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vs := range good {
			f[key] = vs
		}
		f.Set(k, v)
		return f
	}
	cases := []struct {
		name       string
		form       url.Values
		field, msg string
	}{
		{"no name", with("name", "  "), "name", "Name"},
		{"a slug with spaces", with("slug", "Gopher Con"), "slug", "lowercase letters"},
		{"another conference's slug", with("slug", "rustconf"), "slug", "already taken"},
		{"an end before the start", with("ends_at", "2031-05-09T09:00"), "ends-at", "End"},
		{"an unreadable start", with("starts_at", "next tuesday"), "starts-at", "Enter a date and time"},
		{"an unknown time zone", with("time_zone", "Mars/Olympus"), "time-zone", "ime zone"},
		{"a reservation window of 0", with("reservation_window", "0"), "reservation-window", "1 to 120"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := b.Post(edit, tc.form).Want(t, http.StatusUnprocessableEntity, `id="f-`+tc.field+`-error"`, tc.msg)
			// What was typed is kept, the rest of the form too.
			if !strings.Contains(p.Body, `value="`+strings.TrimSpace(tc.form.Get(strings.ReplaceAll(tc.field, "-", "_")))+`"`) ||
				!strings.Contains(p.Body, `value="Lisbon"`) {
				t.Fatalf("the refused form does not keep what was typed:\n%s", webuitest.Excerpt(p.Body))
			}
			c, err := th.hub.Conferences.GetConference(context.Background(), th.conference(conf), conf)
			if err != nil || c.Name != "GopherCon" || c.Slug != "gophercon" || c.TimeZone != "Europe/Lisbon" || c.ReservationWindow != 15*time.Minute {
				t.Fatalf("conference after a refused edit: %+v, %v", c, err)
			}
		})
	}
	b.Post(edit, good).WantRedirect(t, confURL(conf, ""))
	b.Get(confURL(conf, "")).Want(t, http.StatusOK, "GopherCon EU")
}

func TestSeatTypeOnSitePolicyIsSavedShownAndRefusedByTheField(t *testing.T) {
	th := startHub(t, Options{})
	b := th.browser()
	b.signUp("Org", "org@example.com")
	conf := b.createConference("Policy Conf", "policy-conf")
	org := th.conference(conf)
	newST := confURL(conf, "/seat-types/new")
	saved := func() map[string]conferences.OnSitePolicy {
		t.Helper()
		list, err := th.hub.Conferences.ListSeatTypes(context.Background(), org, conf)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]conferences.OnSitePolicy{}
		for _, st := range list {
			out[st.Name] = st.OnSite
		}
		return out
	}

	// Bad values come back by their field, with what was typed, and save
	// nothing.
	cases := []struct {
		name     string
		form     url.Values
		field    string
		contains string
	}{
		{"allocation not a number", url.Values{"sellable_at_kiosks": {"on"}, "kiosk_allocation_size": {"three"}},
			"kiosk-allocation-size", "whole number"},
		{"allocation negative", url.Values{"sellable_at_kiosks": {"on"}, "kiosk_allocation_size": {"-1"}},
			"kiosk-allocation-size", "whole number"},
		{"allocation past the quota", url.Values{"sellable_at_kiosks": {"on"}, "kiosk_allocation_size": {"21"}},
			"kiosk-allocation-size", "must not exceed the quota"},
		{"allocation for a seat type kiosks do not sell", url.Values{"kiosk_allocation_size": {"2"}},
			"kiosk-allocation-size", "unless the seat type is sellable at kiosks"},
		{"selling past the allocation without kiosk sales", url.Values{"sell_past_allocation": {"on"}},
			"sell-past-allocation", "requires the seat type to be sellable at kiosks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"name": {"Workshop"}, "price": {"10"}, "quota": {"20"}}
			for k, v := range tc.form {
				form[k] = v
			}
			p := b.Post(newST, form).Want(t, http.StatusUnprocessableEntity, `id="f-`+tc.field+`-error"`, tc.contains)
			if v := tc.form.Get("kiosk_allocation_size"); v != "" && !strings.Contains(p.Body, `value="`+v+`"`) {
				t.Fatalf("the allocation typed (%q) is not kept", v)
			}
			if got := saved(); len(got) != 0 {
				t.Fatalf("a refused form saved seat types: %+v", got)
			}
		})
	}

	// A good policy is saved, shown on the overview and in the edit form.
	b.Post(newST, url.Values{"name": {"Workshop"}, "price": {"10"}, "quota": {"20"},
		"sellable_at_kiosks": {"on"}, "kiosk_allocation_size": {"3"}, "sell_past_allocation": {"on"}}).
		WantRedirect(t, confURL(conf, ""))
	b.addSeatType(conf, "Main hall", "50", "100")
	want := conferences.OnSitePolicy{SellableAtKiosks: true, SellPastAllocation: true, KioskAllocationSize: 3}
	if got := saved(); got["Workshop"] != want || got["Main hall"] != (conferences.OnSitePolicy{}) {
		t.Fatalf("saved policies: %+v, want the workshop's %+v and none for the main hall", got, want)
	}
	st := th.seatTypes(conf, org)
	overview := b.Get(confURL(conf, "")).Want(t, http.StatusOK)
	if !strings.Contains(rowOf(overview.Body, "Workshop"), `class="tag">kiosks<`) || strings.Contains(rowOf(overview.Body, "Main hall"), `class="tag">kiosks<`) {
		t.Fatal("the overview does not tag exactly the seat type kiosks sell")
	}
	edit := confURL(conf, "/seat-types/"+st["Workshop"].String())
	p := b.Get(edit).Want(t, http.StatusOK, `id="f-kiosk-allocation-size" name="kiosk_allocation_size" value="3"`)
	for _, box := range []string{"f-sellable-at-kiosks", "f-sell-past-allocation"} {
		if !regexp.MustCompile(`id="` + box + `"[^>]* checked`).MatchString(p.Body) {
			t.Fatalf("edit form: %s is not ticked", box)
		}
	}

	// A bad edit is refused by its field and keeps the saved policy.
	b.Post(edit, url.Values{"name": {"Workshop"}, "price": {"10"}, "quota": {"20"}, "sellable_at_kiosks": {"on"}, "kiosk_allocation_size": {"50"}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-kiosk-allocation-size-error"`, `value="50"`)
	if got := saved()["Workshop"]; got != want {
		t.Fatalf("policy after a refused edit: %+v", got)
	}
	// Unticking the boxes (a browser sends nothing for them) clears the
	// policy.
	b.Post(edit, url.Values{"name": {"Workshop"}, "price": {"10"}, "quota": {"20"}, "kiosk_allocation_size": {"0"}}).
		WantRedirect(t, confURL(conf, ""))
	if got := saved()["Workshop"]; got != (conferences.OnSitePolicy{}) {
		t.Fatalf("policy after unticking: %+v", got)
	}
	if regexp.MustCompile(`id="f-sellable-at-kiosks"[^>]* checked`).MatchString(b.Get(edit).Body) {
		t.Fatal("edit form still ticks sellable at kiosks")
	}
}
