package api_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/api"
	"conference/hub/hubapp/hubtest"
	"conference/shared/onsite"
)

// pay names the registrant of a reserved paid order, pays it at the fake
// processor and waits until it is confirmed.
func (e *env) pay(p placed) {
	e.t.Helper()
	e.waitWhile(p, "pending")
	e.name(p)
	e.payNamed(p)
}

// payNamed pays a reserved order whose registrant is named already, and
// waits until it is confirmed.
func (e *env) payNamed(p placed) {
	e.t.Helper()
	var pay struct {
		PaymentID string `json:"payment_id"`
	}
	e.must(http.StatusOK, req{method: "POST", path: "/orders/" + p.OrderID + "/payment", code: p.AccessCode}).decode(e.t, &pay)
	e.must(http.StatusOK, req{method: "POST", path: "/payments/" + pay.PaymentID + "/accept"})
	if o := e.waitWhile(p, "reserved"); o.Status != "confirmed" {
		e.t.Fatalf("order %s is %s after paying, want confirmed", p.OrderID, o.Status)
	}
}

// organizer is a request of the fixture's organizer under their
// conference's path.
func (e *env) organizer(method, rest string, body any) req {
	return req{method: method, path: "/organizer/conferences/" + e.f.ConferenceID.String() + rest, token: e.f.Token, body: body}
}

type promoCode struct {
	ID              string
	Code            string
	Kind            string
	Percent         *int
	SeatType        *string `json:"seat_type"`
	MaxUses         int     `json:"max_uses"`
	Uses            int
	ConfirmedOrders int `json:"confirmed_orders"`
	Discount        struct{ Amount int64 }
}

func TestOrganizerManagesPromoCodesThroughTheAPI(t *testing.T) {
	e := newEnv(t, api.Options{})
	var list struct {
		PromoCodes []promoCode `json:"promo_codes"`
	}
	e.must(http.StatusOK, e.organizer("GET", "/promo-codes", nil)).decode(t, &list)
	if len(list.PromoCodes) != 0 {
		t.Fatalf("promo codes of a new conference: %+v", list.PromoCodes)
	}

	var early, flat promoCode
	e.must(http.StatusCreated, e.organizer("POST", "/promo-codes", map[string]any{
		"code": "early-birds", "kind": "percentage", "percent": 20, "seat_type": e.f.Paid.String(), "max_uses": 5,
	})).decode(t, &early)
	if early.Code != "EARLY-BIRDS" || early.Percent == nil || *early.Percent != 20 || early.SeatType == nil || *early.SeatType != e.f.Paid.String() {
		t.Fatalf("created %+v, want EARLY-BIRDS, 20%% off the pass", early)
	}
	e.must(http.StatusCreated, e.organizer("POST", "/promo-codes", map[string]any{
		"code": "TENOFF", "kind": "amount", "amount": map[string]any{"amount": 1000, "currency": "EUR"}, "seat_type": nil,
		"valid_until": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339),
	})).decode(t, &flat)

	// Refusals name the field and change nothing.
	if res := e.must(http.StatusConflict, e.organizer("POST", "/promo-codes", map[string]any{"code": "Early-Birds", "kind": "percentage", "percent": 5})); res.errorCode() != api.CodeConflict {
		t.Fatalf("a taken code: %s", res.body)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"code": "HALF", "kind": "percentage", "percent": 101}, "percent"},
		{map[string]any{"code": "USD", "kind": "amount", "amount": map[string]any{"amount": 5, "currency": "USD"}}, "amount.currency"},
		{map[string]any{"code": "OTHERS", "kind": "percentage", "percent": 5, "seat_type": uuid.NewString()}, "seat_type"},
	} {
		res := e.must(http.StatusUnprocessableEntity, e.organizer("POST", "/promo-codes", bad.body))
		if !strings.Contains(string(res.body), `"field":"`+bad.field+`"`) {
			t.Errorf("%v: %s, want field %s", bad.body, res.body, bad.field)
		}
	}

	// New terms; the code stays.
	e.must(http.StatusOK, e.organizer("PUT", "/promo-codes/"+early.ID, map[string]any{
		"kind": "percentage", "percent": 50, "seat_type": e.f.Paid.String(), "max_uses": 1,
	})).decode(t, &early)
	if early.Code != "EARLY-BIRDS" || *early.Percent != 50 || early.MaxUses != 1 {
		t.Fatalf("updated %+v", early)
	}
	e.must(http.StatusBadRequest, e.organizer("PUT", "/promo-codes/"+early.ID, map[string]any{"code": "RENAMED", "kind": "percentage", "percent": 5}))

	// A registrant uses it: the list counts the use and the discount.
	var p placed
	e.must(http.StatusCreated, req{method: "POST", path: "/conferences/" + e.f.Slug + "/orders",
		body: map[string]any{"seats": []seatLine{{e.f.Paid.String(), 1}}, "promo_code": "early-birds"}}).decode(t, &p)
	e.pay(p)
	hubtest.Eventually(t, 10*time.Second, "promo code use listed", func() error {
		e.must(http.StatusOK, e.organizer("GET", "/promo-codes", nil)).decode(t, &list)
		if len(list.PromoCodes) != 2 || list.PromoCodes[0].Code != "EARLY-BIRDS" || list.PromoCodes[0].Uses != 1 ||
			list.PromoCodes[0].ConfirmedOrders != 1 || list.PromoCodes[0].Discount.Amount != hubtest.PaidPrice/2 {
			return fmt.Errorf("promo codes %+v", list.PromoCodes)
		}
		return nil
	})

	// Withdrawn, it prices nothing more.
	e.must(http.StatusNoContent, e.organizer("DELETE", "/promo-codes/"+flat.ID, nil))
	e.must(http.StatusNotFound, e.organizer("DELETE", "/promo-codes/"+flat.ID, nil))
	res := e.must(http.StatusUnprocessableEntity, req{method: "POST", path: "/conferences/" + e.f.Slug + "/orders",
		body: map[string]any{"seats": []seatLine{{e.f.Paid.String(), 1}}, "promo_code": "TENOFF"}})
	if res.errorCode() != api.CodePromoUnknown {
		t.Fatalf("ordering with a withdrawn code: %s", res.body)
	}
}

