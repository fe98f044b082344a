package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/api"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
)

func TestOrderIsPlacedReservedPaidConfirmedAssignedAndFoundByCode(t *testing.T) {
	e := newEnv(t, api.Options{})
	p := e.place(e.f.Paid.String(), 2)
	if p.AccessCode == "" || p.Status != "pending" {
		t.Fatalf("placed = %+v, want an access code and status pending", p)
	}

	o := e.waitWhile(p, "pending")
	if o.Status != "reserved" || o.ExpiresAt == nil || o.Total.Amount != 2*hubtest.PaidPrice || o.Partial {
		t.Fatalf("after placing: %+v, want reserved for 2 seats with an expiry", o)
	}
	e.must(http.StatusOK, req{method: "PUT", path: "/orders/" + p.OrderID + "/registrant", code: p.AccessCode,
		body: map[string]string{"name": "Ada Lovelace", "email": "ada@example.com"}})

	var pay struct {
		PaymentID string `json:"payment_id"`
		AcceptURL string `json:"accept_url"`
		Amount    struct{ Amount int64 }
	}
	e.must(http.StatusOK, req{method: "POST", path: "/orders/" + p.OrderID + "/payment", code: p.AccessCode}).decode(t, &pay)
	if pay.PaymentID == "" || pay.Amount.Amount != 2*hubtest.PaidPrice {
		t.Fatalf("payment = %+v, want one for %d", pay, 2*hubtest.PaidPrice)
	}
	e.must(http.StatusOK, req{method: "POST", path: "/payments/" + pay.PaymentID + "/accept"})
	if o = e.waitWhile(p, "reserved"); o.Status != "confirmed" {
		t.Fatalf("after paying: status %q, want confirmed", o.Status)
	}

	var seats struct {
		Seats []struct {
			Position int
			Attendee *struct{ Name, Email string }
		}
	}
	e.must(http.StatusOK, req{method: "PUT", path: "/orders/" + p.OrderID + "/seats", code: p.AccessCode,
		body: map[string]any{"assignments": []map[string]any{
			{"position": 0, "attendee": map[string]string{"name": "Ada Lovelace", "email": "ada@example.com"}},
			{"position": 1, "attendee": map[string]string{"name": "Charles Babbage", "email": "charles@example.com", "company": "Engines"}},
		}}}).decode(t, &seats)
	if len(seats.Seats) != 2 || seats.Seats[1].Attendee == nil || seats.Seats[1].Attendee.Name != "Charles Babbage" {
		t.Fatalf("seats = %+v, want two assigned", seats)
	}

	var found order
	e.must(http.StatusOK, req{method: "POST", path: "/orders/lookup",
		body: map[string]string{"access_code": p.AccessCode, "email": "ADA@example.com"}}).decode(t, &found)
	if found.OrderID != p.OrderID || found.Status != "confirmed" {
		t.Fatalf("lookup found %+v, want order %s confirmed", found, p.OrderID)
	}

	var attendees struct{ Attendees []struct{ Name string } }
	e.must(http.StatusOK, req{method: "GET", path: "/organizer/conferences/" + e.f.ConferenceID.String() + "/attendees",
		token: e.f.Token}).decode(t, &attendees)
	if len(attendees.Attendees) != 2 {
		t.Fatalf("attendees = %+v, want the two assigned", attendees)
	}
}

