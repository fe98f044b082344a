package api_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"conference/hub/api"
	"conference/hub/hubapp/hubtest"
)

func TestOrganizerCreatesPublishesAndSellsAConference(t *testing.T) {
	e := newEnv(t, api.Options{})
	tok := e.f.Token
	var conf struct {
		ID        string `json:"id"`
		Published bool   `json:"published"`
		Window    int    `json:"reservation_window_minutes"`
	}
	e.must(http.StatusCreated, req{method: "POST", path: "/organizer/conferences", token: tok, body: map[string]any{
		"slug": "gophercon-eu", "name": "GopherCon EU", "time_zone": "Europe/Berlin", "currency": "EUR",
		"starts_at": "2031-06-01T09:00:00Z", "ends_at": "2031-06-03T18:00:00Z",
	}}).decode(t, &conf)
	if conf.Published || conf.Window != 15 {
		t.Fatalf("created %+v, want unpublished with the default 15-minute window", conf)
	}
	path := "/organizer/conferences/" + conf.ID
	e.must(http.StatusOK, req{method: "PUT", path: path, token: tok, body: map[string]any{
		"slug": "gophercon-eu", "name": "GopherCon Europe", "time_zone": "Europe/Berlin", "currency": "EUR",
		"starts_at": "2031-06-01T09:00:00Z", "ends_at": "2031-06-03T18:00:00Z", "reservation_window_minutes": 20,
	}})
	var st struct {
		ID        string `json:"id"`
		Quota     int    `json:"quota"`
		Remaining int    `json:"remaining"`
	}
	seat := func(quota int) map[string]any {
		return map[string]any{"name": "Pass", "price": map[string]any{"amount": 10000, "currency": "EUR"}, "quota": quota}
	}
	e.must(http.StatusCreated, req{method: "POST", path: path + "/seat-types", token: tok, body: seat(5)}).decode(t, &st)
	e.must(http.StatusOK, req{method: "PUT", path: path + "/seat-types/" + st.ID, token: tok, body: seat(8)}).decode(t, &st)
	if st.Quota != 8 {
		t.Fatalf("quota %d after raising, want 8", st.Quota)
	}
	e.must(http.StatusOK, req{method: "POST", path: path + "/publish", token: tok}).decode(t, &conf)
	if !conf.Published {
		t.Fatal("not published")
	}

	var list struct{ Conferences []struct{ ID string } }
	e.must(http.StatusOK, req{method: "GET", path: "/organizer/conferences", token: tok}).decode(t, &list)
	if len(list.Conferences) != 2 {
		t.Fatalf("organizer lists %d conferences, want the fixture's and the new one", len(list.Conferences))
	}
	hubtest.Eventually(t, 10*time.Second, "conference on sale", func() error {
		var pub struct {
			SeatTypes []struct{ Remaining int } `json:"seat_types"`
		}
		res := e.do(req{method: "GET", path: "/conferences/gophercon-eu"})
		if res.status != http.StatusOK {
			return fmt.Errorf("status %d", res.status)
		}
		res.decode(t, &pub)
		if len(pub.SeatTypes) != 1 || pub.SeatTypes[0].Remaining != 8 {
			return fmt.Errorf("seat types %+v", pub.SeatTypes)
		}
		return nil
	})

	var p placed
	e.must(http.StatusCreated, req{method: "POST", path: "/conferences/gophercon-eu/orders",
		body: map[string]any{"seats": []seatLine{{st.ID, 3}}}}).decode(t, &p)
	e.waitWhile(p, "pending")
	e.must(http.StatusOK, req{method: "PUT", path: "/orders/" + p.OrderID + "/registrant", code: p.AccessCode,
		body: map[string]string{"name": "Grace Hopper", "email": "grace@example.com"}})

	var seatTypes struct {
		SeatTypes []struct{ Quota, Reserved, Remaining int } `json:"seat_types"`
	}
	e.must(http.StatusOK, req{method: "GET", path: path + "/seat-types", token: tok}).decode(t, &seatTypes)
	if got := seatTypes.SeatTypes[0]; got.Quota != 8 || got.Reserved != 3 || got.Remaining != 5 {
		t.Fatalf("organizer sees %+v, want quota 8, reserved 3, remaining 5", got)
	}

	var orders struct{ Orders []order }
	hubtest.Eventually(t, 10*time.Second, "order in the organizer's list", func() error {
		e.must(http.StatusOK, req{method: "GET", path: path + "/orders?q=grace&status=reserved", token: tok}).decode(t, &orders)
		if len(orders.Orders) != 1 || orders.Orders[0].OrderID != p.OrderID || orders.Orders[0].Code != p.AccessCode {
			return fmt.Errorf("orders %+v", orders.Orders)
		}
		return nil
	})
	var got order
	e.must(http.StatusOK, req{method: "GET", path: path + "/orders/" + p.OrderID, token: tok}).decode(t, &got)
	if got.Registrant == nil || got.Registrant.Email != "grace@example.com" {
		t.Fatalf("organizer's order %+v, want the registrant", got)
	}
	e.must(http.StatusOK, req{method: "POST", path: path + "/orders/" + p.OrderID + "/cancel", token: tok,
		body: map[string]string{"reason": "duplicate"}}).decode(t, &got)
	if got.Status != "cancelled" {
		t.Fatalf("status %q after cancelling, want cancelled", got.Status)
	}
	e.must(http.StatusOK, req{method: "POST", path: path + "/unpublish", token: tok})
	hubtest.Eventually(t, 10*time.Second, "conference off sale", func() error {
		if res := e.do(req{method: "GET", path: "/conferences/gophercon-eu"}); res.status != http.StatusNotFound {
			return fmt.Errorf("status %d", res.status)
		}
		return nil
	})
}