type kiosk struct {
	ID, Name, Status string
	PairingExpiresAt *time.Time `json:"pairing_expires_at"`
	RevokedAt        *time.Time `json:"revoked_at"`
}

func TestOrganizerCreatesPairsRevokesKiosksAndClosesOnSiteSales(t *testing.T) {
	e := newEnv(t, api.Options{})
	ctx := context.Background()
	var door, spare struct {
		Kiosk       kiosk
		PairingCode string `json:"pairing_code"`
		PairCommand string `json:"pair_command"`
	}
	res := e.must(http.StatusCreated, e.organizer("POST", "/kiosks", map[string]string{"name": "Front desk"}))
	res.decode(t, &door)
	if door.Kiosk.Status != "waiting_for_pairing" || door.PairingCode == "" || !strings.HasSuffix(door.PairCommand, "--code "+door.PairingCode) ||
		res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("created %+v (Cache-Control %q), want a kiosk waiting with its code", door, res.header.Get("Cache-Control"))
	}
	e.must(http.StatusCreated, e.organizer("POST", "/kiosks", map[string]string{"name": "Spare"})).decode(t, &spare)
	e.must(http.StatusUnprocessableEntity, e.organizer("POST", "/kiosks", map[string]string{"name": strings.Repeat("x", 101)}))

	// The kiosk pairs with its code.
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.h.Kiosks.Pair(ctx, door.PairingCode, pub); err != nil {
		t.Fatalf("pair with the code the API gave: %v", err)
	}
	var got kiosk
	e.must(http.StatusOK, e.organizer("POST", "/kiosks/"+spare.Kiosk.ID+"/cancel-pairing", nil)).decode(t, &got)
	if got.Status != "pairing_cancelled" || got.PairingExpiresAt != nil {
		t.Fatalf("after cancelling the code: %+v", got)
	}
	if _, err := e.h.Kiosks.Pair(ctx, spare.PairingCode, pub); err == nil {
		t.Fatal("a cancelled code paired a kiosk")
	}
	e.must(http.StatusOK, e.organizer("POST", "/kiosks/"+door.Kiosk.ID+"/revoke", nil)).decode(t, &got)
	if got.Status != "revoked" || got.RevokedAt == nil {
		t.Fatalf("after revoking: %+v", got)
	}
	var list struct{ Kiosks []kiosk }
	e.must(http.StatusOK, e.organizer("GET", "/kiosks", nil)).decode(t, &list)
	statuses := map[string]string{}
	for _, k := range list.Kiosks {
		statuses[k.Name] = k.Status
	}
	if len(list.Kiosks) != 2 || statuses["Front desk"] != "revoked" || statuses["Spare"] != "pairing_cancelled" {
		t.Fatalf("kiosks %+v", list.Kiosks)
	}

	var closed struct {
		SeatType struct {
			OnSite struct {
				Sellable bool `json:"sellable_at_kiosks"`
			} `json:"on_site"`
		} `json:"seat_type"`
		Total int
	}
	e.must(http.StatusOK, e.organizer("POST", "/seat-types/"+e.f.Workshop.String()+"/close-on-site-sales", nil)).decode(t, &closed)
	if closed.SeatType.OnSite.Sellable || closed.Total != 0 {
		t.Fatalf("closing on-site sales: %+v, want the workshop no longer sellable at kiosks", closed)
	}
	sts, err := e.h.Conferences.ListSeatTypes(ctx, e.f.OrganizerID, e.f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.ID == e.f.Workshop && st.OnSite.SellableAtKiosks {
			t.Fatal("the workshop is still sellable at kiosks")
		}
	}
}

