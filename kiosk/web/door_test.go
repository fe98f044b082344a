package web

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"conference/badges"
	"conference/badges/token"
	"conference/shared/onsite"
)

func TestFindByNamePrefixAccentsEmailAndAccessCode(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	// Several matches list them; names match by the prefix of any word,
	// accents and case ignored.
	for q, want := range map[string]string{
		"angela":         "Ângela Ødegård-Lee",
		"ODEG":           "Ângela Ødegård-Lee",
		"lee":            "Ângela Ødegård-Lee",
		"berg":           "Bo Berg",
		"BO@example.org": "Bo Berg",
	} {
		c.get("/?q="+url.QueryEscape(q)).want(t, http.StatusOK, "1 match for", want)
	}
	// The access code finds every attendee of the order, typed in any case.
	code := strings.ToLower(strings.ReplaceAll(d.annO.AccessCode, "-", ""))
	c.get("/?q="+url.QueryEscape(code)).want(t, http.StatusOK, "2 matches", "Ângela Ødegård-Lee", "Bo Berg")
	c.get("/?q=nobody").want(t, http.StatusOK, "Nobody matches")

	// The search field's submit opens a single match directly, and lists several.
	c.post("/find", url.Values{"q": {"bo berg"}}).wantRedirect(t, attendeeURL(seatOf(d.annO, 1)))
	c.post("/find", url.Values{"q": {d.annO.AccessCode}}).wantRedirect(t, "/?q=")
	c.post("/find", url.Values{"q": {"  "}}).wantRedirect(t, "/")
	c.post("/find", url.Values{"q": {strings.Repeat("a", 2000)}}).want(t, http.StatusUnprocessableEntity, "too long")
	if n := d.ownEvents("onsite.ScanDenied"); n != 0 {
		t.Fatalf("searches recorded %d denied scans", n)
	}
}

func TestCheckInThenDuplicateWarningHereAndElsewhere(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	ang := attendeeURL(seatOf(d.annO, 0))
	c.get(ang).want(t, http.StatusOK, "Not checked in yet", `id="check-in"`, `id="admit"`)

	p := c.post(ang+"/check-in", nil).wantRedirect(t, ang)
	c.follow(p).want(t, http.StatusOK, "Checked in: Ângela Ødegård-Lee", "by Rita", "<strong>Here</strong>").lacks(t, "Already checked in")
	c.get(ang).want(t, http.StatusOK, "Already checked in", "<strong>Here</strong>", "by Rita")
	if n := d.ownEvents("onsite.AttendeeCheckedIn"); n != 1 {
		t.Fatalf("%d check-ins recorded, want 1", n)
	}

	// A second check-in (a stale page, another tab) is refused with the warning.
	c.post(ang+"/check-in", nil).want(t, http.StatusConflict, "Already checked in: not recorded again", "<strong>Here</strong>", "by Rita")
	c.post(ang+"/admit", nil).want(t, http.StatusConflict, "Already checked in: not recorded again")
	if n := d.ownEvents("onsite.AttendeeCheckedIn"); n != 1 {
		t.Fatalf("%d check-ins recorded after the duplicate, want 1", n)
	}

	// Checked in at another kiosk: the page warns before anyone taps.
	bo := seatOf(d.annO, 1)
	d.checkInElsewhere(bo, "k2", "Sam")
	page := c.get(attendeeURL(bo)).want(t, http.StatusOK, "Already checked in", "<strong>Elsewhere</strong>, at kiosk k2", "by Sam")
	page.lacks(t, `id="check-in"`, `id="admit"`)
	c.post(attendeeURL(bo)+"/check-in", nil).want(t, http.StatusConflict, "at kiosk k2")
}

