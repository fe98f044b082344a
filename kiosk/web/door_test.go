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
	"conference/shared/webui/webuitest"
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
		c.Get("/?q="+url.QueryEscape(q)).Want(t, http.StatusOK, "1 match for", want)
	}
	// The access code finds every attendee of the order, typed in any case.
	code := strings.ToLower(strings.ReplaceAll(d.annO.AccessCode, "-", ""))
	c.Get("/?q="+url.QueryEscape(code)).Want(t, http.StatusOK, "2 matches", "Ângela Ødegård-Lee", "Bo Berg")
	c.Get("/?q=nobody").Want(t, http.StatusOK, "Nobody matches")

	// The search field's submit opens a single match directly, and lists several.
	c.Post("/find", url.Values{"q": {"bo berg"}}).WantRedirect(t, attendeeURL(seatOf(d.annO, 1)))
	c.Post("/find", url.Values{"q": {d.annO.AccessCode}}).WantRedirect(t, "/?q=")
	c.Post("/find", url.Values{"q": {"  "}}).WantRedirect(t, "/")
	c.Post("/find", url.Values{"q": {strings.Repeat("a", 2000)}}).Want(t, http.StatusUnprocessableEntity, "too long")
	if n := d.ownEvents("onsite.ScanDenied"); n != 0 {
		t.Fatalf("searches recorded %d denied scans", n)
	}
}

func TestCheckInThenDuplicateWarningHereAndElsewhere(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	ang := attendeeURL(seatOf(d.annO, 0))
	c.Get(ang).Want(t, http.StatusOK, "Not checked in yet", `id="check-in"`, `id="admit"`)

	p := c.Post(ang+"/check-in", nil).WantRedirect(t, ang)
	c.Follow(p).Want(t, http.StatusOK, "Checked in: Ângela Ødegård-Lee", "by Rita", "<strong>Here</strong>").Lacks(t, "Already checked in")
	c.Get(ang).Want(t, http.StatusOK, "Already checked in", "<strong>Here</strong>", "by Rita")
	if n := d.ownEvents("onsite.AttendeeCheckedIn"); n != 1 {
		t.Fatalf("%d check-ins recorded, want 1", n)
	}

	// A second check-in (a stale page, another tab) is refused with the warning.
	c.Post(ang+"/check-in", nil).Want(t, http.StatusConflict, "Already checked in: not recorded again", "<strong>Here</strong>", "by Rita")
	c.Post(ang+"/admit", nil).Want(t, http.StatusConflict, "Already checked in: not recorded again")
	if n := d.ownEvents("onsite.AttendeeCheckedIn"); n != 1 {
		t.Fatalf("%d check-ins recorded after the duplicate, want 1", n)
	}

	// Checked in at another kiosk: the page warns before anyone taps.
	bo := seatOf(d.annO, 1)
	d.checkInElsewhere(bo, "k2", "Sam")
	page := c.Get(attendeeURL(bo)).Want(t, http.StatusOK, "Already checked in", "<strong>Elsewhere</strong>, at kiosk k2", "by Sam")
	page.Lacks(t, `id="check-in"`, `id="admit"`)
	c.Post(attendeeURL(bo)+"/check-in", nil).Want(t, http.StatusConflict, "at kiosk k2")
}