type conflict struct {
	Number     int
	Status     string
	Over       int
	KioskName  *string `json:"kiosk_name"`
	Orders     []struct{ Name string }
	Resolution *struct {
		Kind    string
		MovedTo *string `json:"moved_to"`
	}
}

func TestOrganizerResolvesSeatConflictsAndSeesDuplicateCheckIns(t *testing.T) {
	e := newEnv(t, api.Options{})
	var created struct{ Kiosk kiosk }
	e.must(http.StatusCreated, e.organizer("POST", "/kiosks", map[string]string{"name": "Side door"})).decode(t, &created)
	var tiny struct{ ID string }
	e.must(http.StatusCreated, e.organizer("POST", "/seat-types", map[string]any{
		"name": "Tiny room", "price": map[string]any{"amount": 0, "currency": "EUR"}, "quota": 0})).decode(t, &tiny)
	// Sales kiosks made offline past the workshop's quota.
	hubtest.RecordOnSiteSale(t, e.h, e.f.ConferenceID, e.f.Workshop, created.Kiosk.ID, "Walker One", hubtest.WorkshopQuota+2)
	hubtest.RecordOnSiteSale(t, e.h, e.f.ConferenceID, e.f.Workshop, created.Kiosk.ID, "Walker Two", 1)

	var list struct{ Conflicts []conflict }
	hubtest.Eventually(t, 10*time.Second, "conflicts listed", func() error {
		e.must(http.StatusOK, e.organizer("GET", "/conflicts", nil)).decode(t, &list)
		if len(list.Conflicts) != 2 || list.Conflicts[0].Status != "open" || list.Conflicts[0].Over != 2 ||
			list.Conflicts[0].KioskName == nil || *list.Conflicts[0].KioskName != "Side door" || list.Conflicts[0].Orders[0].Name != "Walker One" {
			return fmt.Errorf("conflicts %+v", list.Conflicts)
		}
		return nil
	})

	resolve := func(number int, body map[string]any) req {
		return e.organizer("POST", fmt.Sprintf("/conflicts/%d/resolve", number), body)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"kind": "ignore"}, "kind"},
		{map[string]any{"kind": "move_seats"}, "to_seat_type"},
		{map[string]any{"kind": "refund", "to_seat_type": e.f.Paid.String()}, "to_seat_type"},
		{map[string]any{"kind": "refund", "note": strings.Repeat("n", 501)}, "note"},
	} {
		res := e.must(http.StatusUnprocessableEntity, resolve(1, bad.body))
		if !strings.Contains(string(res.body), `"field":"`+bad.field+`"`) {
			t.Errorf("%v: %s, want field %s", bad.body, res.body, bad.field)
		}
	}
	if res := e.must(http.StatusConflict, resolve(1, map[string]any{"kind": "move_seats", "to_seat_type": tiny.ID})); res.errorCode() != api.CodeNotEnoughSeats {
		t.Fatalf("moving to a full seat type: %s", res.body)
	}
	e.must(http.StatusNotFound, resolve(9, map[string]any{"kind": "refund"}))

	var resolved conflict
	e.must(http.StatusOK, resolve(1, map[string]any{"kind": "move_seats", "to_seat_type": e.f.Paid.String(), "note": "into the hall"})).decode(t, &resolved)
	if resolved.Status != "resolved" || resolved.Resolution == nil || resolved.Resolution.Kind != "move_seats" ||
		resolved.Resolution.MovedTo == nil || *resolved.Resolution.MovedTo != e.f.Paid.String() {
		t.Fatalf("resolved %+v", resolved)
	}
	if res := e.must(http.StatusConflict, resolve(1, map[string]any{"kind": "refund"})); res.errorCode() != api.CodeConflictResolved {
		t.Fatalf("resolving twice: %s", res.body)
	}
	e.must(http.StatusOK, resolve(2, map[string]any{"kind": "raise_quota"})).decode(t, &resolved)
	if resolved.Resolution == nil || resolved.Resolution.Kind != "raise_quota" {
		t.Fatalf("resolved %+v", resolved)
	}

	// Two kiosks let one attendee in.
	seat := onsite.Seat{OrderID: uuid.MustParse(e.place(e.f.Free.String(), 1).OrderID), Position: 0}
	hubtest.RecordDuplicateCheckIn(t, e.h, e.f.ConferenceID, seat, created.Kiosk.ID, "hub")
	var dups struct {
		Duplicates []struct {
			OrderID string `json:"order_id"`
			CheckIn struct {
				KioskName *string `json:"kiosk_name"`
			} `json:"check_in"`
			Earlier struct {
				KioskID   string  `json:"kiosk_id"`
				KioskName *string `json:"kiosk_name"`
			}
		} `json:"duplicate_check_ins"`
	}
	hubtest.Eventually(t, 10*time.Second, "duplicate check-in listed", func() error {
		e.must(http.StatusOK, e.organizer("GET", "/duplicate-check-ins", nil)).decode(t, &dups)
		if len(dups.Duplicates) != 1 || dups.Duplicates[0].OrderID != seat.OrderID.String() || dups.Duplicates[0].CheckIn.KioskName == nil ||
			dups.Duplicates[0].Earlier.KioskID != "hub" || dups.Duplicates[0].Earlier.KioskName != nil {
			return fmt.Errorf("duplicates %+v", dups)
		}
		return nil
	})
}