func TestOrderForMoreSeatsThanLeftIsRefusedWithWhatIsLeftAndChangesNothing(t *testing.T) {
	e := newEnv(t, api.Options{})
	first := e.place(e.f.Workshop.String(), hubtest.WorkshopQuota-3)
	if err := e.h.Registrations.SetRegistrant(context.Background(), uuid.MustParse(first.OrderID), "First", "first@example.com"); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitForAwaitingPayment(t, e.h, uuid.MustParse(first.OrderID))
	hubtest.WaitForMessagesDelivered(t, e.h)

	before := e.head()
	res := e.must(http.StatusConflict, req{method: "POST", path: "/conferences/" + e.f.Slug + "/orders",
		body: map[string]any{"seats": []seatLine{{e.f.Paid.String(), 1}, {e.f.Workshop.String(), 5}}}})
	var body struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			SeatsLeft []struct {
				SeatType              string `json:"seat_type"`
				Requested, Left, Held int
			} `json:"seats_left"`
		} `json:"error"`
	}
	res.decode(t, &body)
	got := body.Error
	if got.Code != api.CodeSeatsUnavailable || !strings.Contains(got.Message, "only 3 left") || len(got.SeatsLeft) != 1 ||
		got.SeatsLeft[0].SeatType != e.f.Workshop.String() || got.SeatsLeft[0].Requested != 5 || got.SeatsLeft[0].Left != 3 ||
		got.SeatsLeft[0].Held != hubtest.WorkshopQuota-3 {
		t.Fatalf("got %s, want seats_unavailable with 3 workshop seats left, 7 held", res.body)
	}
	if after := e.head(); after != before {
		t.Fatalf("log head moved from %d to %d", before, after)
	}

	// The public read says the same: 3 left, 7 held for an unpaid order.
	hubtest.Eventually(t, 10*time.Second, "public seats left", func() error {
		var c struct {
			SeatTypes []struct {
				ID              string
				Remaining, Held int
			} `json:"seat_types"`
		}
		e.must(http.StatusOK, req{method: "GET", path: "/conferences/" + e.f.Slug}).decode(t, &c)
		for _, st := range c.SeatTypes {
			if st.ID == e.f.Workshop.String() && (st.Remaining != 3 || st.Held != hubtest.WorkshopQuota-3) {
				return fmt.Errorf("workshop: %d remaining, %d held", st.Remaining, st.Held)
			}
		}
		return nil
	})
}

// The one way to a partial order: seats another order takes between the
// answer and the reservation. Both orders are placed while the hub's
// workers are held back, each asking for no more than is left.
func TestSeatsTakenBetweenPlacingAndReservingMakeAPartialOrder(t *testing.T) {
	h, start := hubtest.OpenIdle(t, hubapp.Config{})
	e := serveAPI(t, h, api.Options{})
	first := e.place(e.f.Workshop.String(), 7)
	second := e.place(e.f.Workshop.String(), 5)
	start()

	if o := e.waitWhile(first, "pending"); o.Status != "reserved" || o.Partial {
		t.Fatalf("first order = %+v, want all 7 reserved", o)
	}
	o := e.waitWhile(second, "pending")
	if o.Status != "reserved" || !o.Partial || len(o.Reserved) != 1 || o.Reserved[0].Quantity != 3 {
		t.Fatalf("second order = %+v, want reserved partially: 3 of 5", o)
	}
	if o.Total.Amount != 3*hubtest.WorkshopPrice {
		t.Fatalf("total = %d, want the 3 reserved seats: %d", o.Total.Amount, 3*hubtest.WorkshopPrice)
	}
}

func TestARejectedOrderShowsTotalZeroAndWhy(t *testing.T) {
	// Both orders pass the check of what is left before either is
	// reserved (the hub's workers held back); the second then finds none.
	h, start := hubtest.OpenIdle(t, hubapp.Config{})
	e := serveAPI(t, h, api.Options{})
	e.place(e.f.Workshop.String(), hubtest.WorkshopQuota)
	p := e.place(e.f.Workshop.String(), 2)
	start()
	var o struct {
		order
		Reason string `json:"reason"`
	}
	e.must(http.StatusOK, req{method: "GET", path: "/orders/" + p.OrderID + "?wait_while=pending&wait=10", code: p.AccessCode}).decode(t, &o)
	if o.Status != "rejected" || o.Total.Amount != 0 || o.Reason == "" || len(o.Reserved) != 0 {
		t.Fatalf("sold-out order = %+v, want rejected, total 0 and a reason", o)
	}
	// The organizer's list says the same, from the read models.
	var list struct {
		Orders []struct {
			OrderID string `json:"order_id"`
			Reason  string `json:"reason"`
			Total   struct{ Amount int64 }
		} `json:"orders"`
	}
	hubtest.Eventually(t, 10*time.Second, "rejected order listed", func() error {
		e.must(http.StatusOK, req{method: "GET", path: "/organizer/conferences/" + e.f.ConferenceID.String() + "/orders?status=rejected",
			token: e.f.Token}).decode(t, &list)
		if len(list.Orders) != 1 || list.Orders[0].OrderID != p.OrderID || list.Orders[0].Reason != o.Reason || list.Orders[0].Total.Amount != 0 {
			return fmt.Errorf("rejected orders listed: %+v", list.Orders)
		}
		return nil
	})
}

