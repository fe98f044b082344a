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

// ownerWorld is one organizer's conference with something behind every
// kind of id a route takes: a seat type, a promo code, a reserved order
// with a pending payment, a kiosk and an open seat-quota conflict.
type ownerWorld struct {
	owner, reg *browser
	conf, st   uuid.UUID
	order      uuid.UUID
	payPage    string
	promo      uuid.UUID
	kiosk      string
	token      uuid.UUID
	// secrets are texts of the owner's that no other tenant may see.
	secrets []string
}

func (th *testHub) ownerWorld(t *testing.T) ownerWorld {
	t.Helper()
	ctx := context.Background()
	w := ownerWorld{owner: th.browser()}
	w.owner.signUp("Owner Org", "owner@example.com")
	const secretName = "Owner Secret Summit"
	w.conf = w.owner.createConference(secretName, "owner-secret")
	w.owner.addSeatType(w.conf, "Owner Seat", "10", "20")
	w.owner.Post(confURL(w.conf, "/promo-codes"), url.Values{"code": {"OWNERSECRET"}, "kind": {"percentage"}, "percent": {"10"}}).
		WantRedirect(t, confURL(w.conf, "/promo-codes"))
	w.owner.Post(confURL(w.conf, "/publish"), nil).WantRedirect(t, confURL(w.conf, ""))
	org := th.conference(w.conf)
	w.st = th.seatTypes(w.conf, org)["Owner Seat"]
	codes, err := th.hub.Conferences.ListPromoCodes(ctx, org, w.conf)
	if err != nil || len(codes) != 1 {
		t.Fatalf("owner's promo codes: %v, %v", codes, err)
	}
	w.promo = codes[0].ID
	hubtest.WaitForQuotas(t, th.hub, w.conf, map[uuid.UUID]int{w.st: 20})

	w.reg = th.browser()
	w.order = orderID(t, w.reg.Post("/c/owner-secret", url.Values{"qty_" + w.st.String(): {"1"}}))
	w.reg.waitStatus(w.order, registrations.OrderStatusReserved)
	w.reg.Post("/orders/"+w.order.String()+"/registrant", url.Values{"name": {"Registrant Person"}, "email": {"reg@example.com"}})
	w.payPage = w.reg.pay(w.order)
	o, err := th.hub.Registrations.GetOrder(ctx, w.order)
	if err != nil {
		t.Fatal(err)
	}
	// The owner's venue: a kiosk, a seat-quota conflict from an offline
	// sale past the quota, and named attendees.
	kiosk, err := th.hub.Kiosks.CreateKiosk(ctx, org, w.conf, "Owner Kiosk")
	if err != nil {
		t.Fatal(err)
	}
	w.kiosk = kiosk.Kiosk.ID
	recordOnSiteSale(t, th.hub, w.conf, w.st, "owner-kiosk", "Walkup Secret", 25)
	caughtUp(t, th.hub)
	if n := len(th.availabilityOf(t, w.conf).OpenConflicts()); n != 1 {
		t.Fatalf("owner's open conflicts: %d", n)
	}
	tokenSecret := w.owner.createToken("Owner Token Secret")
	tokens, err := th.hub.Conferences.ListAPITokens(ctx, org)
	if err != nil || len(tokens) != 1 {
		t.Fatalf("owner's tokens: %v, %v", tokens, err)
	}
	w.token = tokens[0].ID
	w.secrets = []string{secretName, "Owner Token Secret", tokenSecret, tokens[0].ID.String(), "Owner Seat", "OWNERSECRET", "Registrant Person", "reg@example.com", o.AccessCode, "Owner Kiosk",
		kiosk.Kiosk.ID, kiosk.PairingCode, "Walkup Secret", "owner-kiosk"}
	return w
}

// ids puts the world's ids in a route's path, with conf as :cid.
func (w ownerWorld) ids(conf uuid.UUID) *strings.Replacer {
	return strings.NewReplacer(":cid", conf.String(), ":sid", w.st.String(), ":oid", w.order.String(),
		":pcid", w.promo.String(), ":job", webui.NewToken(), ":pid", strings.TrimPrefix(w.payPage, "/pay/"),
		":slug", "owner-secret", ":kid", w.kiosk, ":num", "1", ":tid", w.token.String())
}

// hostile is a form with a plausible value for every field a POST route
// reads, so that only the check under test can refuse it.
var hostile = url.Values{"decision": {"accept"}, "reason": {"hijack"}, "name": {"X"}, "quota": {"0"}, "price": {"0"},
	"layout": {"a4-sheet"}, "kind": {"refund"}, "percent": {"100"}, "code": {"HIJACK"}, "email_0": {"x@example.com"}, "name_0": {"X"},
	"email": {"x@example.com"}, "qty_x": {"1"}}