func TestOrganizerSeesTheWaitlistWithOffersAndWhoCameThroughTheDoor(t *testing.T) {
	e := newEnv(t, api.Options{})
	ctx := context.Background()
	// The workshop sells out; someone waits for a seat.
	all := e.place(e.f.Workshop.String(), hubtest.WorkshopQuota)
	e.pay(all)
	if _, err := e.h.Registrations.JoinWaitlist(ctx, e.f.ConferenceID, e.f.Workshop, 1, "Wally Waiting", "wally@example.com"); err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Name           string
		Status         string
		Place          *int
		OfferedSeats   int        `json:"offered_seats"`
		OfferExpiresAt *time.Time `json:"offer_expires_at"`
	}
	var wl struct{ Entries []entry }
	hubtest.Eventually(t, 10*time.Second, "waiting", func() error {
		e.must(http.StatusOK, e.organizer("GET", "/waitlist", nil)).decode(t, &wl)
		if len(wl.Entries) != 1 || wl.Entries[0].Status != "waiting" || wl.Entries[0].Place == nil || *wl.Entries[0].Place != 1 {
			return fmt.Errorf("waitlist %+v", wl.Entries)
		}
		return nil
	})
	// The order is cancelled: its seats are offered to the one waiting.
	e.must(http.StatusOK, e.organizer("POST", "/orders/"+all.OrderID+"/cancel", map[string]string{"reason": "changed plans"}))
	hubtest.Eventually(t, 10*time.Second, "offered", func() error {
		e.must(http.StatusOK, e.organizer("GET", "/waitlist", nil)).decode(t, &wl)
		if len(wl.Entries) != 1 || wl.Entries[0].Status != "offered" || wl.Entries[0].Place != nil ||
			wl.Entries[0].OfferedSeats != 1 || wl.Entries[0].OfferExpiresAt == nil {
			return fmt.Errorf("waitlist %+v", wl.Entries)
		}
		return nil
	})

	// Two registrants of the community day; one comes through the door.
	ada, bob := e.place(e.f.Free.String(), 1), e.place(e.f.Free.String(), 1)
	for _, p := range []placed{ada, bob} {
		e.waitWhile(p, "pending")
		e.name(p)
		e.waitWhile(p, "reserved")
	}
	e.must(http.StatusOK, req{method: "PUT", path: "/orders/" + ada.OrderID + "/seats", code: ada.AccessCode, body: map[string]any{
		"assignments": []map[string]any{{"position": 0, "attendee": map[string]string{"name": "Ada Door", "email": "ada@example.com"}}}}})
	var door struct{ Kiosk kiosk }
	e.must(http.StatusCreated, e.organizer("POST", "/kiosks", map[string]string{"name": "Main door"})).decode(t, &door)
	hubtest.RecordCheckIn(t, e.h, e.f.ConferenceID, onsite.Seat{OrderID: uuid.MustParse(ada.OrderID), Position: 0}, door.Kiosk.ID)

	var attendance struct {
		SeatTypes []struct {
			SeatType  string `json:"seat_type"`
			Sold      int
			CheckedIn int `json:"checked_in"`
		} `json:"seat_types"`
		Sold, CheckedIn int
	}
	hubtest.Eventually(t, 10*time.Second, "attendance", func() error {
		e.must(http.StatusOK, e.organizer("GET", "/attendance", nil)).decode(t, &attendance)
		for _, st := range attendance.SeatTypes {
			if st.SeatType == e.f.Free.String() && st.Sold == 2 && st.CheckedIn == 1 {
				return nil
			}
		}
		return fmt.Errorf("attendance %+v", attendance)
	})
	var checkIns struct {
		CheckIns []struct {
			Name, Email string
			KioskName   *string `json:"kiosk_name"`
			SeatType    *string `json:"seat_type"`
			CheckIns    int     `json:"check_ins"`
		} `json:"check_ins"`
	}
	e.must(http.StatusOK, e.organizer("GET", "/check-ins?q=ADA", nil)).decode(t, &checkIns)
	if len(checkIns.CheckIns) != 1 || checkIns.CheckIns[0].Name != "Ada Door" || checkIns.CheckIns[0].KioskName == nil ||
		*checkIns.CheckIns[0].KioskName != "Main door" || checkIns.CheckIns[0].SeatType == nil || checkIns.CheckIns[0].CheckIns != 1 {
		t.Fatalf("check-ins %+v", checkIns)
	}
	e.must(http.StatusOK, e.organizer("GET", "/check-ins?q=bob", nil)).decode(t, &checkIns)
	if len(checkIns.CheckIns) != 0 {
		t.Fatalf("Bob was not checked in: %+v", checkIns)
	}
	e.must(http.StatusUnprocessableEntity, e.organizer("GET", "/check-ins?limit=0", nil))
}
