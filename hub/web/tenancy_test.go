package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"conference/hub/hubapp/hubtest"
	"conference/shared/registrations"
	"conference/shared/webui"
)

// TestTenancyWalk visits every organizer route with the ids of another
// organizer's conference, seat type and order: as a second organizer and as
// an anonymous visitor. Each answer is a 404 or a redirect to sign in, never
// the other tenant's data, and nothing of theirs changes.
func TestTenancyWalk(t *testing.T) {
	th := startHub(t, Options{SignInRate: 1000})
	owner := th.browser()
	owner.signUp("Owner Org", "owner@example.com")
	const secretName = "Owner Secret Summit"
	conf := owner.createConference(secretName, "owner-secret")
	owner.addSeatType(conf, "Owner Seat", "10", "20")
	owner.Post(confURL(conf, "/publish"), nil).WantRedirect(t, confURL(conf, ""))
	st := th.seatTypes(conf, th.conference(conf))["Owner Seat"]
	hubtest.WaitForQuotas(t, th.hub, conf, map[uuid.UUID]int{st: 20})

	reg := th.browser()
	order := orderID(t, reg.Post("/c/owner-secret", url.Values{"qty_" + st.String(): {"1"}}))
	reg.waitStatus(order, registrations.OrderStatusReserved)
	reg.Post("/orders/"+order.String()+"/registrant", url.Values{"name": {"Registrant Person"}, "email": {"reg@example.com"}})
	payPage := reg.pay(order)
	o, err := th.hub.Registrations.GetOrder(context.Background(), order)
	if err != nil {
		t.Fatal(err)
	}
	// The owner's venue: a kiosk, a seat-quota conflict from an offline
	// sale past the quota, and named attendees.
	kiosk, err := th.hub.Kiosks.CreateKiosk(context.Background(), th.conference(conf), conf, "Owner Kiosk")
	if err != nil {
		t.Fatal(err)
	}
	recordOnSiteSale(t, th.hub, conf, st, "owner-kiosk", "Walkup Secret", 25)
	caughtUp(t, th.hub)
	if n := len(th.availabilityOf(t, conf).OpenConflicts()); n != 1 {
		t.Fatalf("owner's open conflicts: %d", n)
	}
	secrets := []string{secretName, "Owner Seat", "Registrant Person", "reg@example.com", o.AccessCode, "Owner Kiosk", kiosk.Kiosk.ID,
		kiosk.PairingCode, "Walkup Secret", "owner-kiosk"}

	other := th.browser()
	other.signUp("Other Org", "other@example.com")
	other.createConference("Other Conf", "other-conf")
	anon := th.browser()
	anon.Get("/")

	ids := strings.NewReplacer(":cid", conf.String(), ":sid", st.String(), ":oid", order.String(),
		":job", webui.NewToken(), ":pid", strings.TrimPrefix(payPage, "/pay/"), ":slug", "owner-secret",
		":kid", kiosk.Kiosk.ID, ":num", "1")
	walked := 0
	for _, r := range th.echo.Routes() {
		path := ids.Replace(r.Path)
		org := strings.HasPrefix(r.Path, "/org") && !strings.HasPrefix(r.Path, "/org/sign")
		private := strings.Contains(r.Path, ":oid") || strings.Contains(r.Path, ":pid")
		if (!org && !private) || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
			continue
		}
		walked++
		for _, who := range []struct {
			name string
			b    *browser
		}{{"second organizer", other}, {"anonymous", anon}} {
			var p page
			if r.Method == http.MethodGet {
				p = who.b.Get(path)
			} else {
				p = who.b.Post(path, url.Values{"decision": {"accept"}, "reason": {"hijack"}, "name": {"X"}, "quota": {"0"}, "price": {"0"}, "layout": {"a4-sheet"},
					"kind": {"refund"}, "email_0": {"x@example.com"}, "name_0": {"X"}})
			}
			for _, s := range secrets {
				if strings.Contains(p.Body, s) {
					t.Errorf("%s %s as %s: the page shows the other tenant's %q", r.Method, r.Path, who.name, s)
				}
			}
			switch {
			case p.Status == http.StatusNotFound:
			case org && who.name == "anonymous" && p.Status == http.StatusSeeOther && strings.HasPrefix(p.Location, "/org/signin"):
			case !strings.Contains(r.Path, ":") && who.name == "second organizer" && p.Status < 500:
				// Their own pages (/org, new conference): fine, checked above.
			default:
				t.Errorf("%s %s as %s: status %d location %q, want 404 or a redirect to sign in", r.Method, r.Path, who.name, p.Status, p.Location)
			}
		}
	}
	if walked < 30 {
		t.Fatalf("walked %d routes, want every organizer and order route", walked)
	}
	// Nothing of the owner's changed.
	c, err := th.hub.Conferences.GetConference(context.Background(), th.conference(conf), conf)
	if err != nil || !c.Published || c.Name != secretName {
		t.Fatalf("owner's conference after the walk: %+v, %v", c, err)
	}
	if o, err := th.hub.Registrations.GetOrder(context.Background(), order); err != nil || o.Status != registrations.OrderStatusReserved {
		t.Fatalf("owner's order after the walk: %v, %v", o.Status, err)
	}
	if k, err := th.hub.Kiosks.Get(context.Background(), th.conference(conf), kiosk.Kiosk.ID); err != nil || k.Revoked() {
		t.Fatalf("owner's kiosk after the walk: %+v, %v", k, err)
	}
	if n := len(th.availabilityOf(t, conf).OpenConflicts()); n != 1 {
		t.Fatalf("owner's open conflicts after the walk: %d", n)
	}
	pays, _ := th.hub.Payments.ForOrder(context.Background(), order)
	if len(pays) != 1 || pays[0].Status != "pending" {
		t.Fatalf("payments after the walk: %+v", pays)
	}
}

func (th *testHub) availabilityOf(t testing.TB, conf uuid.UUID) *registrations.SeatsAvailability {
	t.Helper()
	a, err := th.hub.Registrations.Availability(context.Background(), conf)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