func TestAdmitPrintsTheBadgeForTheBrowserInline(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	ang := attendeeURL(seatOf(d.annO, 0))
	p := c.post(ang+"/admit", nil).wantRedirect(t, "/receipts/")
	r := c.follow(p).want(t, http.StatusOK, "Checked in, badge printed", "No printer is set up here", `id="badge-frame"`, "by Rita")
	link := receiptLink.FindString(r.body)
	if link == "" {
		t.Fatalf("no badge link on the receipt:\n%s", excerpt(r.body))
	}
	pdf := c.get(link)
	if pdf.status != http.StatusOK || pdf.header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(pdf.header.Get("Content-Disposition"), "inline") || !strings.HasPrefix(pdf.body, "%PDF") {
		t.Fatalf("badge PDF: status %d, type %q, disposition %q, starts %q", pdf.status, pdf.header.Get("Content-Type"),
			pdf.header.Get("Content-Disposition"), pdf.body[:min(8, len(pdf.body))])
	}
	// Someone else's browser (locked) cannot fetch it.
	other := d.client()
	other.get(link).wantRedirect(t, "/unlock")
	if d.ownEvents("onsite.BadgePrinted") != 1 || d.ownEvents("onsite.AttendeeCheckedIn") != 1 {
		t.Fatal("admit did not record one check-in and one print")
	}
	// Printing again needs a reprint with a reason.
	c.post(ang+"/print", nil).want(t, http.StatusConflict, "choose a reason and reprint")
	c.post(ang+"/reprint", url.Values{"reason": {"other"}, "reason_other": {"  "}}).want(t, http.StatusUnprocessableEntity, "Say why")
	c.post(ang+"/reprint", url.Values{"reason_other": {strings.Repeat("x", 300)}}).want(t, http.StatusUnprocessableEntity, "too long")
	if n := d.ownEvents("onsite.BadgePrinted"); n != 1 {
		t.Fatalf("%d prints recorded after refused reprints, want 1", n)
	}
	p = c.post(ang+"/reprint", url.Values{"reason": {"lost"}}).wantRedirect(t, "/receipts/")
	c.follow(p).want(t, http.StatusOK, "Badge reprinted", "(reprint 1)")
	c.get(ang).want(t, http.StatusOK, `id="prints">2<`)
}

func TestPrintWithoutCheckingIn(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	bo := attendeeURL(seatOf(d.annO, 1))
	p := c.post(bo+"/print", nil).wantRedirect(t, "/receipts/")
	c.follow(p).want(t, http.StatusOK, "Badge printed (not checked in)").lacks(t, "Checked in at")
	c.get(bo).want(t, http.StatusOK, "Not checked in yet", `id="check-in"`).lacks(t, `id="admit"`)
	if d.ownEvents("onsite.AttendeeCheckedIn") != 0 {
		t.Fatal("printing checked the attendee in")
	}
}

// printer is a stand-in print queue: it counts jobs.
type printer struct {
	mu   sync.Mutex
	jobs int
	fail bool
}

func (p *printer) Print(_ context.Context, _ string, pdf io.Reader) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return "", fmt.Errorf("%w: printer on fire", badges.ErrPrintFailed)
	}
	b, _ := io.ReadAll(pdf)
	if len(b) == 0 {
		return "", errors.New("empty job")
	}
	p.jobs++
	return "badges-" + string(rune('0'+p.jobs)), nil
}

func (p *printer) count() int { p.mu.Lock(); defer p.mu.Unlock(); return p.jobs }

func (p *printer) breakDown() { p.mu.Lock(); p.fail = true; p.mu.Unlock() }

func TestBadgeSentToAConfiguredPrinter(t *testing.T) {
	pr := &printer{}
	d := startDeskPrinter(t, Options{}, pr)
	c := d.unlocked()
	p := c.post(attendeeURL(seatOf(d.annO, 0))+"/admit", nil).wantRedirect(t, "/receipts/")
	c.follow(p).want(t, http.StatusOK, "Sent to the printer (job badges-1)").lacks(t, "badge-frame")
	if n := pr.count(); n != 1 {
		t.Fatalf("%d print jobs, want 1", n)
	}
	// A printer that fails: nothing recorded, and the page says so.
	pr.breakDown()
	c.post(attendeeURL(seatOf(d.annO, 1))+"/admit", nil).want(t, http.StatusBadGateway, "The printer refused the badge", "printer on fire", "Nothing was recorded")
	if d.ownEvents("onsite.AttendeeCheckedIn") != 1 {
		t.Fatal("a failed print recorded the check-in")
	}
}

