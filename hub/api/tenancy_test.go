package api_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/api"
	"conference/hub/conferences"
	"conference/hub/hubapp/hubtest"
	"conference/hub/readmodels"
	"conference/shared/registrations"
)

// TestEveryOrganizerRouteKeepsToItsTenant walks every organizer route of
// the API with another organizer's ids behind every parameter: under their
// conference, and under the caller's own conference with their promo code,
// kiosk, seat type, order or conflict. Each answers 404, never the other
// tenant's data; without a valid token each answers 401; and nothing of
// the other tenant's changes.
func TestEveryOrganizerRouteKeepsToItsTenant(t *testing.T) {
	e := newEnv(t, api.Options{})
	ctx := context.Background()
	other := hubtest.PublishedConference(t, e.h)
	promo, err := e.h.Conferences.AddPromoCode(ctx, other.OrganizerID, other.ConferenceID, conferences.PromoCodeDetails{
		Code: "THEIRSECRET", Kind: registrations.DiscountPercentage, Percent: 10})
	if err != nil {
		t.Fatal(err)
	}
	kiosk, err := e.h.Kiosks.CreateKiosk(ctx, other.OrganizerID, other.ConferenceID, "Their Secret Kiosk")
	if err != nil {
		t.Fatal(err)
	}
	order := placeIn(e, other, 1)
	// Their order settles (reserved, waiting for its registrant) before
	// the walk, so that only the walk could change it.
	hubtest.WaitForOrder(t, e.h, uuid.MustParse(order.OrderID), registrations.OrderStatusReserved)
	hubtest.RecordOnSiteSale(t, e.h, other.ConferenceID, other.Workshop, kiosk.Kiosk.ID, "Their Secret Walker", hubtest.WorkshopQuota+1)
	hubtest.WaitForMessagesDelivered(t, e.h)
	secrets := []string{"THEIRSECRET", "Their Secret Kiosk", kiosk.PairingCode, "Their Secret Walker", order.AccessCode}

	theirs := strings.NewReplacer(":conferenceID", other.ConferenceID.String(), ":seatTypeID", other.Workshop.String(),
		":orderID", order.OrderID, ":promoCodeID", promo.ID.String(), ":kioskID", kiosk.Kiosk.ID, ":number", "1")
	mixed := strings.NewReplacer(":conferenceID", e.f.ConferenceID.String(), ":seatTypeID", other.Workshop.String(),
		":orderID", order.OrderID, ":promoCodeID", promo.ID.String(), ":kioskID", kiosk.Kiosk.ID, ":number", "1")
	// Bodies valid in shape, so that only the tenancy check can refuse.
	bodies := map[string]any{
		"/conflicts/:number/resolve":      map[string]string{"kind": "refund"},
		"/promo-codes/:promoCodeID":       map[string]any{"kind": "percentage", "percent": 100},
		"/kiosks":                         map[string]string{"name": "Hijack"},
		"/promo-codes":                    map[string]any{"code": "HIJACK", "kind": "percentage", "percent": 100},
		"/seat-types/:seatTypeID":         map[string]any{"name": "Hijack", "price": map[string]any{"amount": 0, "currency": "EUR"}, "quota": 0},
		"/seat-types":                     map[string]any{"name": "Hijack", "price": map[string]any{"amount": 0, "currency": "EUR"}, "quota": 0},
		"":                                map[string]any{"slug": "hijack", "name": "Hijack", "time_zone": "UTC", "currency": "EUR", "starts_at": "2031-01-01T00:00:00Z", "ends_at": "2031-01-02T00:00:00Z"},
		"/orders/:orderID/cancel":         map[string]string{"reason": "hijack"},
		"/kiosks/:kioskID/revoke":         nil,
		"/kiosks/:kioskID/cancel-pairing": nil,
		"/seat-types/:seatTypeID/close-on-site-sales": nil,
	}

	routes := echo.New()
	if err := api.Register(routes, e.h, api.Options{}); err != nil {
		t.Fatal(err)
	}
	const confPrefix = api.Prefix + "/organizer/conferences/:conferenceID"
	param := regexp.MustCompile(`:[A-Za-z]+`)
	walked, mixedWalks := 0, 0
	before := theirState(t, e, other)
	for _, r := range routes.Routes() {
		rest, ok := strings.CutPrefix(r.Path, confPrefix)
		if !ok || r.Name == "api.methodNotAllowed" || r.Method == echo.RouteNotFound {
			continue
		}
		walked++
		visits := []string{theirs.Replace(strings.TrimPrefix(r.Path, api.Prefix))}
		if param.MatchString(rest) {
			mixedWalks++
			visits = append(visits, mixed.Replace(strings.TrimPrefix(r.Path, api.Prefix)))
		}
		for _, path := range visits {
			for _, token := range []string{e.f.Token, "", strings.Repeat("A", 43)} {
				res := e.do(req{method: r.Method, path: path, token: token, body: bodies[rest]})
				want := http.StatusNotFound
				if token != e.f.Token {
					want = http.StatusUnauthorized
				}
				if res.status != want {
					t.Errorf("%s %s (token %q): status %d, want %d: %s", r.Method, path, token[:min(4, len(token))], res.status, want, res.body)
				}
				for _, s := range secrets {
					if strings.Contains(string(res.body), s) {
						t.Errorf("%s %s: the answer shows the other tenant's %q", r.Method, path, s)
					}
				}
			}
		}
	}
	if walked < 25 || mixedWalks < 9 {
		t.Fatalf("walked %d organizer routes (%d with mixed ids): the walk is not looking at the API", walked, mixedWalks)
	}
	if after := theirState(t, e, other); after != before {
		t.Fatalf("the other tenant's state changed:\nbefore %s\nafter  %s", before, after)
	}
}

// theirState describes what a tenant owns, to compare before and after.
func theirState(t *testing.T, e *env, f hubtest.Fixture) string {
	t.Helper()
	ctx := context.Background()
	hubtest.WaitForMessagesDelivered(t, e.h)
	hubtest.WaitForReadModels(t, e.h)
	var b strings.Builder
	conf, err := e.h.Conferences.GetConference(ctx, f.OrganizerID, f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString(conf.Name + conf.UpdatedAt.String())
	sts, _ := e.h.Conferences.ListSeatTypes(ctx, f.OrganizerID, f.ConferenceID)
	for _, st := range sts {
		b.WriteString(" " + st.Name + st.UpdatedAt.Format(time.RFC3339Nano))
	}
	codes, _ := e.h.Conferences.ListPromoCodes(ctx, f.OrganizerID, f.ConferenceID)
	for _, pc := range codes {
		b.WriteString(" " + pc.Code + pc.UpdatedAt.Format(time.RFC3339Nano))
	}
	ks, _ := e.h.Kiosks.List(ctx, f.OrganizerID, f.ConferenceID)
	for _, k := range ks {
		b.WriteString(" " + k.Name + k.RevokedAt.String() + k.PairingExpiresAt.String())
	}
	av, err := e.h.Registrations.Availability(ctx, f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range av.OpenConflicts() {
		b.WriteString(" conflict " + c.SeatType.String())
	}
	orders, _ := e.h.Reads.Orders(ctx, f.ConferenceID, readmodels.OrdersFilter{})
	for _, o := range orders {
		b.WriteString(" " + o.AccessCode + string(o.Status))
	}
	return b.String()
}
