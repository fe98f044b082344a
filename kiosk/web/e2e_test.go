//go:build e2e

package web

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"conference/kiosk/kiosktest"
	"conference/shared/browsertest"
	"conference/shared/webui/webuitest"
	"conference/sync/hubserver/hubservertest"
)

// The door-staff flows in headless Chromium against a real `kiosk serve`
// process (e2e_process_test.go) on a SQLite file written with the
// kiosktest fixtures. A USB barcode scanner is a keyboard: it is played by
// key events sent to whatever has focus, never by filling a chosen field.

// unlockIn opens the kiosk and unlocks it with the PIN pad.
func unlockIn(t *testing.T, v *venue, b *browsertest.Browser) {
	t.Helper()
	b.Run("open kiosk", chromedp.Navigate(v.url+"/"), chromedp.WaitVisible(chromedp.ID("pin")))
	b.Run("name", chromedp.SendKeys(chromedp.ID("staff-name"), "Rita"))
	for _, digit := range kiosktest.PIN {
		b.Run("pin pad", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-key="%c"]`, digit))))
	}
	b.Screenshot("unlock")
	b.Run("unlock", chromedp.Click(chromedp.ID("unlock")))
	webuitest.WaitText(t, b, "Find an attendee")
}

// scan plays the barcode scanner: keys, then Enter, into the focused field.
// A scanner types at once, but a test must not type into a page whose
// script (which sends stray keys to the search field) has not run yet: on
// a loaded machine the first keys were lost that way.
func scan(t *testing.T, b *browsertest.Browser, text string) {
	t.Helper()
	webuitest.WaitJS(t, b, "page ready for a scan", `document.readyState === "complete"`)
	b.Run("scan "+text[:min(12, len(text))], chromedp.KeyEvent(text+"\r"))
}

func TestE2EFindCheckInPrintAndDuplicateWarning(t *testing.T) {
	v := newVenue(t)
	b := browsertest.New(t)
	b.Viewport(1280, 800) // a kiosk touch screen
	unlockIn(t, v, b)
	b.Screenshot("door")

	// An access code, typed or scanned into the focused search field, lists the order's attendees.
	scan(t, b, strings.ToLower(v.annO.AccessCode))
	webuitest.WaitText(t, b, "2 matches")
	b.Screenshot("results")
	b.Run("open Ângela", chromedp.Click(chromedp.CSS(`a.result[href$="/0"]`)))
	webuitest.WaitText(t, b, "Not checked in yet")
	b.Screenshot("attendee")

	// One tap: checked in and the badge opened for the browser to print.
	b.Run("check in and print", chromedp.Click(chromedp.ID("admit")))
	webuitest.WaitText(t, b, "Checked in, badge opened as PDF")
	webuitest.WaitText(t, b, "by Rita")
	webuitest.WaitJS(t, b, "badge PDF frame", `!!document.querySelector('#badge-frame[src$="badge.pdf"]')`)
	b.Screenshot("receipt-badge")

	// Found again by name, accents left out: the page warns before anyone taps.
	scan(t, b, "angela odegard")
	webuitest.WaitText(t, b, "Already checked in")
	webuitest.WaitText(t, b, "Here")
	if n := browsertest.Get(b, "check-in buttons", chromedp.Evaluate[int](`document.querySelectorAll("#check-in, #admit").length`)); n != 0 {
		t.Fatalf("%d check-in buttons on a checked-in attendee", n)
	}
	b.Screenshot("already-checked-in")

	// Bo's page is open when another door checks him in: tapping warns, records nothing.
	b.Run("open Bo", chromedp.Navigate(v.url+attendeeURL(seatOf(v.annO, 1))))
	webuitest.WaitText(t, b, "Not checked in yet")
	v.checkInElsewhere(seatOf(v.annO, 1), "k2", "Sam")
	// The restarted kiosk asks for the PIN again; staff unlock it from
	// another screen, and Bo's page is still the one that was open.
	relock(t, v, b)
	b.Run("check in", chromedp.Click(chromedp.ID("check-in")))
	webuitest.WaitText(t, b, "Already checked in: not recorded again")
	webuitest.WaitText(t, b, "at Side door")
	b.Screenshot("duplicate-warning")

	// Print without checking in, then a reprint with a reason.
	b.Run("open Mallory", chromedp.Navigate(v.url+attendeeURL(seatOf(v.mallory, 0))))
	webuitest.WaitText(t, b, "Not checked in yet")
	b.Run("print only", chromedp.Click(chromedp.ID("print-only")))
	webuitest.WaitText(t, b, "Badge opened as PDF (not checked in)")
	b.Run("back to attendee", chromedp.Navigate(v.url+attendeeURL(seatOf(v.mallory, 0))))
	webuitest.WaitText(t, b, "Reprint the badge")
	b.Run("reason", chromedp.Click(chromedp.CSS(`input[name=reason][value=damaged]`)), chromedp.Click(chromedp.ID("reprint")))
	webuitest.WaitText(t, b, "Badge reprint opened as PDF")
	b.Screenshot("reprint")
	if n := v.ownEvents("onsite.AttendeeCheckedIn"); n != 1 {
		t.Fatalf("%d check-ins recorded, want 1", n)
	}
}

// relock checks that the restarted kiosk locked the screen, then unlocks
// it with a request from the open page, which stays on screen.
func relock(t *testing.T, v *venue, b *browsertest.Browser) {
	t.Helper()
	locked := browsertest.Get(b, "restarted kiosk locked", chromedp.Evaluate[bool](`fetch("/", {redirect: "manual"}).then(r => r.type === "opaqueredirect")`, chromedp.EvalAwaitPromise))
	if !locked {
		t.Fatal("the restarted kiosk kept the staff session")
	}
	unlocked := browsertest.Get(b, "unlock again", chromedp.Evaluate[bool](fmt.Sprintf(`fetch("/unlock", {method: "POST", redirect: "manual",
		body: new URLSearchParams({_csrf: document.querySelector("input[name=_csrf]").value, staff: "Rita", pin: %q})}).then(r => r.type === "opaqueredirect")`, kiosktest.PIN), chromedp.EvalAwaitPromise))
	if !unlocked {
		t.Fatal("unlock after restart refused")
	}
}

func TestE2EScannedBadgeVerifiedOffline(t *testing.T) {
	v := newVenue(t) // hub-less: offline
	b := browsertest.New(t)
	unlockIn(t, v, b)
	d := v.desk()
	genuine := d.token(t, confID.String(), seatOf(v.annO, 0))

	scan(t, b, genuine)
	webuitest.WaitText(t, b, "Admitted")
	webuitest.WaitText(t, b, "Ângela Ødegård-Lee")
	b.Screenshot("admitted")

	// After a tap on the page, focus is on no field: the scan still lands in the search field.
	b.Run("tap the page", chromedp.Click(chromedp.ID("verdict-name")))
	scan(t, b, d.forge(t, genuine))
	webuitest.WaitText(t, b, "Refused")
	webuitest.WaitText(t, b, "Forged or altered badge")
	b.Screenshot("forged-badge")

	scan(t, b, d.token(t, otherConf.String(), seatOf(v.annO, 0)))
	webuitest.WaitText(t, b, "another conference")
	// Verifying only: anything scanned is a badge or refused.
	b.Run("verify only", chromedp.Navigate(v.url+"/scan"))
	webuitest.WaitText(t, b, "Verify only")
	scan(t, b, "HELLO")
	webuitest.WaitText(t, b, "This is not a badge code")
	b.Screenshot("not-a-badge")
	// Checked while the kiosk was offline: its status says so.
	webuitest.WaitJS(t, b, "offline banner", `!!document.querySelector("#offline-banner")`)
	if n := v.ownEvents("onsite.ScanDenied"); n != 3 {
		t.Fatalf("%d denied scans recorded, want 3", n)
	}
}

func TestE2EWalkUpSaleInsideAndPastAllocation(t *testing.T) {
	v := newVenue(t) // hub-less: offline
	b := browsertest.New(t)
	unlockIn(t, v, b)

	sell := func(name, payment string) {
		b.Run("open sale", chromedp.Navigate(v.url+"/sale"), chromedp.WaitVisible(chromedp.ID("f-name")))
		b.Run("choose reception", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=seat][value="%s"]`, reception))))
		b.Run("attendee", chromedp.SendKeys(chromedp.ID("f-name"), name),
			chromedp.SendKeys(chromedp.ID("f-email"), strings.ToLower(name)+"@example.org"),
			chromedp.SendKeys(chromedp.ID("f-company"), "Walk-in Ltd"),
			chromedp.Click(chromedp.ID(payment)))
		b.Screenshot("sale-form-" + name)
		b.Run("sell", chromedp.Click(chromedp.ID("sell")))
	}

	sell("Ivo", "pay-cash")
	webuitest.WaitText(t, b, "Sale certain")
	webuitest.WaitText(t, b, "Checked in at")
	webuitest.WaitText(t, b, "Reception: 0 left")
	b.Screenshot("sale-certain")

	sell("Jo", "pay-card")
	webuitest.WaitText(t, b, "Sold past this kiosk's allocation: pending hub confirmation")
	b.Screenshot("sale-pending-hub")

	// The workshop is not sold past its allocation: the third is refused, with the reason.
	for i, name := range []string{"Ana", "Rui", "Eve"} {
		b.Run("open sale", chromedp.Navigate(v.url+"/sale"), chromedp.WaitVisible(chromedp.ID("f-name")))
		b.Run("choose workshop", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=seat][value="%s"]`, workshop))))
		b.Run("attendee", chromedp.SendKeys(chromedp.ID("f-name"), name), chromedp.Click(chromedp.ID("pay-cash")),
			chromedp.Click(chromedp.ID("sell")))
		if i < 2 {
			webuitest.WaitText(t, b, "Sale certain")
		}
	}
	webuitest.WaitText(t, b, "Refused:")
	webuitest.WaitText(t, b, "Nothing was sold")
	b.Screenshot("sale-refused")
	if n := v.ownEvents("registrations.WalkUpOrderPlaced"); n != 4 {
		t.Fatalf("%d sales recorded, want 4", n)
	}
}

func TestE2EOfflineBannerAndIdleLock(t *testing.T) {
	// A kiosk paired with a real hub sync endpoint by `kiosk pair`.
	h := hubservertest.Start(t, hubservertest.Options{})
	created := h.NewKiosk(t, "Door 1")
	v := &venue{t: t, ctx: context.Background(), db: filepath.Join(t.TempDir(), "kiosk.db"), flags: []string{"--idle-lock", "12s"}}
	pair := exec.Command(kioskBinary(t), "pair", "--db", v.db, "--hub", h.URL, "--code", created.PairingCode)
	pair.Env = append(os.Environ(), "KIOSK_PIN="+kiosktest.PIN)
	if out, err := pair.CombinedOutput(); err != nil {
		t.Fatalf("kiosk pair: %v\n%s", err, out)
	}
	v.start()
	hubservertest.Eventually(t, 20*time.Second, "the kiosk to connect", func() bool { return len(h.Server.Online()) == 1 })

	b := browsertest.New(t)
	unlockIn(t, v, b)
	webuitest.WaitText(t, b, "Online")
	if n := browsertest.Get(b, "banner", chromedp.Evaluate[int](`document.querySelectorAll("#offline-banner").length`)); n != 0 {
		t.Fatal("offline banner while online")
	}
	// The hub goes away: the banner appears without a reload.
	must(t, h.Server.Close())
	h.HTTP.Close()
	webuitest.WaitJS(t, b, "offline banner", `!!document.querySelector("#offline-banner")`)
	webuitest.WaitText(t, b, "Offline")
	b.Screenshot("offline-banner")

	// Left alone, the screen locks itself.
	webuitest.WaitText(t, b, "Locked after 12 seconds without use")
	b.Screenshot("idle-locked")
	v.stop()
}

// A full disk switches the door off; once space is freed the open screen
// comes back with its buttons by itself (the status refresh probes the
// store), with no restart and nothing recorded to find out.
func TestE2EFullDiskSwitchesActionsOffAndBackOn(t *testing.T) {
	v := newVenue(t)
	b := browsertest.New(t)
	unlockIn(t, v, b)
	ang := v.url + attendeeURL(seatOf(v.annO, 0))
	b.Run("open Ângela", chromedp.Navigate(ang))
	webuitest.WaitText(t, b, "Not checked in yet")

	// The disk fills while the kiosk runs (another process's trigger on its file).
	db, err := sql.Open("sqlite", v.db)
	must(t, err)
	defer db.Close()
	free, err := kiosktest.FillDisk(db)
	must(t, err)
	b.Run("check in", chromedp.Click(chromedp.ID("check-in")))
	webuitest.WaitText(t, b, "The kiosk cannot record")
	webuitest.WaitJS(t, b, "cannot-record banner with try again", `!!document.querySelector("#cannot-record #try-again")`)
	b.Screenshot("full-disk")

	// Space freed: within a status refresh the attendee page is back, buttons and all.
	must(t, free())
	webuitest.WaitJS(t, b, "actions back", `!!document.querySelector("#check-in") && !document.querySelector("#cannot-record")`)
	b.Screenshot("full-disk-recovered")
	b.Run("check in", chromedp.Click(chromedp.ID("check-in")))
	webuitest.WaitText(t, b, "Checked in: Ângela Ødegård-Lee")
	if n := v.ownEvents("onsite.AttendeeCheckedIn"); n != 1 {
		t.Fatalf("%d check-ins recorded, want 1", n)
	}
}
