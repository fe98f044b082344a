package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/hubapp/hubtest"
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
	p.Want(t, http.StatusUnprocessableEntity, `value="GopherCon"`, `value="Bad Slug!"`, `value="not a date"`,
		`id="f-ends-at-error"`, `id="f-reservation-window-error"`)
	p = b.Post("/org/conferences/new", url.Values{
		"name": {"GopherCon"}, "slug": {"Bad Slug!"}, "time_zone": {"Mars/Olympus"}, "currency": {"EUR"},
		"starts_at": {"2031-05-10T09:00"}, "ends_at": {"2031-05-11T09:00"}, "reservation_window": {"15"},
	})
	p.Want(t, http.StatusUnprocessableEntity, `id="f-slug-error"`, "lowercase letters")
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
	for _, pg := range []page{
		b.Get("/org"), b.Get("/org/conferences/" + conf), b.Get("/org/conferences/" + conf + "/edit"),
		th.browser().Get("/"), th.browser().Get("/c/evil-conf"),
		// An invalid form echoes what was typed: escaped too.
		b.Post("/org/conferences/new", url.Values{"name": {evil}, "slug": {evil}}),
	} {
		if strings.Contains(pg.Body, "<script>alert") {
			t.Fatalf("unescaped script in page:\n%s", webuitest.Excerpt(pg.Body))
		}
		if !strings.Contains(pg.Body, "&lt;script&gt;") {
			t.Fatalf("page does not show the escaped name:\n%s", webuitest.Excerpt(pg.Body))
		}
	}
}