func TestUnpaidOrderExpiresAndCanNoLongerBeChanged(t *testing.T) {
	clock := hubtest.NewClock()
	e := newEnvConfig(t, hubapp.Config{Now: clock.Now}, api.Options{})
	p := e.place(e.f.Paid.String(), 1)
	if o := e.waitWhile(p, "pending"); o.Status != "reserved" {
		t.Fatalf("status %q, want reserved", o.Status)
	}
	clock.Advance(16 * time.Minute)
	// The bus delivers the due timeout once it looks again; nudge it with
	// the clock and wait.
	var o order
	hubtest.Eventually(t, 15*time.Second, "order expired", func() error {
		e.h.Bus.DispatchDue(t.Context())
		o = e.waitWhile(p, "reserved")
		if o.Status != "expired" {
			return errStatus(o.Status)
		}
		return nil
	})
	// Expiring also releases the seats, delivered apart from the order's
	// expiry: let it land before counting what the refusals write.
	hubtest.Eventually(t, 10*time.Second, "the expired order's seats released", func() error {
		a, err := e.h.Registrations.Availability(t.Context(), e.f.ConferenceID)
		if err != nil {
			return err
		}
		if held, ok := a.Reservation(uuid.MustParse(p.OrderID)); ok && held.Total() > 0 {
			return fmt.Errorf("availability still holds %v", held)
		}
		return nil
	})
	if len(o.Reserved) != 0 || o.Partial {
		t.Fatalf("expired order lists %+v as reserved (partial %v), want none", o.Reserved, o.Partial)
	}
	before := e.head()
	res := e.must(http.StatusConflict, req{method: "PUT", path: "/orders/" + p.OrderID + "/registrant", code: p.AccessCode,
		body: map[string]string{"name": "Late Comer", "email": "late@example.com"}})
	if res.errorCode() != api.CodeOrderExpired {
		t.Fatalf("code %q, want %q", res.errorCode(), api.CodeOrderExpired)
	}
	res = e.must(http.StatusConflict, req{method: "POST", path: "/orders/" + p.OrderID + "/payment", code: p.AccessCode})
	if res.errorCode() != api.CodeOrderExpired {
		t.Fatalf("code %q, want %q", res.errorCode(), api.CodeOrderExpired)
	}
	if after := e.head(); after != before {
		t.Fatalf("log head moved from %d to %d", before, after)
	}
}

type errStatus string

func (s errStatus) Error() string { return "status is " + string(s) }

func TestTwoHundredClientsRacingForTheLastTenSeatsReserveExactlyTen(t *testing.T) {
	// The hub works through 200 orders one process step at a time; on a
	// busy machine under -race that takes longer than the default wait.
	e := newEnv(t, api.Options{MaxWait: 2 * time.Minute})
	// Leave exactly 10 workshop seats: the fixture's quota is 10.
	const clients = 200
	results := make([]order, clients)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			body := map[string]any{"seats": []seatLine{{e.f.Workshop.String(), 1}}}
			res := e.do(req{method: "POST", path: "/conferences/" + e.f.Slug + "/orders", body: body})
			if res.status == http.StatusConflict && res.errorCode() == api.CodeSeatsUnavailable {
				results[i].Status = "refused" // none left when it arrived
				return
			}
			var p placed
			if res.status != http.StatusCreated || json.Unmarshal(res.body, &p) != nil {
				t.Errorf("place: %d %s", res.status, res.body)
				return
			}
			res = e.do(req{method: "GET", path: "/orders/" + p.OrderID + "?wait_while=pending&wait=120", code: p.AccessCode})
			if res.status != http.StatusOK || json.Unmarshal(res.body, &results[i]) != nil {
				t.Errorf("order: %d %s", res.status, res.body)
			}
		}()
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	reserved, turnedAway := 0, 0
	for _, o := range results {
		switch o.Status {
		case "reserved":
			reserved++
		case "rejected", "refused":
			turnedAway++
		default:
			t.Errorf("order %s is %q, want reserved, rejected or refused", o.OrderID, o.Status)
		}
	}
	if reserved != hubtest.WorkshopQuota || turnedAway != clients-hubtest.WorkshopQuota {
		t.Fatalf("reserved %d, rejected or refused %d; want exactly %d reserved", reserved, turnedAway, hubtest.WorkshopQuota)
	}
	av, err := e.h.Registrations.Availability(t.Context(), e.f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	if got := av.ReservedCount(e.f.Workshop); got != hubtest.WorkshopQuota {
		t.Fatalf("availability holds %d reserved workshop seats, want %d", got, hubtest.WorkshopQuota)
	}
}
