package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/api"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	registrationsapp "conference/hub/registrations"
)

// soldOutWorkshop sells the workshop's seats to two paid orders and
// returns the one holding the last two.
func (e *env) soldOutWorkshop() placed {
	e.t.Helper()
	e.pay(e.place(e.f.Workshop.String(), hubtest.WorkshopQuota-2))
	last := e.place(e.f.Workshop.String(), 2)
	e.pay(last)
	return last
}

// join puts name in line for two workshop seats.
func (e *env) join(name, email string) response {
	e.t.Helper()
	return e.must(http.StatusCreated, req{method: "POST", path: "/conferences/" + e.f.Slug + "/waitlist",
		body: map[string]any{"seat_type": e.f.Workshop.String(), "quantity": 2, "name": name, "email": email}})
}

type waitlistEntry struct {
	ID          string
	Name        string
	Status      string
	OfferState  string  `json:"offer_state"`
	OrderID     *string `json:"order_id"`
	OrderStatus *string `json:"order_status"`
}

// waitlistEntry waits until the organizer's list shows name's entry in
// the offer state, and returns it.
func (e *env) waitlistEntry(name, state string) waitlistEntry {
	e.t.Helper()
	var found waitlistEntry
	hubtest.Eventually(e.t, 10*time.Second, name+"'s offer "+state, func() error {
		var wl struct{ Entries []waitlistEntry }
		e.must(http.StatusOK, e.organizer("GET", "/waitlist", nil)).decode(e.t, &wl)
		for _, w := range wl.Entries {
			if w.Name == name && w.OfferState == state {
				found = w
				return nil
			}
		}
		return fmt.Errorf("waitlist %+v", wl.Entries)
	})
	return found
}

type waitlistOffer struct {
	SeatType     string `json:"seat_type"`
	SeatTypeName string `json:"seat_type_name"`
	Quantity     int
	Requested    int
	Name, Email  string
	State        string
	ExpiresAt    time.Time `json:"expires_at"`
	OrderID      *string   `json:"order_id"`
}

func (e *env) offer(entry string) waitlistOffer {
	e.t.Helper()
	var o waitlistOffer
	e.must(http.StatusOK, req{method: "GET", path: e.offerPath(entry)}).decode(e.t, &o)
	return o
}

func (e *env) offerPath(entry string) string {
	return "/conferences/" + e.f.Slug + "/waitlist/offers/" + entry
}

