package web

import (
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/badges/token"
	"conference/kiosk/kiosktest"
	"conference/shared/onsite"
	"conference/shared/registrations"
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
	c.Follow(p).Want(t, http.StatusOK, "Checked in: Ângela Ødegård-Lee", "by Rita", "<strong>Here</strong> at Demo door").Lacks(t, "Already checked in")
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
	page := c.Get(attendeeURL(bo)).Want(t, http.StatusOK, "Already checked in", "<strong>Elsewhere</strong>, at Side door", "by Sam")
	page.Lacks(t, `id="check-in"`, `id="admit"`, "at k2", ">k2<")
	c.Post(attendeeURL(bo)+"/check-in", nil).Want(t, http.StatusConflict, "at Side door")
}

func TestAdmitPrintsTheBadgeForTheBrowserInline(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	ang := attendeeURL(seatOf(d.annO, 0))
	p := c.Post(ang+"/admit", nil).WantRedirect(t, "/receipts/")
	r := c.Follow(p).Want(t, http.StatusOK, "Checked in, badge opened as PDF", "No printer is set up here", "not as a printed badge",
		`id="badge-frame"`, "by Rita").Lacks(t, "badge printed")
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
	c.Follow(p).Want(t, http.StatusOK, "Badge reprint opened as PDF", "(reprint 1)")
	// Two badges opened as PDFs are no printed badge.
	c.Get(ang).Want(t, http.StatusOK, `id="prints">0<`, "2 badges opened as PDF, not printed", "opened as PDF in the browser")
}

func TestPrintWithoutCheckingIn(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	bo := attendeeURL(seatOf(d.annO, 1))
	p := c.Post(bo+"/print", nil).WantRedirect(t, "/receipts/")
	c.Follow(p).Want(t, http.StatusOK, "Badge opened as PDF (not checked in)").Lacks(t, "Checked in at")
	c.Get(bo).Want(t, http.StatusOK, "Not checked in yet", `id="check-in"`).Lacks(t, `id="admit"`)
	if d.ownEvents("onsite.AttendeeCheckedIn") != 0 {
		t.Fatal("printing checked the attendee in")
	}
}

func TestBadgeSentToAConfiguredPrinter(t *testing.T) {
	pr := &kiosktest.Printer{}
	d := startDeskPrinter(t, Options{}, pr)
	c := d.unlocked()
	p := c.Post(attendeeURL(seatOf(d.annO, 0))+"/admit", nil).WantRedirect(t, "/receipts/")
	c.Follow(p).Want(t, http.StatusOK, "Sent to the printer (job badges-1)").Lacks(t, "badge-frame")
	if n := pr.Jobs(); n != 1 {
		t.Fatalf("%d print jobs, want 1", n)
	}
}

func TestABadgeThePrinterRefusesIsShownAsNotPrintedWithAReprint(t *testing.T) {
	pr := &kiosktest.Printer{}
	d := startDeskPrinter(t, Options{}, pr)
	c := d.unlocked()
	bo := attendeeURL(seatOf(d.annO, 1))

	// Given a printer that fails, when Bo is admitted, then the check-in
	// stands (it was stored before printing) and the screen says the badge
	// did not print, offering the reprint.
	pr.Break()
	p := c.Post(bo+"/admit", nil).WantRedirect(t, "/receipts/")
	c.Follow(p).Want(t, http.StatusOK, "Checked in, but the badge did not print", "The badge did not print.", "printer on fire",
		"recorded as not printed", `id="reprint"`, `value="printer"`).Lacks(t, "Sent to the printer", "badge-frame")
	if d.ownEvents("onsite.AttendeeCheckedIn") != 1 || d.ownEvents("onsite.BadgePrinted") != 1 || d.ownEvents("onsite.BadgePrintFailed") != 1 {
		t.Fatal("a refused print must leave the check-in, the print and its failure in the log")
	}
	c.Get(bo).Want(t, http.StatusOK, `id="print-log"`, "<strong>refused by the printer</strong>", "printer on fire",
		`id="prints">0<`, "1 badge refused by the printer")

	// Then the reprint, printer mended, goes out as a reprint for a printer jam.
	pr.Fix()
	p = c.Post(bo+"/reprint", url.Values{"reason": {"printer"}}).WantRedirect(t, "/receipts/")
	c.Follow(p).Want(t, http.StatusOK, "Badge reprinted", "(reprint 1)", "Sent to the printer (job badges-1)")
	c.Get(bo).Want(t, http.StatusOK, "Reprint 1", "Printer jam", "sent to the printer queue", `id="prints">1<`)
	if n := pr.Jobs(); n != 1 {
		t.Fatalf("%d print jobs, want 1", n)
	}
}

