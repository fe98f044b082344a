package web

import (
	"net/http"
	"testing"
	"time"
)

func TestTheKioskShowsItsNameNeverItsID(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	ang := attendeeURL(seatOf(d.annO, 0))
	c.Post(ang+"/admit", nil).WantRedirect(t, "/receipts/")
	for _, path := range []string{"/", ang, "/scan", "/sale", "/status-bar"} {
		c.Get(path).Want(t, http.StatusOK, "Demo door").Lacks(t, ">k1<", "Kiosk k1", "at k1", "kiosk k1")
	}
	c.Get("/").Want(t, http.StatusOK, `id="brand">Demo door<`, `id="kiosk-name">Demo door<`, "<title>Find · Demo door</title>")
}

func TestAKioskWhoseNameHasNotArrivedSaysSoRatherThanShowItsID(t *testing.T) {
	d := startDeskNamed(t, Options{}, nil, false)
	c := d.unlocked()
	c.Get("/").Want(t, http.StatusOK, `id="brand">Door desk<`, "Name not received from the hub yet").Lacks(t, "Kiosk k1", ">k1<")
}

func TestTimesShowInTheConferencesTimeZone(t *testing.T) {
	d := startDesk(t, Options{})
	// São Paulo is three hours behind UTC all year.
	must(t, d.hub.ConferenceIn(d.ctx, confID, "GopherCon Lisboa", "America/Sao_Paulo"))
	must(t, d.k.Refresh(d.ctx))
	c := d.unlocked()
	ang := attendeeURL(seatOf(d.annO, 0))
	c.Post(ang+"/check-in", nil).WantRedirect(t, ang)
	local := d.clock.Now().In(time.FixedZone("BRT", -3*3600))
	utc := d.clock.Now().UTC()
	page := c.Get(ang).Want(t, http.StatusOK, local.Format("15:04, Mon 2 Jan"))
	if local.Format("15:04") != utc.Format("15:04") {
		page.Lacks(t, utc.Format("15:04, Mon 2 Jan"))
	}
}
