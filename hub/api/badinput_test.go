package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"conference/hub/api"
	"conference/hub/conferences"
	"conference/hub/hubapp/hubtest"
	"conference/shared/registrations"
)

// fingerprint is what a refused request must leave as it was: the event
// log, the outbox (Conference Management and Payments publish through it)
// and the SQL tables those contexts keep.
func (e *env) fingerprint() string {
	e.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "head=%d", e.head())
	// Rows concatenated here rather than in SQL: both databases run it.
	for _, q := range []string{
		`SELECT count(*), 0 FROM messages`,
		`SELECT count(*), 0 FROM payments`,
		`SELECT updated_at, published FROM conferences ORDER BY id`,
		`SELECT updated_at, quota FROM seat_types ORDER BY id`,
		`SELECT updated_at, max_uses FROM promo_codes ORDER BY id`,
		`SELECT COALESCE(revoked_at, 0), COALESCE(pairing_expires_at, 0) FROM kiosks ORDER BY id`,
	} {
		rows, err := e.h.Store.DB().QueryContext(context.Background(), q)
		if err != nil {
			e.t.Fatalf("fingerprint: %v", err)
		}
		for rows.Next() {
			var a, c int64
			if err := rows.Scan(&a, &c); err != nil {
				e.t.Fatalf("fingerprint: %v", err)
			}
			fmt.Fprintf(&b, " %d/%d", a, c)
		}
		rows.Close()
		b.WriteString(" |")
	}
	return b.String()
}

// settle waits until the workers have finished reacting to earlier
// requests, so only the request under test could move the fingerprint.
func (e *env) settle() string {
	e.t.Helper()
	last := e.fingerprint()
	for stable := 0; stable < 4; {
		time.Sleep(50 * time.Millisecond)
		now := e.fingerprint()
		if now == last {
			stable++
		} else {
			stable, last = 0, now
		}
	}
	return last
}

