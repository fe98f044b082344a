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
	c.get("/").wantRedirect(t, "/unlock")
	c.get("/sale").wantRedirect(t, "/unlock?next=%2Fsale")
	c.get(attendeeURL(seatOf(d.annO, 0))).wantRedirect(t, "/unlock?next=")
	c.get("/status-bar").want(t, http.StatusUnauthorized)
	c.post(attendeeURL(seatOf(d.annO, 0))+"/check-in", nil).wantRedirect(t, "/unlock")
	c.get("/unlock").want(t, http.StatusOK, `id="pin"`).lacks(t, "Ângela", "Walk-up sale")
	if d.ownEvents("onsite.AttendeeCheckedIn") != 0 {
		t.Fatal("a locked screen checked someone in")
	}
	// /healthz is not the UI's: it stays open.
	c.get("/healthz").want(t, http.StatusOK, "ok")
}

func TestUnlockWithPINSetsAStrictSessionCookie(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.client()
	c.post("/unlock", url.Values{"staff": {"Rita"}, "pin": {"0000"}}).want(t, http.StatusUnauthorized, "Wrong PIN", `value="Rita"`)
	c.post("/unlock", url.Values{"staff": {""}, "pin": {kiosktest.PIN}}).want(t, http.StatusUnprocessableEntity, "Type your name")
	c.post("/unlock", url.Values{"staff": {"Rita"}, "pin": {""}}).want(t, http.StatusUnprocessableEntity, "Type the staff PIN")
	c.post("/unlock", url.Values{"staff": {strings.Repeat("r", 300)}, "pin": {kiosktest.PIN}}).want(t, http.StatusUnprocessableEntity, "too long")

	p := c.post("/unlock", url.Values{"staff": {"Rita"}, "pin": {kiosktest.PIN}, "next": {"/sale"}}).wantRedirect(t, "/sale")
	var session *http.Cookie
	for _, ck := range (&http.Response{Header: p.header}).Cookies() {
		if ck.Name == sessionCookie {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v, want HttpOnly and SameSite=Strict", session)
	}
	c.get("/").want(t, http.StatusOK, `id="staff">Rita<`, `id="q"`, "autofocus")

	// An outside next target is ignored.
	c2 := d.client()
	c2.post("/unlock", url.Values{"staff": {"Rita"}, "pin": {kiosktest.PIN}, "next": {"//evil.example/x"}}).wantRedirect(t, "/")
	if loc := c2.post("/unlock", url.Values{"staff": {"Rita"}, "pin": {kiosktest.PIN}, "next": {"https://evil.example"}}).location; loc != "/" {
		t.Fatalf("unlock redirected to %q", loc)
	}

	// Lock ends the session.
	c.post("/lock", nil).wantRedirect(t, "/unlock")
	c.get("/").wantRedirect(t, "/unlock")
}

func TestUnlockAttemptsAreRateLimited(t *testing.T) {
	d := startDesk(t, Options{PINRate: 3})
	c := d.client()
	for i := 0; i < 3; i++ {
		c.post("/unlock", url.Values{"staff": {"Eve"}, "pin": {"1111"}}).want(t, http.StatusUnauthorized, "Wrong PIN")
	}
	// Even the right PIN waits now.
	c.post("/unlock", url.Values{"staff": {"Eve"}, "pin": {kiosktest.PIN}}).want(t, http.StatusTooManyRequests, "Too many attempts")
	d.clock.Add(time.Minute)
	c.post("/unlock", url.Values{"staff": {"Rita"}, "pin": {kiosktest.PIN}}).wantRedirect(t, "/")
}

func TestIdleScreensLock(t *testing.T) {
	d := startDesk(t, Options{IdleLock: 2 * time.Minute})
	c := d.unlocked()
	c.get("/").want(t, http.StatusOK, `data-idle="120"`)
	d.clock.Add(90 * time.Second)
	// The status bar refreshing is not activity.
	c.get("/status-bar").want(t, http.StatusOK)
	c.get("/").want(t, http.StatusOK) // activity: the idle time starts again
	d.clock.Add(90 * time.Second)
	c.get("/status-bar").want(t, http.StatusOK)
	d.clock.Add(31 * time.Second)
	c.get("/status-bar").want(t, http.StatusUnauthorized)
	p := c.get("/").wantRedirect(t, "/unlock")
	c.follow(p).want(t, http.StatusOK, "Locked after 2 minutes without use", `value="Rita"`)
}

func TestFormsNeedTheirCSRFToken(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	ang := attendeeURL(seatOf(d.annO, 0))
	c.postRaw(ang+"/check-in", url.Values{}).want(t, http.StatusForbidden, "The form had expired")
	c.postRaw(ang+"/check-in", url.Values{csrfField: {"forged"}}).want(t, http.StatusForbidden)
	req, _ := http.NewRequest(http.MethodPost, d.srv.URL+ang+"/check-in", strings.NewReader(url.Values{csrfField: {c.cookie(csrfCookie)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	c.do(req).want(t, http.StatusForbidden, "another site")
	c.postRaw("/unlock", url.Values{"staff": {"Eve"}, "pin": {kiosktest.PIN}}).want(t, http.StatusForbidden)
	if d.ownEvents("onsite.AttendeeCheckedIn") != 0 {
		t.Fatal("a forged form checked someone in")
	}
}

func TestStatusBarShowsOnlineUploadsAndAllocation(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	c.get("/").want(t, http.StatusOK, "Online", "0 waiting to upload", "Go workshop: <strong>2</strong> left", "Reception: <strong>1</strong> left").
		lacks(t, "offline-banner", "Full pass:")
	c.post(attendeeURL(seatOf(d.annO, 0))+"/check-in", nil).wantRedirect(t, "/attendees/")
	d.k.SetOnline(false)
	c.get("/status-bar").want(t, http.StatusOK, "Offline", `id="offline-banner"`, "1 waiting to upload")
	c.get("/sale").want(t, http.StatusOK, `id="offline-banner"`)
}

func TestStaticAssetsAreEmbedded(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.client()
	c.get("/static/kiosk.css").want(t, http.StatusOK, ".huge")
	c.get("/static/kiosk.js").want(t, http.StatusOK, "data-scan-target")
	p := c.get("/unlock")
	if !strings.Contains(p.header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("CSP %q", p.header.Get("Content-Security-Policy"))
	}
	p.lacks(t, "http://", "https://")
}