// tokens signs badge tokens as the hub would, and forges them.
func (d *desk) token(t *testing.T, conference string, seat onsite.Seat) string {
	t.Helper()
	s, err := token.NewHubSigner(d.keys.Hub)
	must(t, err)
	tok, err := s.Sign(token.Claims{Conference: conference, Seat: seat.TokenID(), IssuedAt: d.clock.Now().Add(-time.Hour)})
	must(t, err)
	return tok
}

// forge alters one character of a genuine token so that it still decodes
// but its signature no longer matches.
func (d *desk) forge(t *testing.T, genuine string) string {
	t.Helper()
	v, err := token.NewVerifier(d.keys.Hub.Public().(ed25519.PublicKey))
	must(t, err)
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	for i := len(genuine) - 4; i > 0; i-- {
		j := strings.IndexByte(alphabet, genuine[i])
		forged := genuine[:i] + string(alphabet[(j+1)%len(alphabet)]) + genuine[i+1:]
		if _, err := v.Verify(forged); errors.Is(err, token.ErrBadSignature) {
			return forged
		}
	}
	t.Fatal("could not forge a token")
	return ""
}

func TestScannedBadgesAreVerifiedOffline(t *testing.T) {
	d := startDesk(t, Options{})
	d.k.SetOnline(false)
	c := d.unlocked()
	genuine := d.token(t, confID.String(), seatOf(d.annO, 0))

	// A genuine badge scanned into the search field opens the attendee.
	c.post("/find", url.Values{"q": {genuine}}).want(t, http.StatusOK, "Valid badge", "Ângela Ødegård-Lee", `id="admit"`)
	c.post("/scan", url.Values{"code": {genuine}}).want(t, http.StatusOK, "Valid badge", "Ângela Ødegård-Lee")
	if n := d.ownEvents("onsite.ScanDenied"); n != 0 {
		t.Fatalf("a genuine badge recorded %d denied scans", n)
	}

	cases := []struct{ name, scan, want string }{
		{"forged", d.forge(t, genuine), "Forged or altered badge"},
		{"other conference", d.token(t, otherConf.String(), seatOf(d.annO, 0)), "another conference"},
		{"not a token", "hello world", "This is not a badge code"},
		{"empty", "", "This is not a badge code"},
	}
	for i, tc := range cases {
		c.post("/scan", url.Values{"code": {tc.scan}}).want(t, http.StatusOK, "Badge refused", tc.want, "Recorded as a denied scan").
			lacks(t, "Ângela", `id="admit"`)
		if n := d.ownEvents("onsite.ScanDenied"); n != i+1 {
			t.Fatalf("%s: %d denied scans recorded, want %d", tc.name, n, i+1)
		}
	}
	// The search field verifies what looks like a token too.
	c.post("/find", url.Values{"q": {d.forge(t, genuine)}}).want(t, http.StatusOK, "Forged or altered badge")

	// A badge whose seat went to someone else is revoked.
	must(t, d.hub.Reassign(d.ctx, d.annO.ID, 1, fullPass, bo, mallory))
	must(t, d.k.Refresh(d.ctx))
	c.post("/scan", url.Values{"code": {d.token(t, confID.String(), seatOf(d.annO, 1))}}).want(t, http.StatusOK, "revoked")

	// Nothing but denied scans was recorded.
	evs, err := d.k.OwnEventsAfter(d.ctx, 0, 100)
	must(t, err)
	for _, e := range evs {
		if e.Type != "onsite.ScanDenied" {
			t.Fatalf("a scan recorded %s", e.Type)
		}
	}
}

