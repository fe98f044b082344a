package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/sync/merge"
)

// sellAtKiosks opens the venue's workshop to kiosk sales and leases seats
// of it to kiosks, as the sync server does for their requests.
func (th *testHub) sellAtKiosks(t testing.TB, v venue, leases map[string]int) {
	t.Helper()
	ctx := context.Background()
	org := th.conference(v.conf)
	sts, err := th.hub.Conferences.ListSeatTypes(ctx, org, v.conf)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.ID != v.workshop {
			continue
		}
		d := st.SeatTypeDetails
		d.OnSite = conferences.OnSitePolicy{SellableAtKiosks: true, KioskAllocationSize: 1}
		if _, err := th.hub.Conferences.UpdateSeatType(ctx, org, v.conf, st.ID, d, th.hub.Sold); err != nil {
			t.Fatal(err)
		}
	}
	for kiosk, n := range leases {
		if got, err := merge.NewAllocations(th.hub.Store).Request(ctx, kiosk, v.conf, v.workshop, n); err != nil || got != n {
			t.Fatalf("lease %d to %s: granted %d, %v", n, kiosk, got, err)
		}
	}
}

func (th *testHub) workshopPolicy(t testing.TB, v venue) conferences.OnSitePolicy {
	t.Helper()
	sts, err := th.hub.Conferences.ListSeatTypes(context.Background(), th.conference(v.conf), v.conf)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.ID == v.workshop {
			return st.OnSite
		}
	}
	t.Fatalf("no workshop seat type")
	return conferences.OnSitePolicy{}
}

func (th *testHub) leased(t testing.TB, v venue) int {
	t.Helper()
	a, err := th.hub.Registrations.Availability(context.Background(), v.conf)
	if err != nil {
		t.Fatal(err)
	}
	return a.AllocatedCount(v.workshop)
}

func TestTheOrganizerClosesOnSiteSalesOfASeatTypeFromTheKiosksPage(t *testing.T) {
	th := startHub(t, Options{})
	v := th.venue(t, "Door Sales", "door-sales")
	th.sellAtKiosks(t, v, map[string]int{"kiosk-a": 1, "kiosk-b": 1})
	kioskPage := confURL(v.conf, "/kiosks")
	closeURL := confURL(v.conf, "/kiosks/on-site-sales/"+v.workshop.String()+"/close")
	v.org.Get(kioskPage).Want(t, http.StatusOK, "On-site sales", `data-seat-type="`+v.workshop.String()+`"`, "Close on-site sales", closeURL)

	// Without the form's CSRF token nothing happens.
	v.org.PostRaw(closeURL, url.Values{}).Want(t, http.StatusForbidden)
	if th.leased(t, v) != 2 || !th.workshopPolicy(t, v).SellableAtKiosks {
		t.Fatalf("a refused close changed something: %d leased, policy %+v", th.leased(t, v), th.workshopPolicy(t, v))
	}

	v.org.Post(closeURL, nil).WantRedirect(t, kioskPage)

	v.org.Get(kioskPage).Want(t, http.StatusOK, "On-site sales of “Workshop” closed", "2 unsold leased seats are back on sale")
	if th.leased(t, v) != 0 || th.workshopPolicy(t, v).SellableAtKiosks {
		t.Fatalf("after closing: %d leased, policy %+v; want none leased, not sellable", th.leased(t, v), th.workshopPolicy(t, v))
	}
}

func TestOnSiteSalesCannotBeClosedThroughAnotherConferenceOrOrganizer(t *testing.T) {
	th := startHub(t, Options{})
	v := th.venue(t, "Door Sales", "door-sales")
	th.sellAtKiosks(t, v, map[string]int{"kiosk-a": 2})
	intruder := th.venue(t, "Other Sales", "other-sales")

	for name, path := range map[string]string{
		"another organizer's conference":       confURL(v.conf, "/kiosks/on-site-sales/"+v.workshop.String()+"/close"),
		"a seat type of another conference":    confURL(intruder.conf, "/kiosks/on-site-sales/"+v.workshop.String()+"/close"),
		"a seat type id that is not an id":     confURL(intruder.conf, "/kiosks/on-site-sales/workshop/close"),
		"a seat type that does not exist":      confURL(intruder.conf, "/kiosks/on-site-sales/"+uuid.NewString()+"/close"),
		"the intruder's own seat type, closed": confURL(intruder.conf, "/kiosks/on-site-sales/"+intruder.mainHall.String()+"/close"),
	} {
		p := intruder.org.Post(path, nil)
		if name == "the intruder's own seat type, closed" {
			// Allowed, and touches nothing of the other organizer's.
			p.WantRedirect(t, confURL(intruder.conf, "/kiosks"))
			continue
		}
		p.Want(t, http.StatusNotFound)
	}
	if th.leased(t, v) != 2 || !th.workshopPolicy(t, v).SellableAtKiosks {
		t.Fatalf("another organizer changed the workshop: %d leased, policy %+v", th.leased(t, v), th.workshopPolicy(t, v))
	}
}
