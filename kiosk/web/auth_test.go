package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"conference/kiosk/kiosktest"
)

func TestLockedScreensAskForThePIN(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.client()
	c.Get("/").WantRedirect(t, "/unlock")
	c.Get("/sale").WantRedirect(t, "/unlock?next=%2Fsale")
	c.Get(attendeeURL(seatOf(d.annO, 0))).WantRedirect(t, "/unlock?next=")
	c.Get("/status-bar").Want(t, http.StatusUnauthorized)
	c.Post(attendeeURL(seatOf(d.annO, 0))+"/check-in", nil).WantRedirect(t, "/unlock")
	c.Get("/unlock").Want(t, http.StatusOK, `id="pin"`).Lacks(t, "Ângela", "Walk-up sale")
	if d.ownEvents("onsite.AttendeeCheckedIn") != 0 {
		t.Fatal("a locked screen checked someone in")
	}
	// /healthz is not the UI's: it stays open.
	c.Get("/healthz").Want(t, http.StatusOK, "ok")
}

func TestUnlockWithPINSetsAStrictSessionCookie(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.client()
	c.Post("/unlock", url.Values{"staff": {"Rita"}, "pin": {"0000"}}).Want(t, http.StatusUnauthorized, "Wrong PIN", `value="Rita"`)
	c.Post("/unlock", url.Values{"staff": {""}, "pin": {kiosktest.PIN}}).Want(t, http.StatusUnprocessableEntity, "Type your name")
	c.Post("/unlock", url.Values{"staff": {"Rita"}, "pin": {""}}).Want(t, http.StatusUnprocessableEntity, "Type the staff PIN")
	c.Post("/unlock", url.Values{"staff": {strings.Repeat("r", 300)}, "pin": {kiosktest.PIN}}).Want(t, http.StatusUnprocessableEntity, "too long")

	p := c.Post("/unlock", url.Values{"staff": {"Rita"}, "pin": {kiosktest.PIN}, "next": {"/sale"}}).WantRedirect(t, "/sale")
	var session *http.Cookie
	for _, ck := range (&http.Response{Header: p.Header}).Cookies() {
		if ck.Name == sessionCookie {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v, want HttpOnly and SameSite=Strict", session)
	}
	c.Get("/").Want(t, http.StatusOK, `id="staff">Rita<`, `id="q"`, "autofocus")

	// An outside next target is ignored.
	c2 := d.client()
	c2.Post("/unlock", url.Values{"staff": {"Rita"}, "pin": {kiosktest.PIN}, "next": {"//evil.example/x"}}).WantRedirect(t, "/")
	if loc := c2.Post("/unlock", url.Values{"staff": {"Rita"}, "pin": {kiosktest.PIN}, "next": {"https://evil.example"}}).Location; loc != "/" {
		t.Fatalf("unlock redirected to %q", loc)
	}

	// Lock ends the session.
	c.Post("/lock", nil).WantRedirect(t, "/unlock")
	c.Get("/").WantRedirect(t, "/unlock")
}

func TestUnlockAttemptsAreRateLimited(t *testing.T) {
	d := startDesk(t, Options{PINRate: 3})
	c := d.client()
	for i := 0; i < 3; i++ {
		c.Post("/unlock", url.Values{"staff": {"Eve"}, "pin": {"1111"}}).Want(t, http.StatusUnauthorized, "Wrong PIN")
	}
	// Even the right PIN waits now.
	c.Post("/unlock", url.Values{"staff": {"Eve"}, "pin": {kiosktest.PIN}}).Want(t, http.StatusTooManyRequests, "Too many attempts")
	d.clock.Add(time.Minute)
	c.Post("/unlock", url.Values{"staff": {"Rita"}, "pin": {kiosktest.PIN}}).WantRedirect(t, "/")
}

func TestIdleScreensLock(t *testing.T) {
	d := startDesk(t, Options{IdleLock: 2 * time.Minute})
	c := d.unlocked()
	c.Get("/").Want(t, http.StatusOK, `data-idle="120"`)
	d.clock.Add(90 * time.Second)
	// The status bar refreshing is not activity.
	c.Get("/status-bar").Want(t, http.StatusOK)
	c.Get("/").Want(t, http.StatusOK) // activity: the idle time starts again
	d.clock.Add(90 * time.Second)
	c.Get("/status-bar").Want(t, http.StatusOK)
	d.clock.Add(31 * time.Second)
	c.Get("/status-bar").Want(t, http.StatusUnauthorized)
	p := c.Get("/").WantRedirect(t, "/unlock")
	c.Follow(p).Want(t, http.StatusOK, "Locked after 2 minutes without use", `value="Rita"`)
}

func TestFormsNeedTheirCSRFToken(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	ang := attendeeURL(seatOf(d.annO, 0))
	c.PostRaw(ang+"/check-in", url.Values{}).Want(t, http.StatusForbidden, "The form had expired")
	c.PostRaw(ang+"/check-in", url.Values{csrfField: {"forged"}}).Want(t, http.StatusForbidden)
	req, _ := http.NewRequest(http.MethodPost, d.srv.URL+ang+"/check-in", strings.NewReader(url.Values{csrfField: {c.CSRF()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	c.Do(req).Want(t, http.StatusForbidden, "another site")
	c.PostRaw("/unlock", url.Values{"staff": {"Eve"}, "pin": {kiosktest.PIN}}).Want(t, http.StatusForbidden)
	if d.ownEvents("onsite.AttendeeCheckedIn") != 0 {
		t.Fatal("a forged form checked someone in")
	}
}

func TestStatusBarShowsOnlineUploadsAndAllocation(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	c.Get("/").Want(t, http.StatusOK, "Online", "0 waiting to upload", "Go workshop: <strong>2</strong> left", "Reception: <strong>1</strong> left").
		Lacks(t, "offline-banner", "Full pass:")
	c.Post(attendeeURL(seatOf(d.annO, 0))+"/check-in", nil).WantRedirect(t, "/attendees/")
	d.k.SetOnline(false)
	c.Get("/status-bar").Want(t, http.StatusOK, "Offline", `id="offline-banner"`, "1 waiting to upload")
	c.Get("/sale").Want(t, http.StatusOK, `id="offline-banner"`)
}

func TestStaticAssetsAreEmbedded(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.client()
	c.Get("/static/kiosk.css").Want(t, http.StatusOK, ".huge")
	c.Get("/static/kiosk.js").Want(t, http.StatusOK, "data-scan-target")
	p := c.Get("/unlock")
	if !strings.Contains(p.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("CSP %q", p.Header.Get("Content-Security-Policy"))
	}
	p.Lacks(t, "http://", "https://")
}