func TestAttendeeTextIsEscaped(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	for _, p := range []page{
		c.get("/?q=mallory").want(t, http.StatusOK, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Mallory"),
		c.get(attendeeURL(seatOf(d.mallory, 0))).want(t, http.StatusOK, "&lt;script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"),
		c.get("/?q="+url.QueryEscape(`<script>alert(1)</script>`)).want(t, http.StatusOK, "&lt;script&gt;alert(1)&lt;/script&gt;"),
	} {
		p.lacks(t, `<script>alert`, `<img src=x`)
	}
}

func TestBadAttendeeAddressesAreNotFound(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	for _, path := range []string{"/attendees/nope/0", "/attendees/" + d.annO.ID.String() + "/-1",
		"/attendees/" + d.annO.ID.String() + "/7", "/attendees/" + confID.String() + "/0"} {
		c.get(path).want(t, http.StatusNotFound, "No such attendee")
		c.post(path+"/check-in", nil).want(t, http.StatusNotFound, "No such attendee")
	}
	c.get("/receipts/nope").want(t, http.StatusNotFound, "gone")
	c.get("/receipts/nope/badge.pdf").want(t, http.StatusNotFound)
	if d.ownEvents("onsite.AttendeeCheckedIn") != 0 {
		t.Fatal("a bad address recorded a check-in")
	}
}

func TestAKioskThatCannotRecordSaysSoAndClaimsNothing(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	ang := attendeeURL(seatOf(d.annO, 0))
	c.get(ang).want(t, http.StatusOK, `id="admit"`).lacks(t, "cannot record")
	must(t, d.k.Store().Close()) // stands in for a disk that refuses writes

	c.post(ang+"/check-in", nil).want(t, http.StatusServiceUnavailable, "The kiosk cannot record", "Nothing of this action was recorded").
		lacks(t, "Checked in:")
	c.post(ang+"/admit", nil).want(t, http.StatusServiceUnavailable, "The kiosk cannot record")
	c.post("/sale", saleForm(reception, "Ivo", "cash")).want(t, http.StatusServiceUnavailable, "The kiosk cannot record")
	// Every page now says so and offers no action.
	p := c.get(ang).want(t, http.StatusOK, "cannot", "Actions are switched off")
	p.lacks(t, `id="admit"`, `id="check-in"`, "Checked in:")
	c.get("/sale").want(t, http.StatusOK, "Sales are switched off").lacks(t, `id="sell"`)
	c.get("/status-bar").want(t, http.StatusOK, "data-cannot-record")
	if a, _ := d.k.Model().Attendee(seatOf(d.annO, 0)); a.CheckedIn() {
		t.Fatal("an unrecorded check-in shows as done")
	}
}

// TestAFullDiskIsShownOnEveryPage refuses writes the way a full disk does
// while reads keep working: a trigger makes SQLite abort every append.
func TestAFullDiskIsShownOnEveryPage(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	ang := attendeeURL(seatOf(d.annO, 0))
	_, err := d.k.Store().DB().Exec(`CREATE TRIGGER disk_full BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`)
	must(t, err)

	c.post(ang+"/admit", nil).want(t, http.StatusServiceUnavailable, "The kiosk cannot record").lacks(t, "badge-frame")
	c.get(ang).want(t, http.StatusOK, "This kiosk cannot record.", "disk is full", "Actions are switched off").
		lacks(t, `id="admit"`, "Already checked in")
	c.get("/").want(t, http.StatusOK, "This kiosk cannot record.")
	c.post("/sale", saleForm(reception, "Ivo", "cash")).want(t, http.StatusServiceUnavailable, "The kiosk cannot record")
	c.get("/?q=ivo").want(t, http.StatusOK, "Nobody matches")
	if a, _ := d.k.Model().Attendee(seatOf(d.annO, 0)); a.CheckedIn() || a.Prints != 0 {
		t.Fatal("an unrecorded admit shows as done")
	}

	// Space freed: the next action records and the banner goes.
	_, err = d.k.Store().DB().Exec(`DROP TRIGGER disk_full`)
	must(t, err)
	c.follow(c.post(ang+"/check-in", nil)).want(t, http.StatusOK, "Checked in: ").lacks(t, "cannot record")
}
