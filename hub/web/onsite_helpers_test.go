package web

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// venue is what a web test sets up for the organizer's venue pages: a
// published conference owned by a signed-in browser, with a small
// "Workshop" seat type sold at kiosks and a roomy "Main hall".
type venue struct {
	org                *browser
	conf               uuid.UUID
	workshop, mainHall uuid.UUID
}

func (th *testHub) venue(t testing.TB, name, slug string) venue {
	t.Helper()
	v := venue{org: th.browser()}
	v.org.signUp("Venue Org "+slug, slug+"@example.com")
	v.conf = v.org.createConference(name, slug)
	v.org.addSeatType(v.conf, "Workshop", "0", "2")
	v.org.addSeatType(v.conf, "Main hall", "50", "10")
	v.org.Post(confURL(v.conf, "/publish"), nil).WantRedirect(t, confURL(v.conf, ""))
	sts := th.seatTypes(v.conf, th.conference(v.conf))
	v.workshop, v.mainHall = sts["Workshop"], sts["Main hall"]
	hubtest.WaitForQuotas(t, th.hub, v.conf, map[uuid.UUID]int{v.workshop: 2, v.mainHall: 10})
	return v
}

// confirmedOrder buys n free workshop seats as a registrant and returns
// the registrant's browser and the confirmed order.
func (th *testHub) confirmedOrder(t testing.TB, v venue, slug string, n int) (*browser, uuid.UUID) {
	t.Helper()
	reg := th.browser()
	id := orderID(t, reg.Post("/c/"+slug, url.Values{"qty_" + v.workshop.String(): {fmt.Sprint(n)}}))
	reg.waitStatus(id, registrations.OrderStatusReserved)
	reg.giveDetails(id, "Rita Registrant", "rita@example.com")
	reg.waitStatus(id, registrations.OrderStatusConfirmed)
	return reg, id
}

// recordOnSiteSale records a kiosk's walk-up sale as it reaches the hub
// (hubtest.RecordOnSiteSale).
func recordOnSiteSale(t testing.TB, h *hubapp.Hub, conferenceID, seatType uuid.UUID, kiosk, buyer string, n int) uuid.UUID {
	t.Helper()
	return hubtest.RecordOnSiteSale(t, h, conferenceID, seatType, kiosk, buyer, n)
}

// recordDuplicateCheckIn records the warning sync's merge raises when two
// kiosks checked the same seat in (hubtest.RecordDuplicateCheckIn).
func recordDuplicateCheckIn(t testing.TB, h *hubapp.Hub, conferenceID uuid.UUID, seat onsite.Seat, later, earlier string) {
	t.Helper()
	hubtest.RecordDuplicateCheckIn(t, h, conferenceID, seat, later, earlier)
}

// caughtUp waits until the read models reflect everything in the log.
func caughtUp(t testing.TB, h *hubapp.Hub) {
	t.Helper()
	hubtest.WaitForReadModels(t, h)
}