func TestAdmitPrintsTheBadgeForTheBrowserInline(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	ang := attendeeURL(seatOf(d.annO, 0))
	p := c.Post(ang+"/admit", nil).WantRedirect(t, "/receipts/")
	r := c.Follow(p).Want(t, http.StatusOK, "Checked in, badge printed", "No printer is set up here", `id="badge-frame"`, "by Rita")
	link := receiptLink.FindString(r.Body)
	if link == "" {
		t.Fatalf("no badge link on the receipt:\n%s", webuitest.Excerpt(r.Body))
	}
	pdf := c.Get(link)
	if pdf.Status != http.StatusOK || pdf.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(pdf.Header.Get("Content-Disposition"), "inline") || !strings.HasPrefix(pdf.Body, "%PDF") {
		t.Fatalf("badge PDF: status %d, type %q, disposition %q, starts %q", pdf.Status, pdf.Header.Get("Content-Type"),
			pdf.Header.Get("Content-Disposition"), pdf.Body[:min(8, len(pdf.Body))])
	}
	// Someone else's browser (locked) cannot fetch it.
	other := d.client()
	other.Get(link).WantRedirect(t, "/unlock")
	if d.ownEvents("onsite.BadgePrinted") != 1 || d.ownEvents("onsite.AttendeeCheckedIn") != 1 {
		t.Fatal("admit did not record one check-in and one print")
	}
	// Printing again needs a reprint with a reason.
	c.Post(ang+"/print", nil).Want(t, http.StatusConflict, "choose a reason and reprint")
	c.Post(ang+"/reprint", url.Values{"reason": {"other"}, "reason_other": {"  "}}).Want(t, http.StatusUnprocessableEntity, "Say why")
	c.Post(ang+"/reprint", url.Values{"reason_other": {strings.Repeat("x", 300)}}).Want(t, http.StatusUnprocessableEntity, "too long")
	if n := d.ownEvents("onsite.BadgePrinted"); n != 1 {
		t.Fatalf("%d prints recorded after refused reprints, want 1", n)
	}
	p = c.Post(ang+"/reprint", url.Values{"reason": {"lost"}}).WantRedirect(t, "/receipts/")
	c.Follow(p).Want(t, http.StatusOK, "Badge reprinted", "(reprint 1)")
	c.Get(ang).Want(t, http.StatusOK, `id="prints">2<`)
}

func TestPrintWithoutCheckingIn(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	bo := attendeeURL(seatOf(d.annO, 1))
	p := c.Post(bo+"/print", nil).WantRedirect(t, "/receipts/")
	c.Follow(p).Want(t, http.StatusOK, "Badge printed (not checked in)").Lacks(t, "Checked in at")
	c.Get(bo).Want(t, http.StatusOK, "Not checked in yet", `id="check-in"`).Lacks(t, `id="admit"`)
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
	p := c.Post(attendeeURL(seatOf(d.annO, 0))+"/admit", nil).WantRedirect(t, "/receipts/")
	c.Follow(p).Want(t, http.StatusOK, "Sent to the printer (job badges-1)").Lacks(t, "badge-frame")
	if n := pr.count(); n != 1 {
		t.Fatalf("%d print jobs, want 1", n)
	}
	// A printer that fails: nothing recorded, and the page says so.
	pr.breakDown()
	c.Post(attendeeURL(seatOf(d.annO, 1))+"/admit", nil).Want(t, http.StatusBadGateway, "The printer refused the badge", "printer on fire", "Nothing was recorded")
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
	c.Post("/find", url.Values{"q": {genuine}}).Want(t, http.StatusOK, "Valid badge", "Ângela Ødegård-Lee", `id="admit"`)
	c.Post("/scan", url.Values{"code": {genuine}}).Want(t, http.StatusOK, "Valid badge", "Ângela Ødegård-Lee")
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
		c.Post("/scan", url.Values{"code": {tc.scan}}).Want(t, http.StatusOK, "Badge refused", tc.want, "Recorded as a denied scan").
			Lacks(t, "Ângela", `id="admit"`)
		if n := d.ownEvents("onsite.ScanDenied"); n != i+1 {
			t.Fatalf("%s: %d denied scans recorded, want %d", tc.name, n, i+1)
		}
	}
	// The search field verifies what looks like a token too.
	c.Post("/find", url.Values{"q": {d.forge(t, genuine)}}).Want(t, http.StatusOK, "Forged or altered badge")

	// A badge whose seat went to someone else is revoked.
	must(t, d.hub.Reassign(d.ctx, d.annO.ID, 1, fullPass, bo, mallory))
	must(t, d.k.Refresh(d.ctx))
	c.Post("/scan", url.Values{"code": {d.token(t, confID.String(), seatOf(d.annO, 1))}}).Want(t, http.StatusOK, "revoked")

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
		c.Get("/?q=mallory").Want(t, http.StatusOK, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Mallory"),
		c.Get(attendeeURL(seatOf(d.mallory, 0))).Want(t, http.StatusOK, "&lt;script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"),
		c.Get("/?q="+url.QueryEscape(`<script>alert(1)</script>`)).Want(t, http.StatusOK, "&lt;script&gt;alert(1)&lt;/script&gt;"),
	} {
		p.Lacks(t, `<script>alert`, `<img src=x`)
	}
}