func TestGuessingAccessCodesIsRateLimited(t *testing.T) {
	e := newEnv(t, api.Options{LookupRate: rate.Every(time.Hour), LookupBurst: 5})
	p := e.place(e.f.Free.String(), 1)
	e.waitWhile(p, "pending")
	e.must(http.StatusOK, req{method: "PUT", path: "/orders/" + p.OrderID + "/registrant", code: p.AccessCode,
		body: map[string]string{"name": "Ada", "email": "ada@example.com"}})

	for i := range 5 {
		res := e.do(req{method: "POST", path: "/orders/lookup",
			body: map[string]string{"access_code": fmt.Sprintf("AAAA-AAA%d", i), "email": "ada@example.com"}})
		if res.status != http.StatusNotFound {
			t.Fatalf("guess %d: status %d, want 404", i, res.status)
		}
	}
	// Out of attempts at Ada's email: even the right code is refused now,
	// so guessing her code cannot go on, and the answer says when to
	// come back (one guess an hour).
	res := e.do(req{method: "POST", path: "/orders/lookup", body: map[string]string{"access_code": p.AccessCode, "email": "ada@example.com"}})
	if res.status != http.StatusTooManyRequests || res.errorCode() != api.CodeRateLimited {
		t.Fatalf("after 5 guesses: status %d code %q, want 429 %s", res.status, res.errorCode(), api.CodeRateLimited)
	}
	if ra, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || ra < 3500 || ra > 3600 {
		t.Fatalf("Retry-After %q, want about an hour in seconds", res.header.Get("Retry-After"))
	}
}

func TestSuccessfulLookupsFromOneAddressAreNeverLimited(t *testing.T) {
	// A strict limit: 2 wrong guesses per target and 3 per address.
	e := newEnv(t, api.Options{LookupRate: rate.Every(time.Hour), LookupBurst: 2, AddressRate: rate.Every(time.Hour), AddressBurst: 3})
	var orders []placed
	for range hubtest.FreeQuota {
		p := e.place(e.f.Free.String(), 1)
		e.name(p)
		orders = append(orders, p)
	}
	// Everyone behind the venue's one address finds their order, again
	// and again, and follows it by id: none of it counts.
	for round := range 4 {
		for _, p := range orders {
			var found order
			e.must(http.StatusOK, req{method: "POST", path: "/orders/lookup",
				body: map[string]string{"access_code": strings.ToLower(p.AccessCode), "email": "ADA@example.com"}}).decode(t, &found)
			if found.OrderID != p.OrderID {
				t.Fatalf("round %d: lookup found %s, want %s", round, found.OrderID, p.OrderID)
			}
			e.must(http.StatusOK, req{method: "GET", path: "/orders/" + p.OrderID, code: p.AccessCode})
		}
	}
	// One person mistyping twice does not lock the others out either.
	for range 2 {
		e.must(http.StatusNotFound, req{method: "POST", path: "/orders/lookup", body: map[string]string{"access_code": "ZZZZ-ZZZZ", "email": "ada@example.com"}})
	}
	e.must(http.StatusOK, req{method: "GET", path: "/orders/" + orders[0].OrderID, code: orders[0].AccessCode})
}

func TestWrongGuessesAtOneOrderAreLimitedFromEveryAddress(t *testing.T) {
	e := newEnv(t, api.Options{LookupRate: rate.Every(time.Minute), LookupBurst: 3, TrustProxy: true})
	p := e.place(e.f.Free.String(), 1)
	from := func(i int) map[string]string {
		return map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)}
	}
	for i := range 3 {
		e.must(http.StatusNotFound, req{method: "GET", path: "/orders/" + p.OrderID, code: "ZZZZ-ZZZZ", header: from(i)})
	}
	// A fourth guess from yet another address is refused, with when to
	// come back: one guess a minute.
	res := e.must(http.StatusTooManyRequests, req{method: "GET", path: "/orders/" + p.OrderID, code: "ZZZZ-ZZZZ", header: from(99)})
	if ra, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Fatalf("Retry-After %q, want 1 to 60 seconds", res.header.Get("Retry-After"))
	}
	// Another order is not affected.
	other := e.place(e.f.Free.String(), 1)
	e.must(http.StatusOK, req{method: "GET", path: "/orders/" + other.OrderID, code: other.AccessCode, header: from(99)})
}

func TestWrongAccessCodesOnAnOrderIDCountAsGuesses(t *testing.T) {
	e := newEnv(t, api.Options{LookupRate: rate.Every(time.Hour), LookupBurst: 3})
	p := e.place(e.f.Free.String(), 1)
	for range 3 {
		e.must(http.StatusNotFound, req{method: "GET", path: "/orders/" + p.OrderID, code: "ZZZZ-ZZZZ"})
	}
	e.must(http.StatusTooManyRequests, req{method: "GET", path: "/orders/" + p.OrderID, code: p.AccessCode})
}