func TestRegistrantsJoinTheWaitlistAndTakeTheOfferMadeWhenSeatsComeBack(t *testing.T) {
	e := newEnv(t, api.Options{})
	last := e.soldOutWorkshop()
	join := "/conferences/" + e.f.Slug + "/waitlist"

	// Refused, by the field, changing nothing.
	before := e.settle()
	for _, c := range []struct {
		body        any
		status      int
		code, field string
		path        string
	}{
		{body: map[string]any{"seat_type": e.f.Paid.String(), "quantity": 1, "name": "Ann", "email": "ann@example.com"}, status: http.StatusConflict, code: "seats_available", field: "seat_type"},
		{body: map[string]any{"seat_type": e.f.Workshop.String(), "quantity": 0, "name": "Ann", "email": "ann@example.com"}, status: http.StatusUnprocessableEntity, code: "invalid_input", field: "quantity"},
		{body: map[string]any{"seat_type": e.f.Workshop.String(), "quantity": 10001, "name": "Ann", "email": "ann@example.com"}, status: http.StatusUnprocessableEntity, code: "invalid_input", field: "quantity"},
		{body: map[string]any{"quantity": 1, "name": "Ann", "email": "ann@example.com"}, status: http.StatusUnprocessableEntity, code: "invalid_input", field: "seat_type"},
		{body: map[string]any{"seat_type": "not-a-uuid", "quantity": 1, "name": "Ann", "email": "ann@example.com"}, status: http.StatusUnprocessableEntity, code: "invalid_input", field: "seat_type"},
		{body: map[string]any{"seat_type": e.f.OrganizerID.String(), "quantity": 1, "name": "Ann", "email": "ann@example.com"}, status: http.StatusUnprocessableEntity, code: "seat_type_unknown", field: "seat_type"},
		{body: map[string]any{"seat_type": e.f.Workshop.String(), "quantity": 1, "name": "", "email": "ann@example.com"}, status: http.StatusUnprocessableEntity, code: "invalid_input", field: "name"},
		{body: map[string]any{"seat_type": e.f.Workshop.String(), "quantity": 1, "name": "Ann", "email": "ann@"}, status: http.StatusUnprocessableEntity, code: "invalid_input", field: "email"},
		{body: map[string]any{"seat_type": e.f.Workshop.String(), "quantity": 1, "name": "Ann", "email": "ann@example.com", "seats": 1}, status: http.StatusBadRequest, code: "unknown_field", field: "seats"},
		{body: map[string]any{"seat_type": e.f.Workshop.String(), "quantity": 1, "name": "Ann", "email": "ann@example.com"}, path: "/conferences/no-such-conference/waitlist", status: http.StatusNotFound, code: "not_found"},
	} {
		path := join
		if c.path != "" {
			path = c.path
		}
		res := e.must(c.status, req{method: "POST", path: path, body: c.body})
		var got struct{ Error struct{ Code, Field string } }
		res.decode(t, &got)
		if got.Error.Code != c.code || got.Error.Field != c.field {
			t.Fatalf("%v: got %s on %q, want %s on %q", c.body, got.Error.Code, got.Error.Field, c.code, c.field)
		}
	}
	if after := e.fingerprint(); after != before {
		t.Fatalf("refused joins changed the hub:\n%s\n%s", before, after)
	}

	// Joined: the answer does not name the entry, the offer's secret.
	var joined struct {
		SeatType           string `json:"seat_type"`
		Quantity           int
		Status             string
		OfferWindowMinutes int `json:"offer_window_minutes"`
	}
	res := e.join("Grace Hopper", "grace@example.com")
	res.decode(t, &joined)
	if joined.SeatType != e.f.Workshop.String() || joined.Quantity != 2 || joined.Status != "waiting" ||
		joined.OfferWindowMinutes != int(registrationsapp.DefaultWaitlistOfferWindow/time.Minute) {
		t.Fatalf("joined: %+v", joined)
	}
	grace := e.waitlistEntry("Grace Hopper", "none")
	if strings.Contains(string(res.body), grace.ID) || grace.OrderID != nil || grace.OrderStatus != nil {
		t.Fatalf("join answered %s; organizer sees %+v", res.body, grace)
	}
	again := e.must(http.StatusConflict, req{method: "POST", path: join,
		body: map[string]any{"seat_type": e.f.Workshop.String(), "quantity": 1, "name": "Grace", "email": "GRACE@example.com"}})
	if again.errorCode() != "already_waiting" {
		t.Fatalf("joining twice: %s", again.body)
	}
	// No offer yet: nothing at the offer's address.
	e.must(http.StatusNotFound, req{method: "GET", path: e.offerPath(grace.ID)})

	// Seats come back: the offer is made, and taken.
	e.must(http.StatusOK, e.organizer("POST", "/orders/"+last.OrderID+"/cancel", map[string]string{"reason": "changed plans"}))
	e.waitlistEntry("Grace Hopper", "open")
	o := e.offer(grace.ID)
	if o.State != "open" || o.Quantity != 2 || o.Requested != 2 || o.SeatTypeName != "Workshop" || o.Name != "Grace Hopper" ||
		o.Email != "grace@example.com" || o.OrderID != nil || !o.ExpiresAt.After(time.Now()) {
		t.Fatalf("offer: %+v", o)
	}
	taken := e.must(http.StatusCreated, req{method: "POST", path: e.offerPath(grace.ID) + "/take"})
	var p placed
	taken.decode(t, &p)
	if p.OrderID != grace.ID || p.AccessCode == "" || taken.header.Get("Location") != api.Prefix+"/orders/"+grace.ID {
		t.Fatalf("taken: %s (Location %q)", taken.body, taken.header.Get("Location"))
	}
	if ord := e.waitWhile(p, "pending"); ord.Status != "reserved" || ord.Registrant == nil || ord.Registrant.Email != "grace@example.com" ||
		len(ord.Reserved) != 1 || ord.Reserved[0].Quantity != 2 {
		t.Fatalf("the order: %+v", ord)
	}
	var twice placed
	e.must(http.StatusOK, req{method: "POST", path: e.offerPath(grace.ID) + "/take"}).decode(t, &twice)
	if twice.OrderID != p.OrderID || twice.AccessCode != p.AccessCode || twice.Status != "reserved" {
		t.Fatalf("taken twice: %+v, want %+v", twice, p)
	}
	if res := e.must(http.StatusConflict, req{method: "POST", path: e.offerPath(grace.ID) + "/decline"}); res.errorCode() != "offer_taken" {
		t.Fatalf("declining a taken offer: %s", res.body)
	}
	e.payNamed(p)
	if o := e.offer(grace.ID); o.State != "taken" || o.OrderID == nil || *o.OrderID != p.OrderID {
		t.Fatalf("taken offer: %+v", o)
	}
	hubtest.Eventually(t, 10*time.Second, "the order confirmed in the list", func() error {
		if w := e.waitlistEntry("Grace Hopper", "taken"); w.OrderID == nil || *w.OrderID != p.OrderID || w.OrderStatus == nil || *w.OrderStatus != "confirmed" {
			return fmt.Errorf("entry %+v", w)
		}
		return nil
	})

	// Ids that name no offer.
	for _, path := range []string{e.offerPath(e.f.ConferenceID.String()), e.offerPath("not-an-id"),
		"/conferences/no-such-conference/waitlist/offers/" + grace.ID} {
		e.must(http.StatusNotFound, req{method: "GET", path: path})
		e.must(http.StatusNotFound, req{method: "POST", path: path + "/take"})
		e.must(http.StatusNotFound, req{method: "POST", path: path + "/decline"})
	}
}