func TestBadAttendeeAddressesAreNotFound(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	for _, path := range []string{"/attendees/nope/0", "/attendees/" + d.annO.ID.String() + "/-1",
		"/attendees/" + d.annO.ID.String() + "/7", "/attendees/" + confID.String() + "/0"} {
		c.Get(path).Want(t, http.StatusNotFound, "No such attendee")
		c.Post(path+"/check-in", nil).Want(t, http.StatusNotFound, "No such attendee")
	}
	c.Get("/receipts/nope").Want(t, http.StatusNotFound, "gone")
	c.Get("/receipts/nope/badge.pdf").Want(t, http.StatusNotFound)
	if d.ownEvents("onsite.AttendeeCheckedIn") != 0 {
		t.Fatal("a bad address recorded a check-in")
	}
}

func TestAKioskThatCannotRecordSaysSoAndClaimsNothing(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	ang := attendeeURL(seatOf(d.annO, 0))
	c.Get(ang).Want(t, http.StatusOK, `id="admit"`).Lacks(t, "cannot record")
	must(t, d.k.Store().Close()) // stands in for a disk that refuses writes

	c.Post(ang+"/check-in", nil).Want(t, http.StatusServiceUnavailable, "The kiosk cannot record", "Nothing of this action was recorded").
		Lacks(t, "Checked in:")
	c.Post(ang+"/admit", nil).Want(t, http.StatusServiceUnavailable, "The kiosk cannot record")
	c.Post("/sale", saleForm(reception, "Ivo", "cash")).Want(t, http.StatusServiceUnavailable, "The kiosk cannot record")
	// Every page now says so and offers no action.
	p := c.Get(ang).Want(t, http.StatusOK, "cannot", "Actions are switched off")
	p.Lacks(t, `id="admit"`, `id="check-in"`, "Checked in:")
	c.Get("/sale").Want(t, http.StatusOK, "Sales are switched off").Lacks(t, `id="sell"`)
	c.Get("/status-bar").Want(t, http.StatusOK, "data-cannot-record")
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

	c.Post(ang+"/admit", nil).Want(t, http.StatusServiceUnavailable, "The kiosk cannot record").Lacks(t, "badge-frame")
	c.Get(ang).Want(t, http.StatusOK, "This kiosk cannot record.", "disk is full", "Actions are switched off").
		Lacks(t, `id="admit"`, "Already checked in")
	c.Get("/").Want(t, http.StatusOK, "This kiosk cannot record.")
	c.Post("/sale", saleForm(reception, "Ivo", "cash")).Want(t, http.StatusServiceUnavailable, "The kiosk cannot record")
	c.Get("/?q=ivo").Want(t, http.StatusOK, "Nobody matches")
	if a, _ := d.k.Model().Attendee(seatOf(d.annO, 0)); a.CheckedIn() || a.Prints != 0 {
		t.Fatal("an unrecorded admit shows as done")
	}

	// Space freed: the next action records and the banner goes.
	_, err = d.k.Store().DB().Exec(`DROP TRIGGER disk_full`)
	must(t, err)
	c.Follow(c.Post(ang+"/check-in", nil)).Want(t, http.StatusOK, "Checked in: ").Lacks(t, "cannot record")
}