// TestTenancyWalk visits every organizer route with the ids of another
// organizer's conference, seat type, promo code, order, kiosk and
// conflict: as a second organizer and as an anonymous visitor, and as the
// second organizer with their own conference id and the owner's other
// ids. Each answer is a 404 or a redirect to sign in, never the other
// tenant's data, and nothing of theirs changes.
func TestTenancyWalk(t *testing.T) {
	th := startHub(t, Options{SignInRate: 1000})
	w := th.ownerWorld(t)

	other := th.browser()
	other.signUp("Other Org", "other@example.com")
	otherConf := other.createConference("Other Conf", "other-conf")
	anon := th.browser()
	anon.Get("/")

	walked, mixed := 0, 0
	for _, r := range th.echo.Routes() {
		org := strings.HasPrefix(r.Path, "/org") && !strings.HasPrefix(r.Path, "/org/sign")
		private := strings.Contains(r.Path, ":oid") || strings.Contains(r.Path, ":pid")
		if (!org && !private) || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
			continue
		}
		walked++
		type visit struct {
			name string
			b    *browser
			path string
		}
		visits := []visit{
			{"second organizer", other, w.ids(w.conf).Replace(r.Path)},
			{"anonymous", anon, w.ids(w.conf).Replace(r.Path)},
		}
		// The second organizer's own conference with the owner's seat
		// type, order, promo code, kiosk or conflict.
		if rest := strings.TrimPrefix(r.Path, "/org/conferences/:cid"); rest != r.Path && strings.Contains(rest, ":") {
			mixed++
			visits = append(visits, visit{"second organizer mixing ids", other, w.ids(otherConf).Replace(r.Path)})
		}
		for _, who := range visits {
			var p page
			if r.Method == http.MethodGet {
				p = who.b.Get(who.path)
			} else {
				p = who.b.Post(who.path, hostile)
			}
			for _, s := range w.secrets {
				if strings.Contains(p.Body, s) {
					t.Errorf("%s %s as %s: the page shows the other tenant's %q", r.Method, who.path, who.name, s)
				}
			}
			switch {
			case p.Status == http.StatusNotFound:
			case org && who.name == "anonymous" && p.Status == http.StatusSeeOther && strings.HasPrefix(p.Location, "/org/signin"):
			case !strings.Contains(r.Path, ":") && who.name == "second organizer" && p.Status < 500:
				// Their own pages (/org, new conference): fine, checked above.
			default:
				t.Errorf("%s %s as %s: status %d location %q, want 404 or a redirect to sign in", r.Method, who.path, who.name, p.Status, p.Location)
			}
		}
	}
	if walked < 30 || mixed < 12 {
		t.Fatalf("walked %d routes (%d with mixed ids), want every organizer and order route", walked, mixed)
	}
	w.unchanged(t, th)
}

// unchanged fails the test if anything of the owner's changed.
func (w ownerWorld) unchanged(t *testing.T, th *testHub) {
	t.Helper()
	ctx := context.Background()
	org := th.conference(w.conf)
	c, err := th.hub.Conferences.GetConference(ctx, org, w.conf)
	if err != nil || !c.Published || c.Name != "Owner Secret Summit" {
		t.Fatalf("owner's conference: %+v, %v", c, err)
	}
	if sts, err := th.hub.Conferences.ListSeatTypes(ctx, org, w.conf); err != nil || len(sts) != 1 || sts[0].Name != "Owner Seat" || sts[0].Quota != 20 {
		t.Fatalf("owner's seat types: %+v, %v", sts, err)
	}
	if codes, err := th.hub.Conferences.ListPromoCodes(ctx, org, w.conf); err != nil || len(codes) != 1 || codes[0].Percent != 10 {
		t.Fatalf("owner's promo codes: %+v, %v", codes, err)
	}
	if o, err := th.hub.Registrations.GetOrder(ctx, w.order); err != nil || o.Status != registrations.OrderStatusReserved || o.Name != "Registrant Person" {
		t.Fatalf("owner's order: %v %q, %v", o.Status, o.Name, err)
	}
	if k, err := th.hub.Kiosks.Get(ctx, org, w.kiosk); err != nil || k.Revoked() {
		t.Fatalf("owner's kiosk: %+v, %v", k, err)
	}
	if n := len(th.availabilityOf(t, w.conf).OpenConflicts()); n != 1 {
		t.Fatalf("owner's open conflicts: %d", n)
	}
	if tokens, err := th.hub.Conferences.ListAPITokens(ctx, org); err != nil || len(tokens) != 1 || tokens[0].Revoked() {
		t.Fatalf("owner's API tokens: %+v, %v", tokens, err)
	}
	pays, _ := th.hub.Payments.ForOrder(ctx, w.order)
	if len(pays) != 1 || pays[0].Status != "pending" {
		t.Fatalf("owner's payments: %+v", pays)
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