func TestAnOfferNotTakenInTimePassesOnAndCannotBeTaken(t *testing.T) {
	clock := hubtest.NewClock()
	e := newEnvConfig(t, hubapp.Config{Now: clock.Now}, api.Options{})
	last := e.soldOutWorkshop()
	e.join("Ann Early", "ann@example.com")
	e.join("Bob Later", "bob@example.com")
	e.must(http.StatusOK, e.organizer("POST", "/orders/"+last.OrderID+"/cancel", map[string]string{"reason": "changed plans"}))
	ann := e.waitlistEntry("Ann Early", "open")

	clock.Advance(registrationsapp.DefaultWaitlistOfferWindow + time.Minute)
	e.waitlistEntry("Ann Early", "passed")
	bob := e.waitlistEntry("Bob Later", "open")
	before := e.settle()
	if o := e.offer(ann.ID); o.State != "passed" || o.OrderID != nil {
		t.Fatalf("Ann's offer: %+v", o)
	}
	for _, action := range []string{"/take", "/decline"} {
		if res := e.must(http.StatusGone, req{method: "POST", path: e.offerPath(ann.ID) + action}); res.errorCode() != "offer_passed" {
			t.Fatalf("%s on a passed offer: %s", action, res.body)
		}
	}
	if after := e.fingerprint(); after != before {
		t.Fatalf("a passed offer's refusals changed the hub:\n%s\n%s", before, after)
	}

	// Bob declines: nobody else waits, so the seats go back on sale.
	var declined waitlistOffer
	e.must(http.StatusOK, req{method: "POST", path: e.offerPath(bob.ID) + "/decline", body: map[string]any{}}).decode(t, &declined)
	if declined.State != "passed" {
		t.Fatalf("declined: %+v", declined)
	}
	e.must(http.StatusOK, req{method: "POST", path: e.offerPath(bob.ID) + "/decline"}) // again: the same
	if res := e.must(http.StatusGone, req{method: "POST", path: e.offerPath(bob.ID) + "/take"}); res.errorCode() != "offer_passed" {
		t.Fatalf("take after declining: %s", res.body)
	}
	hubtest.Eventually(t, 10*time.Second, "the seats back on sale", func() error {
		var conf struct {
			SeatTypes []struct {
				ID        string
				Remaining int
			} `json:"seat_types"`
		}
		if err := json.Unmarshal(e.must(http.StatusOK, req{method: "GET", path: "/conferences/" + e.f.Slug}).body, &conf); err != nil {
			return err
		}
		for _, st := range conf.SeatTypes {
			if st.ID == e.f.Workshop.String() && st.Remaining == 2 {
				return nil
			}
		}
		return fmt.Errorf("seat types %+v", conf.SeatTypes)
	})
	if _, err := e.h.Registrations.GetOrder(context.Background(), uuid.MustParse(ann.ID)); err == nil {
		t.Fatal("Ann's passed offer made an order")
	}
}