func TestBadInputIsRefusedWithAJSONErrorAndChangesNothing(t *testing.T) {
	e := newEnv(t, api.Options{LookupBurst: 1000})
	other := hubtest.PublishedConference(t, e.h) // another tenant
	conf := "/organizer/conferences/" + e.f.ConferenceID.String()
	otherConf := "/organizer/conferences/" + other.ConferenceID.String()
	tok := e.f.Token

	// An order waiting for payment, a confirmed one and a cancelled one.
	reserved := e.place(e.f.Paid.String(), 1)
	e.waitWhile(reserved, "pending")
	confirmed := e.place(e.f.Workshop.String(), 2)
	e.waitWhile(confirmed, "pending")
	e.name(confirmed)
	var pay struct {
		PaymentID string `json:"payment_id"`
	}
	e.must(http.StatusOK, req{method: "POST", path: "/orders/" + confirmed.OrderID + "/payment", code: confirmed.AccessCode}).decode(t, &pay)
	e.must(http.StatusOK, req{method: "POST", path: "/payments/" + pay.PaymentID + "/accept"})
	if o := e.waitWhile(confirmed, "reserved"); o.Status != "confirmed" {
		t.Fatalf("setup: order %s", o.Status)
	}
	free := e.place(e.f.Free.String(), 1)
	e.waitWhile(free, "pending")
	cancelled := e.place(e.f.Paid.String(), 1)
	e.waitWhile(cancelled, "pending")
	e.must(http.StatusOK, req{method: "POST", path: "/orders/" + cancelled.OrderID + "/cancel", code: cancelled.AccessCode})
	otherOrder := placeIn(e, other, 1)
	if _, err := e.h.Conferences.AddPromoCode(t.Context(), e.f.OrganizerID, e.f.ConferenceID, conferences.PromoCodeDetails{
		Code: "HANDSON", Kind: registrations.DiscountPercentage, Percent: 10, SeatType: e.f.Workshop}); err != nil {
		t.Fatal(err)
	}

	validConf := map[string]any{
		"slug": "new-conf", "name": "New", "time_zone": "Europe/Lisbon", "currency": "EUR",
		"starts_at": "2030-01-01T09:00:00Z", "ends_at": "2030-01-02T18:00:00Z",
	}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for key, val := range validConf {
			m[key] = val
		}
		m[k] = v
		return m
	}
	validSeat := map[string]any{"name": "Extra", "price": map[string]any{"amount": 100, "currency": "EUR"}, "quota": 5}
	seatWith := func(k string, v any) map[string]any {
		m := map[string]any{}
		for key, val := range validSeat {
			m[key] = val
		}
		m[k] = v
		return m
	}
	place := func(body any) req {
		return req{method: "POST", path: "/conferences/" + e.f.Slug + "/orders", body: body}
	}
	seats := func(seatType string, qty any) map[string]any {
		return map[string]any{"seats": []map[string]any{{"seat_type": seatType, "quantity": qty}}}
	}
	paid := e.f.Paid.String()
	unknownID := "0190a4c4-1111-7000-8000-000000000000"
	orderPath := func(p placed, rest string) string { return "/orders/" + p.OrderID + rest }
	assign := func(position any, attendee any) map[string]any {
		return map[string]any{"assignments": []map[string]any{{"position": position, "attendee": attendee}}}
	}
	ada := map[string]string{"name": "Ada", "email": "ada@example.com"}

	cases := []struct {
		name   string
		req    req
		status int
		code   string
		field  string
	}{
		// Organizer authentication and tenancy.
		{"no token", req{method: "GET", path: "/organizer/conferences"}, 401, api.CodeUnauthorized, ""},
		{"garbage token", req{method: "GET", path: "/organizer/conferences", token: "nope"}, 401, api.CodeUnauthorized, ""},
		{"unknown token", req{method: "GET", path: "/organizer/conferences", token: strings.Repeat("A", 43)}, 401, api.CodeUnauthorized, ""},
		{"another tenant's conference", req{method: "GET", path: otherConf, token: tok}, 404, api.CodeNotFound, ""},
		{"update another tenant's conference", req{method: "PUT", path: otherConf, token: tok, body: validConf}, 404, api.CodeNotFound, ""},
		{"publish another tenant's conference", req{method: "POST", path: otherConf + "/unpublish", token: tok}, 404, api.CodeNotFound, ""},
		{"seat types of another tenant", req{method: "GET", path: otherConf + "/seat-types", token: tok}, 404, api.CodeNotFound, ""},
		{"add seat type to another tenant", req{method: "POST", path: otherConf + "/seat-types", token: tok, body: validSeat}, 404, api.CodeNotFound, ""},
		{"update another tenant's seat type", req{method: "PUT", path: otherConf + "/seat-types/" + other.Paid.String(), token: tok, body: validSeat}, 404, api.CodeNotFound, ""},
		{"another tenant's seat type under own conference", req{method: "PUT", path: conf + "/seat-types/" + other.Paid.String(), token: tok, body: validSeat}, 404, api.CodeNotFound, ""},
		{"orders of another tenant", req{method: "GET", path: otherConf + "/orders", token: tok}, 404, api.CodeNotFound, ""},
		{"order of another tenant", req{method: "GET", path: otherConf + "/orders/" + otherOrder.OrderID, token: tok}, 404, api.CodeNotFound, ""},
		{"another tenant's order under own conference", req{method: "GET", path: conf + "/orders/" + otherOrder.OrderID, token: tok}, 404, api.CodeNotFound, ""},
		{"cancel another tenant's order", req{method: "POST", path: conf + "/orders/" + otherOrder.OrderID + "/cancel", token: tok}, 404, api.CodeNotFound, ""},
		{"attendees of another tenant", req{method: "GET", path: otherConf + "/attendees", token: tok}, 404, api.CodeNotFound, ""},
		{"malformed conference id", req{method: "GET", path: "/organizer/conferences/not-an-id", token: tok}, 404, api.CodeNotFound, ""},
		{"unknown conference id", req{method: "POST", path: "/organizer/conferences/" + unknownID + "/publish", token: tok}, 404, api.CodeNotFound, ""},

		// Organizer bodies.
		{"malformed JSON", req{method: "POST", path: "/organizer/conferences", token: tok, body: `{"slug":`}, 400, api.CodeMalformedJSON, ""},
		{"not an object", req{method: "POST", path: "/organizer/conferences", token: tok, body: `[1,2]`}, 400, api.CodeMalformedJSON, ""},
		{"empty body", req{method: "POST", path: "/organizer/conferences", token: tok, body: ``}, 400, api.CodeMalformedJSON, ""},
		{"trailing data", req{method: "POST", path: "/organizer/conferences", token: tok, body: `{} {}`}, 400, api.CodeMalformedJSON, ""},
		{"unknown field", req{method: "POST", path: "/organizer/conferences", token: tok, body: with("owner", "me")}, 400, api.CodeUnknownField, "owner"},
		{"wrong type", req{method: "POST", path: "/organizer/conferences", token: tok, body: with("name", 5)}, 422, api.CodeInvalid, "name"},
		{"invalid slug", req{method: "POST", path: "/organizer/conferences", token: tok, body: with("slug", "A")}, 422, api.CodeInvalid, "slug"},
		{"taken slug", req{method: "POST", path: "/organizer/conferences", token: tok, body: with("slug", e.f.Slug)}, 409, api.CodeConflict, ""},
		{"bad time zone", req{method: "POST", path: "/organizer/conferences", token: tok, body: with("time_zone", "Mars/Olympus")}, 422, api.CodeInvalid, "time_zone"},
		{"absurd reservation window", req{method: "POST", path: "/organizer/conferences", token: tok, body: with("reservation_window_minutes", int64(1)<<60)}, 422, api.CodeInvalid, "reservation_window_minutes"},
		{"not a date", req{method: "POST", path: "/organizer/conferences", token: tok, body: with("starts_at", "tomorrow")}, 400, api.CodeMalformedJSON, ""},
		{"wrong media type", req{method: "POST", path: "/organizer/conferences", token: tok, body: `{}`, header: map[string]string{"Content-Type": "text/plain"}}, 415, api.CodeUnsupportedMedia, ""},
		{"body too large", req{method: "PUT", path: conf, token: tok, body: `{"description":"` + strings.Repeat("x", 300<<10) + `"}`}, 413, api.CodeBodyTooLarge, ""},
		{"update with a missing name", req{method: "PUT", path: conf, token: tok, body: with("name", "")}, 422, api.CodeInvalid, "name"},
		{"publish with a body of options", req{method: "POST", path: conf + "/publish", token: tok, body: `{"force":true}`}, 400, api.CodeUnknownField, "force"},
		{"negative quota", req{method: "POST", path: conf + "/seat-types", token: tok, body: seatWith("quota", -1)}, 422, api.CodeInvalid, "quota"},
		{"absurd quota", req{method: "POST", path: conf + "/seat-types", token: tok, body: seatWith("quota", 1_000_000_000_000)}, 422, api.CodeInvalid, "quota"},
		{"quota beyond int64", req{method: "POST", path: conf + "/seat-types", token: tok, body: `{"name":"X","price":{"amount":1,"currency":"EUR"},"quota":1e30}`}, 422, api.CodeInvalid, "quota"},
		{"negative price", req{method: "POST", path: conf + "/seat-types", token: tok, body: seatWith("price", map[string]any{"amount": -5, "currency": "EUR"})}, 422, api.CodeInvalid, "price.amount"},
		{"other currency", req{method: "POST", path: conf + "/seat-types", token: tok, body: seatWith("price", map[string]any{"amount": 5, "currency": "USD"})}, 422, api.CodeInvalid, "price.currency"},
		{"unknown nested field", req{method: "POST", path: conf + "/seat-types", token: tok, body: seatWith("price", map[string]any{"amount": 5, "currency": "EUR", "vat": 1})}, 400, api.CodeUnknownField, "vat"},
		{"unknown seat type", req{method: "PUT", path: conf + "/seat-types/" + unknownID, token: tok, body: validSeat}, 404, api.CodeNotFound, ""},
		{"quota below sold", req{method: "PUT", path: conf + "/seat-types/" + e.f.Workshop.String(), token: tok,
			body: map[string]any{"name": "Workshop", "price": map[string]any{"amount": hubtest.WorkshopPrice, "currency": "EUR"}, "quota": 1,
				"on_site": map[string]any{"sellable_at_kiosks": true, "sell_past_allocation": true, "kiosk_allocation_size": 1}}}, 409, api.CodeQuotaBelowSold, "quota"},
		{"unknown order status filter", req{method: "GET", path: conf + "/orders?status=paid", token: tok}, 422, api.CodeInvalid, "status"},
		{"negative limit", req{method: "GET", path: conf + "/orders?limit=-1", token: tok}, 422, api.CodeInvalid, "limit"},
		{"huge offset", req{method: "GET", path: conf + "/attendees?offset=99999999999999999999", token: tok}, 422, api.CodeInvalid, "offset"},
		{"unknown order", req{method: "GET", path: conf + "/orders/" + unknownID, token: tok}, 404, api.CodeNotFound, ""},
		{"promo code malformed", req{method: "POST", path: conf + "/promo-codes", token: tok, body: `{"code":`}, 400, api.CodeMalformedJSON, ""},
		{"promo code unknown field", req{method: "POST", path: conf + "/promo-codes", token: tok, body: map[string]any{"code": "NEWCODE", "kind": "percentage", "percent": 5, "stackable": true}}, 400, api.CodeUnknownField, "stackable"},
		{"promo code without kind", req{method: "POST", path: conf + "/promo-codes", token: tok, body: map[string]any{"code": "NEWCODE"}}, 422, api.CodeInvalid, "kind"},
		{"promo code bad seat type id", req{method: "POST", path: conf + "/promo-codes", token: tok, body: map[string]any{"code": "NEWCODE", "kind": "percentage", "percent": 5, "seat_type": "pass"}}, 422, api.CodeInvalid, "seat_type"},
		{"taken promo code", req{method: "POST", path: conf + "/promo-codes", token: tok, body: map[string]any{"code": "handson", "kind": "percentage", "percent": 5}}, 409, api.CodeConflict, "code"},
		{"unknown promo code", req{method: "PUT", path: conf + "/promo-codes/" + unknownID, token: tok, body: map[string]any{"kind": "percentage", "percent": 5}}, 404, api.CodeNotFound, ""},
		{"kiosk without a name", req{method: "POST", path: conf + "/kiosks", token: tok, body: map[string]any{"name": " "}}, 422, api.CodeInvalid, "name"},
		{"unknown kiosk", req{method: "POST", path: conf + "/kiosks/k_nope/revoke", token: tok}, 404, api.CodeNotFound, ""},
		{"huge kiosk id", req{method: "POST", path: conf + "/kiosks/" + strings.Repeat("k", 500) + "/revoke", token: tok}, 404, api.CodeNotFound, ""},
		{"close on-site sales with options", req{method: "POST", path: conf + "/seat-types/" + e.f.Workshop.String() + "/close-on-site-sales", token: tok, body: `{"refund":true}`}, 400, api.CodeUnknownField, "refund"},
		{"close on-site sales of an unknown seat type", req{method: "POST", path: conf + "/seat-types/" + unknownID + "/close-on-site-sales", token: tok}, 404, api.CodeNotFound, ""},
		{"conflict number not a number", req{method: "POST", path: conf + "/conflicts/first/resolve", token: tok, body: map[string]any{"kind": "refund"}}, 404, api.CodeNotFound, ""},
		{"unknown conflict", req{method: "POST", path: conf + "/conflicts/7/resolve", token: tok, body: map[string]any{"kind": "refund"}}, 404, api.CodeNotFound, ""},
		{"check-ins negative offset", req{method: "GET", path: conf + "/check-ins?offset=-3", token: tok}, 422, api.CodeInvalid, "offset"},
		{"published conferences bad limit", req{method: "GET", path: "/conferences?limit=5000"}, 422, api.CodeInvalid, "limit"},
		{"index as HTML only", req{method: "GET", path: "/", header: map[string]string{"Accept": "text/html"}}, 406, api.CodeNotAcceptable, ""},

		// Public conferences and placing orders.
		{"unknown slug", req{method: "GET", path: "/conferences/no-such-conference"}, 404, api.CodeNotFound, ""},
		{"huge slug", req{method: "GET", path: "/conferences/" + strings.Repeat("a", 5000)}, 404, api.CodeNotFound, ""},
		{"order at unknown slug", req{method: "POST", path: "/conferences/nope-nope/orders", body: seats(paid, 1)}, 404, api.CodeNotFound, ""},
		{"order malformed", place(`{"seats":[{`), 400, api.CodeMalformedJSON, ""},
		{"order unknown field", place(map[string]any{"seats": []any{}, "discount": 100}), 400, api.CodeUnknownField, "discount"},
		{"order unknown line field", place(`{"seats":[{"seat_type":"` + paid + `","quantity":1,"price":0}]}`), 400, api.CodeUnknownField, "price"},
		{"order without seats", place(map[string]any{"seats": []any{}}), 422, api.CodeInvalid, "seats"},
		{"order negative quantity", place(seats(paid, -1)), 422, api.CodeInvalid, "seats[0].quantity"},
		{"order zero quantity", place(seats(paid, 0)), 422, api.CodeInvalid, "seats[0].quantity"},
		{"order absurd quantity", place(seats(paid, 1_000_000_000)), 422, api.CodeInvalid, "seats[0].quantity"},
		{"order quantity beyond int64", place(`{"seats":[{"seat_type":"` + paid + `","quantity":1e40}]}`), 422, api.CodeInvalid, "seats.quantity"},
		{"order fractional quantity", place(`{"seats":[{"seat_type":"` + paid + `","quantity":1.5}]}`), 422, api.CodeInvalid, "seats.quantity"},
		{"order malformed seat type", place(seats("workshop", 1)), 422, api.CodeInvalid, "seats.seat_type"},
		{"order seat type as number", place(`{"seats":[{"seat_type":7,"quantity":1}]}`), 422, api.CodeInvalid, "seats.seat_type"},
		{"order unknown seat type", place(seats(unknownID, 1)), 422, api.CodeSeatTypeNotPriced, "seats"},
		{"order another conference's seat type", place(seats(other.Paid.String(), 1)), 422, api.CodeSeatTypeNotPriced, "seats"},
		{"order unknown promo code", place(map[string]any{"seats": []map[string]any{{"seat_type": paid, "quantity": 1}}, "promo_code": "FREE4ALL"}), 422, api.CodePromoUnknown, "promo_code"},
		{"order promo code for a seat type not ordered", place(map[string]any{"seats": []map[string]any{{"seat_type": paid, "quantity": 1}}, "promo_code": "handson"}), 422, api.CodePromoNotApplies, "promo_code"},
		{"order too many lines", place(map[string]any{"seats": manyLines(paid, 51)}), 422, api.CodeInvalid, "seats"},

		// Registrant's order endpoints.
		{"unknown order id", req{method: "GET", path: "/orders/" + unknownID, code: "ABCD-EFGH"}, 404, api.CodeNotFound, ""},
		{"malformed order id", req{method: "GET", path: "/orders/42", code: "ABCD-EFGH"}, 404, api.CodeNotFound, ""},
		{"wrong access code", req{method: "GET", path: orderPath(reserved, ""), code: "ABCD-EFGH"}, 404, api.CodeNotFound, ""},
		{"no access code", req{method: "GET", path: orderPath(reserved, "")}, 404, api.CodeNotFound, ""},
		{"another order's code", req{method: "GET", path: orderPath(reserved, ""), code: confirmed.AccessCode}, 404, api.CodeNotFound, ""},
		{"unknown wait status", req{method: "GET", path: orderPath(reserved, "?wait_while=paid"), code: reserved.AccessCode}, 422, api.CodeInvalid, "wait_while"},
		{"negative wait", req{method: "GET", path: orderPath(reserved, "?wait_while=pending&wait=-1"), code: reserved.AccessCode}, 422, api.CodeInvalid, "wait"},
		{"registrant bad email", req{method: "PUT", path: orderPath(reserved, "/registrant"), code: reserved.AccessCode, body: map[string]string{"name": "Ada", "email": "nope"}}, 422, api.CodeInvalid, "email"},
		{"registrant email without a dotted domain", req{method: "PUT", path: orderPath(reserved, "/registrant"), code: reserved.AccessCode, body: map[string]string{"name": "Ana", "email": "ana@example"}}, 422, api.CodeInvalid, "email"},
		{"registrant without name", req{method: "PUT", path: orderPath(reserved, "/registrant"), code: reserved.AccessCode, body: map[string]string{"email": "ada@example.com"}}, 422, api.CodeInvalid, "name"},
		{"registrant unknown field", req{method: "PUT", path: orderPath(reserved, "/registrant"), code: reserved.AccessCode, body: `{"name":"Ada","email":"a@b.c","admin":true}`}, 400, api.CodeUnknownField, "admin"},
		{"registrant on a cancelled order", req{method: "PUT", path: orderPath(cancelled, "/registrant"), code: cancelled.AccessCode, body: ada}, 409, api.CodeOrderClosed, ""},
		{"pay a free order", req{method: "POST", path: orderPath(free, "/payment"), code: free.AccessCode}, 409, api.CodePaymentNotReady, ""},
		{"pay a cancelled order", req{method: "POST", path: orderPath(cancelled, "/payment"), code: cancelled.AccessCode}, 409, api.CodeOrderClosed, ""},
		{"pay with a body", req{method: "POST", path: orderPath(reserved, "/payment"), code: reserved.AccessCode, body: `{"amount":1}`}, 400, api.CodeUnknownField, "amount"},
		{"pay before the registrant's details", req{method: "POST", path: orderPath(reserved, "/payment"), code: reserved.AccessCode}, 422, api.CodeRegistrantMissing, "registrant"},
		{"seats of an unconfirmed order", req{method: "GET", path: orderPath(reserved, "/seats"), code: reserved.AccessCode}, 409, api.CodeNotConfirmed, ""},
		{"assign on an unconfirmed order", req{method: "PUT", path: orderPath(reserved, "/seats"), code: reserved.AccessCode, body: assign(0, ada)}, 409, api.CodeNotConfirmed, ""},
		{"assign unknown position", req{method: "PUT", path: orderPath(confirmed, "/seats"), code: confirmed.AccessCode, body: assign(2, ada)}, 422, api.CodeUnknownPosition, "assignments[0].position"},
		{"assign huge position", req{method: "PUT", path: orderPath(confirmed, "/seats"), code: confirmed.AccessCode, body: assign(int64(1)<<62, ada)}, 422, api.CodeUnknownPosition, "assignments[0].position"},
		{"assign negative position", req{method: "PUT", path: orderPath(confirmed, "/seats"), code: confirmed.AccessCode, body: assign(-1, ada)}, 422, api.CodeInvalid, "assignments[0].position"},
		{"assign without position", req{method: "PUT", path: orderPath(confirmed, "/seats"), code: confirmed.AccessCode, body: map[string]any{"assignments": []map[string]any{{"attendee": ada}}}}, 422, api.CodeInvalid, "assignments[0].position"},
		{"assign bad email", req{method: "PUT", path: orderPath(confirmed, "/seats"), code: confirmed.AccessCode, body: assign(0, map[string]string{"name": "Ada", "email": "x"})}, 422, api.CodeInvalid, "assignments[0].attendee.email"},
		{"assign one good one bad", req{method: "PUT", path: orderPath(confirmed, "/seats"), code: confirmed.AccessCode, body: map[string]any{"assignments": []map[string]any{
			{"position": 0, "attendee": ada}, {"position": 1, "attendee": map[string]string{"name": "", "email": "b@example.com"}}}}}, 422, api.CodeInvalid, "assignments[1].attendee.name"},
		{"assign nothing", req{method: "PUT", path: orderPath(confirmed, "/seats"), code: confirmed.AccessCode, body: map[string]any{"assignments": []any{}}}, 422, api.CodeInvalid, "assignments"},
		{"assign unknown attendee field", req{method: "PUT", path: orderPath(confirmed, "/seats"), code: confirmed.AccessCode, body: assign(0, map[string]string{"name": "Ada", "email": "a@b.c", "badge": "VIP"})}, 400, api.CodeUnknownField, "badge"},

		// The fake processor.
		{"accept unknown payment", req{method: "POST", path: "/payments/" + unknownID + "/accept"}, 404, api.CodeNotFound, ""},
		{"accept malformed payment id", req{method: "POST", path: "/payments/%00/accept"}, 404, api.CodeNotFound, ""},
		{"reject a paid payment", req{method: "POST", path: "/payments/" + pay.PaymentID + "/reject"}, 409, api.CodePaymentClosed, ""},
		{"get unknown payment", req{method: "GET", path: "/payments/" + unknownID}, 404, api.CodeNotFound, ""},

		// Lookup.
		{"lookup malformed", req{method: "POST", path: "/orders/lookup", body: `{"access_code":`}, 400, api.CodeMalformedJSON, ""},
		{"lookup unknown field", req{method: "POST", path: "/orders/lookup", body: `{"access_code":"A","email":"b","order_id":"x"}`}, 400, api.CodeUnknownField, "order_id"},
		{"lookup an email no order can have", req{method: "POST", path: "/orders/lookup", body: map[string]string{"access_code": reserved.AccessCode, "email": "ana@example"}}, 422, api.CodeInvalid, "email"},

		// Routing.
		{"unknown endpoint", req{method: "GET", path: "/nope"}, 404, api.CodeNotFound, ""},
		{"wrong method", req{method: "DELETE", path: "/conferences"}, 405, api.CodeMethodNotAllowed, ""},
		{"wrong method on the index", req{method: "POST", path: ""}, 405, api.CodeMethodNotAllowed, ""},
		{"wrong method on an order", req{method: "PATCH", path: orderPath(reserved, ""), code: reserved.AccessCode}, 405, api.CodeMethodNotAllowed, ""},
	}
	before := e.settle()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(tc.req)
			if res.status != tc.status || res.errorCode() != tc.code {
				t.Fatalf("%s %s: status %d code %q, want %d %q: %s", tc.req.method, tc.req.path, res.status, res.errorCode(), tc.status, tc.code, res.body)
			}
			var body struct {
				Error struct{ Message, Field string } `json:"error"`
			}
			res.decode(t, &body)
			if body.Error.Message == "" || body.Error.Field != tc.field {
				t.Errorf("message %q field %q, want a message and field %q", body.Error.Message, body.Error.Field, tc.field)
			}
			if !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
				t.Errorf("content type %q, want JSON", res.header.Get("Content-Type"))
			}
		})
	}
	if after := e.settle(); after != before {
		t.Fatalf("refused requests changed the hub:\nbefore %s\nafter  %s", before, after)
	}
}

func manyLines(seatType string, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"seat_type": seatType, "quantity": 1}
	}
	return out
}

// placeIn places an order of n paid seats at another fixture's conference.
func placeIn(e *env, f hubtest.Fixture, n int) placed {
	e.t.Helper()
	var p placed
	e.must(http.StatusCreated, req{method: "POST", path: "/conferences/" + f.Slug + "/orders",
		body: map[string]any{"seats": []seatLine{{f.Paid.String(), n}}}}).decode(e.t, &p)
	return p
}