func TestAttendeePageListsEveryBadgePrint(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	ang, bo := attendeeURL(seatOf(d.annO, 0)), attendeeURL(seatOf(d.annO, 1))
	c.Get(ang).Want(t, http.StatusOK).Lacks(t, `id="print-log"`)

	// Admitted with a badge, then reprinted (lost): two rows, both checked in.
	c.Post(ang+"/admit", nil).WantRedirect(t, "/receipts/")
	d.clock.Add(5 * time.Minute)
	c.Post(ang+"/reprint", url.Values{"reason": {"lost"}}).WantRedirect(t, "/receipts/")
	page := c.Get(ang).Want(t, http.StatusOK, `id="print-log"`, "First", "Reprint 1", "Lost", "Rita at Demo door").Lacks(t, "at k1", ">k1<")
	if got := strings.Count(page.Body, `<li class="print">`); got != 2 {
		t.Fatalf("%d prints listed, want 2:\n%s", got, webuitest.Excerpt(page.Body))
	}
	if got := strings.Count(page.Body, "· checked in\n"); got != 2 {
		t.Fatalf("%d prints made while checked in, want 2", got)
	}

	// A badge printed ahead of arrival says the attendee was not in yet.
	c.Post(bo+"/print", nil).WantRedirect(t, "/receipts/")
	c.Get(bo).Want(t, http.StatusOK, `id="print-log"`, "not checked in yet", "opened as PDF in the browser, not printed")
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

func TestOneScanInTheSearchFieldChecksInAndARescanIsNeverGreen(t *testing.T) {
	d := startDesk(t, Options{})
	d.k.SetOnline(false)
	c := d.unlocked()
	genuine := d.token(t, confID.String(), seatOf(d.annO, 0))

	// A genuine badge scanned into the search field checks its attendee in: green, admitted.
	p := c.Post("/find", url.Values{"q": {genuine + "\r"}, "scanned": {"1"}}).WantRedirect(t, "/scans/")
	c.Follow(p).Want(t, http.StatusOK, `data-verdict="admitted"`, "Admitted", "Ângela Ødegård-Lee", "at Demo door by Rita",
		`id="print"`).Lacks(t, "Valid badge", "Already checked in")
	if n := d.ownEvents("onsite.AttendeeCheckedIn"); n != 1 {
		t.Fatalf("%d check-ins recorded, want 1", n)
	}
	// The scanner sends it again a moment later: amber, "just now, here", nothing recorded.
	d.clock.Add(2 * time.Second)
	p = c.Post("/find", url.Values{"q": {genuine}}).WantRedirect(t, "/scans/")
	again := c.Follow(p).Want(t, http.StatusOK, `data-verdict="already-in"`, "Already checked in", "<strong>Here</strong> at Demo door",
		"by Rita", "(just now)")
	again.Lacks(t, "Admitted", "Valid badge", "verdict good")
	// Reloading a verdict shows it again and scans nothing.
	c.Get(p.Location).Want(t, http.StatusOK, "Already checked in")
	// Verifying only: a re-entry is amber too, never a green "valid".
	p = c.Post("/scan", url.Values{"code": {genuine}}).WantRedirect(t, "/scans/")
	c.Follow(p).Want(t, http.StatusOK, `data-verdict="already-in"`).Lacks(t, "verdict good", "Valid badge")
	if n := d.ownEvents("onsite.AttendeeCheckedIn"); n != 1 {
		t.Fatalf("%d check-ins recorded after re-scans, want 1", n)
	}
	// Verifying only a badge nobody used yet lets nobody in and offers the check-in.
	p = c.Post("/scan", url.Values{"code": {d.token(t, confID.String(), seatOf(d.annO, 1))}}).WantRedirect(t, "/scans/")
	c.Follow(p).Want(t, http.StatusOK, `data-verdict="valid"`, "Valid badge", "Bo Berg", "Not checked in yet", `id="check-in"`)
	if n := d.ownEvents("onsite.AttendeeCheckedIn"); n != 1 || d.ownEvents("onsite.ScanDenied") != 0 {
		t.Fatalf("verifying recorded %d check-ins (want 1) and %d denied scans", n, d.ownEvents("onsite.ScanDenied"))
	}
	c.Get("/scans/nope").Want(t, http.StatusNotFound, "gone")
}

func TestARefusedScanIsRedWithTheReasonAndRecorded(t *testing.T) {
	d := startDesk(t, Options{})
	d.k.SetOnline(false)
	c := d.unlocked()
	genuine := d.token(t, confID.String(), seatOf(d.annO, 0))
	cases := []struct {
		name, path, field, scan string
		want                    []string
	}{
		{"forged", "/scan", "code", d.forge(t, genuine), []string{"Forged or altered badge", "bad signature"}},
		{"other conference", "/scan", "code", d.token(t, otherConf.String(), seatOf(d.annO, 0)), []string{"another conference"}},
		{"not a token", "/scan", "code", "hello world", []string{"This is not a badge code"}},
		{"empty", "/scan", "code", "", []string{"This is not a badge code"}},
		{"forged into the search field", "/find", "q", d.forge(t, genuine), []string{"Forged or altered badge"}},
		{"short barcode into the search field", "/find", "q", "4006381333931", []string{"This is not a badge code", "To search, type a name"}},
		{"scanned word into the search field", "/find", "q", "HELLO", []string{"This is not a badge code"}},
	}
	for i, tc := range cases {
		p := c.Post(tc.path, url.Values{tc.field: {tc.scan}, "scanned": {"1"}}).WantRedirect(t, "/scans/")
		c.Follow(p).Want(t, http.StatusOK, append([]string{`data-verdict="refused"`, "Refused", "Recorded as a denied scan"}, tc.want...)...).
			Lacks(t, "Ângela", `id="admit"`, `id="check-in"`)
		if n := d.ownEvents("onsite.ScanDenied"); n != i+1 {
			t.Fatalf("%s: %d denied scans recorded, want %d", tc.name, n, i+1)
		}
	}
	// Typed (not scanned), a word is a search.
	c.Post("/find", url.Values{"q": {"HELLO"}}).WantRedirect(t, "/?q=HELLO")

	// A badge issued before its seat went to someone else is revoked.
	old := d.token(t, confID.String(), seatOf(d.annO, 1))
	d.hub.Now = d.clock.Now()
	must(t, d.hub.Reassign(d.ctx, d.annO.ID, 1, fullPass, bo, mallory))
	must(t, d.k.Refresh(d.ctx))
	p := c.Post("/find", url.Values{"q": {old}}).WantRedirect(t, "/scans/")
	c.Follow(p).Want(t, http.StatusOK, `data-verdict="refused"`, "This badge was revoked").Lacks(t, "Mallory")

	// Nothing but denied scans was recorded.
	evs, err := d.k.OwnEventsAfter(d.ctx, 0, 100)
	must(t, err)
	for _, e := range evs {
		if e.Type != "onsite.ScanDenied" {
			t.Fatalf("a refused scan recorded %s", e.Type)
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
	d.fillDisk()

	c.Post(ang+"/admit", nil).Want(t, http.StatusServiceUnavailable, "The kiosk cannot record").Lacks(t, "badge-frame")
	c.Get(ang).Want(t, http.StatusOK, "This kiosk cannot record.", "disk is full", "Actions are switched off").
		Lacks(t, `id="admit"`, "Already checked in")
	c.Get("/").Want(t, http.StatusOK, "This kiosk cannot record.")
	c.Post("/sale", saleForm(reception, "Ivo", "cash")).Want(t, http.StatusServiceUnavailable, "The kiosk cannot record")
	c.Get("/?q=ivo").Want(t, http.StatusOK, "Nobody matches")
	if a, _ := d.k.Model().Attendee(seatOf(d.annO, 0)); a.CheckedIn() || a.Prints != 0 {
		t.Fatal("an unrecorded admit shows as done")
	}
	// The status refresh keeps checking and keeps saying so; its "Try
	// again" returns to the page the screen is on.
	c.Get("/status-bar?here="+url.QueryEscape(ang)).Want(t, http.StatusOK, "data-cannot-record", `id="try-again"`, `href="`+ang+`"`)
	c.Get("/status-bar?here="+url.QueryEscape("//evil.example/")).Want(t, http.StatusOK, `href="/" id="try-again"`)
}

// TestAKioskThatCouldNotRecordSwitchesActionsBackOnWhenTheDiskHasRoom is
// the recovery: no restart, no action needed, nothing recorded to find out.
func TestAKioskThatCouldNotRecordSwitchesActionsBackOnWhenTheDiskHasRoom(t *testing.T) {
	d := startDesk(t, Options{})
	c := d.unlocked()
	ang := attendeeURL(seatOf(d.annO, 0))
	free := d.fillDisk()
	c.Post(ang+"/check-in", nil).Want(t, http.StatusServiceUnavailable, "The kiosk cannot record")
	c.Get(ang).Want(t, http.StatusOK, "Actions are switched off").Lacks(t, `id="check-in"`)

	// Space freed: the next status refresh finds the kiosk can write, and
	// the page it sends the screen back to offers the actions again.
	must(t, free())
	c.Get("/status-bar?here="+url.QueryEscape(ang)).Want(t, http.StatusOK).Lacks(t, "data-cannot-record", "try-again")
	c.Get(ang).Want(t, http.StatusOK, `id="admit"`, `id="check-in"`).Lacks(t, "cannot record", "Actions are switched off")
	c.Get("/sale").Want(t, http.StatusOK, `id="sell"`).Lacks(t, "Sales are switched off")
	if evs, err := d.k.OwnEventsAfter(d.ctx, 0, 100); err != nil || len(evs) != 0 {
		t.Fatalf("finding out recorded %d events (%v)", len(evs), err)
	}
	c.Follow(c.Post(ang+"/check-in", nil)).Want(t, http.StatusOK, "Checked in: ").Lacks(t, "cannot record")
}

// TestADuplicateCheckInFoundBySyncIsShownOnTheAttendeePage: two kiosks
// checked the same attendee in while offline from each other; sync brings
// the other kiosk's check-in and the hub's warning.
func TestADuplicateCheckInFoundBySyncIsShownOnTheAttendeePage(t *testing.T) {
	d := startDesk(t, Options{})
	d.k.SetOnline(false)
	c := d.unlocked()
	s := seatOf(d.annO, 0)
	ang := attendeeURL(s)
	c.Post(ang+"/check-in", nil).WantRedirect(t, ang)
	c.Get(ang).Want(t, http.StatusOK, "Already checked in").Lacks(t, "more than once")

	// Sync: the other kiosk's check-in, then the hub's warning naming both.
	d.k.SetOnline(true)
	d.checkInElsewhere(s, "k2", "Sam")
	ours, theirs := d.checkInID(s, "k1"), d.checkInID(s, "k2")
	registrations.RegisterMergeEvents(d.hub.Codec) // the hub's merge records the warning
	must(t, d.hub.Append(d.ctx, registrations.CheckInWarningsStreamID(confID), "registrations.CheckInWarnings",
		registrations.DuplicateCheckInDetected{ConferenceID: confID, Attendee: s.String(),
			CheckIn: registrations.CheckInRef{EventID: theirs, KioskID: "k2"}, Earlier: registrations.CheckInRef{EventID: ours, KioskID: "k1"}}))
	must(t, d.k.Refresh(d.ctx))

	c.Get(ang).Want(t, http.StatusOK, "Already checked in", "Checked in more than once while kiosks were offline",
		"<strong>Here</strong> at Demo door, by Rita", "<strong>Elsewhere</strong>, at Side door, by Sam").Lacks(t, `id="check-in"`, `id="admit"`)
	// Nobody else is flagged.
	c.Get(attendeeURL(seatOf(d.annO, 1))).Want(t, http.StatusOK, "Not checked in yet").Lacks(t, "more than once")
}

// fillDisk makes the kiosk's store refuse appends like a full disk.
func (d *desk) fillDisk() (free func() error) {
	d.t.Helper()
	free, err := kiosktest.FillDisk(d.k.Store().DB().DB)
	must(d.t, err)
	return free
}

// checkInID is the event id of the seat's check-in recorded by a kiosk.
func (d *desk) checkInID(s onsite.Seat, kiosk string) uuid.UUID {
	d.t.Helper()
	evs, err := d.k.Store().ReadStream(d.ctx, onsite.AttendanceStreamID(s), 0)
	must(d.t, err)
	for _, e := range evs {
		if e.Type == "onsite.AttendeeCheckedIn" && strings.Contains(string(e.Data), `"kiosk_id":"`+kiosk+`"`) {
			return e.EventID
		}
	}
	d.t.Fatalf("no check-in of %s by %s", s, kiosk)
	return uuid.Nil
}
