//go:build e2e

package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"conference/hub/hubapp/hubtest"
	registrationsapp "conference/hub/registrations"
	"conference/shared/browsertest"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/shared/webui/webuitest"
	"conference/sync/merge/mergetest"
)

// TestE2ECheckInAtAGlance: the organizer keeps the check-in page open while
// a kiosk's check-ins reach the hub; the totals, the seat type's row and
// the latest arrivals change in the browser without a reload.
func TestE2ECheckInAtAGlance(t *testing.T) {
	e := startE2E(t)
	fx := hubtest.PublishedConference(t, e.hub)
	ctx := context.Background()
	if err := SetPassword(ctx, e.hub, fx.OrganizerID, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	var orders []uuid.UUID
	for i, name := range []string{"Ἀριστοτέλης Σταγειρίτης", "Ada Lovelace"} {
		placed, err := e.hub.Registrations.PlaceOrder(ctx, fx.ConferenceID, registrations.Seats{{SeatType: fx.Free, Quantity: 1}}, "", e.hub.Now())
		if err != nil {
			t.Fatal(err)
		}
		email := fmt.Sprintf("guest%d@example.org", i)
		if err := e.hub.Registrations.SetRegistrant(ctx, placed.OrderID, name, email); err != nil {
			t.Fatal(err)
		}
		hubtest.WaitForOrder(t, e.hub, placed.OrderID, registrations.OrderStatusConfirmed)
		if _, err := e.hub.Registrations.AssignSeats(ctx, placed.OrderID, []registrationsapp.Assignment{
			{Position: 0, Attendee: &registrations.Attendee{Name: name, Email: email}}}); err != nil {
			t.Fatal(err)
		}
		orders = append(orders, placed.OrderID)
	}

	org := browsertest.New(t)
	org.Run("sign in", chromedp.Navigate(e.url+"/org/signin"), chromedp.WaitVisible(chromedp.ID("f-email")))
	fill(org, map[string]string{"f-email": fx.Email, "f-password": "correct horse battery"})
	org.Run("submit sign-in", chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, org, "Your conferences")
	org.Run("check-in page", chromedp.Navigate(e.url+confURL(fx.ConferenceID, "")), chromedp.Click(chromedp.CSS(".subnav a[href$='/attendance']")))
	webuitest.WaitText(t, org, "Nobody checked in yet.")
	total := `document.querySelector('.attendance-total [data-k="checked_in"]').textContent`
	webuitest.WaitJS(t, org, "none checked in", total+` === "0"`)
	browsertest.Get(org, "mark the page", chromedp.Evaluate[bool](`window.__sameDocument = true`))

	for i, id := range orders {
		// As sync's merge stores a kiosk's check-in.
		mergetest.CheckIn(t, e.hub.Store, "door-1", mergetest.Conference{ID: fx.ConferenceID}, onsite.Seat{OrderID: id})
		webuitest.WaitJS(t, org, "live count", fmt.Sprintf(`%s === "%d"`, total, i+1))
	}
	webuitest.WaitJS(t, org, "the free seat type's row", `document.querySelector('tr[data-seat-type="`+fx.Free.String()+`"] [data-k="checked_in"]').textContent === "2"`)
	arrivals := browsertest.Get(org, "arrivals", chromedp.Evaluate[string](`document.querySelector("[data-recent]").innerText`))
	if !strings.Contains(arrivals, "Ada Lovelace") || !strings.Contains(arrivals, "Ἀριστοτέλης Σταγειρίτης") {
		t.Fatalf("latest arrivals: %q", arrivals)
	}
	if same := browsertest.Get(org, "no reload", chromedp.Evaluate[bool](`window.__sameDocument === true`)); !same {
		t.Fatal("the page reloaded")
	}
	org.Screenshot("check-in-at-a-glance")
}
