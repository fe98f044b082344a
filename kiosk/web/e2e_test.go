//go:build e2e

package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"conference/kiosk/kiosktest"
	"conference/shared/browsertest"
	"conference/shared/webui/webuitest"
)

// The door-staff flows in headless Chromium against a real kiosk (SQLite
// file, read models following the log) serving the UI on loopback. A USB
// barcode scanner is a keyboard: it is played by key events sent to
// whatever has focus, never by filling a chosen field.

// unlockIn opens the kiosk and unlocks it with the PIN pad.
func unlockIn(t *testing.T, d *desk, b *browsertest.Browser) {
	t.Helper()
	b.Run("open kiosk", chromedp.Navigate(d.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("pin")))
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
	d := startDesk(t, Options{})
	b := browsertest.New(t)
	b.Viewport(1280, 800) // a kiosk touch screen
	unlockIn(t, d, b)
	b.Screenshot("door")

	// An access code, typed or scanned into the focused search field, lists the order's attendees.
	scan(t, b, strings.ToLower(d.annO.AccessCode))
	webuitest.WaitText(t, b, "2 matches")
	b.Screenshot("results")
	b.Run("open Ângela", chromedp.Click(chromedp.CSS(`a.result[href$="/0"]`)))
	webuitest.WaitText(t, b, "Not checked in yet")
	b.Screenshot("attendee")

	// One tap: checked in and the badge shown for the browser to print.
	b.Run("check in and print", chromedp.Click(chromedp.ID("admit")))
	webuitest.WaitText(t, b, "Checked in, badge printed")
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
	b.Run("open Bo", chromedp.Navigate(d.srv.URL+attendeeURL(seatOf(d.annO, 1))))
	webuitest.WaitText(t, b, "Not checked in yet")
	d.checkInElsewhere(seatOf(d.annO, 1), "k2", "Sam")
	b.Run("check in", chromedp.Click(chromedp.ID("check-in")))
	webuitest.WaitText(t, b, "Already checked in: not recorded again")
	webuitest.WaitText(t, b, "at kiosk k2")
	b.Screenshot("duplicate-warning")
	if n := d.ownEvents("onsite.AttendeeCheckedIn"); n != 1 {
		t.Fatalf("%d check-ins recorded, want 1", n)
	}

	// Print without checking in, then a reprint with a reason.
	b.Run("open Mallory", chromedp.Navigate(d.srv.URL+attendeeURL(seatOf(d.mallory, 0))))
	webuitest.WaitText(t, b, "Not checked in yet")
	b.Run("print only", chromedp.Click(chromedp.ID("print-only")))
	webuitest.WaitText(t, b, "Badge printed (not checked in)")
	b.Run("back to attendee", chromedp.Navigate(d.srv.URL+attendeeURL(seatOf(d.mallory, 0))))
	webuitest.WaitText(t, b, "Reprint the badge")
	b.Run("reason", chromedp.Click(chromedp.CSS(`input[name=reason][value=damaged]`)), chromedp.Click(chromedp.ID("reprint")))
	webuitest.WaitText(t, b, "Badge reprinted")
	b.Screenshot("reprint")
}

func TestE2EScannedBadgeVerifiedOffline(t *testing.T) {
	d := startDesk(t, Options{})
	d.k.SetOnline(false)
	b := browsertest.New(t)
	unlockIn(t, d, b)
	genuine := d.token(t, confID.String(), seatOf(d.annO, 0))

	scan(t, b, genuine)
	webuitest.WaitText(t, b, "Valid badge")
	webuitest.WaitText(t, b, "Ângela Ødegård-Lee")
	b.Screenshot("valid-badge")

	// After a tap on the page, focus is on no field: the scan still lands in the search field.
	b.Run("tap the page", chromedp.Click(chromedp.ID("attendee-name")))
	scan(t, b, d.forge(t, genuine))
	webuitest.WaitText(t, b, "Badge refused")
	webuitest.WaitText(t, b, "Forged or altered badge")
	b.Screenshot("forged-badge")

	scan(t, b, d.token(t, otherConf.String(), seatOf(d.annO, 0)))
	webuitest.WaitText(t, b, "another conference")
	scan(t, b, "HELLO")
	webuitest.WaitText(t, b, "This is not a badge code")
	b.Screenshot("not-a-badge")
	if n := d.ownEvents("onsite.ScanDenied"); n != 3 {
		t.Fatalf("%d denied scans recorded, want 3", n)
	}
}

func TestE2EWalkUpSaleInsideAndPastAllocation(t *testing.T) {
	d := startDesk(t, Options{})
	d.k.SetOnline(false)
	b := browsertest.New(t)
	unlockIn(t, d, b)

	sell := func(name, payment string) {
		b.Run("open sale", chromedp.Navigate(d.srv.URL+"/sale"), chromedp.WaitVisible(chromedp.ID("f-name")))
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
		b.Run("open sale", chromedp.Navigate(d.srv.URL+"/sale"), chromedp.WaitVisible(chromedp.ID("f-name")))
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
	if n := d.ownEvents("registrations.WalkUpOrderPlaced"); n != 4 {
		t.Fatalf("%d sales recorded, want 4", n)
	}
}

func TestE2EOfflineBannerAndIdleLock(t *testing.T) {
	d := startDesk(t, Options{StatusRefresh: time.Second, IdleLock: 6 * time.Second, Now: time.Now})
	b := browsertest.New(t)
	unlockIn(t, d, b)
	webuitest.WaitText(t, b, "Online")
	if n := browsertest.Get(b, "banner", chromedp.Evaluate[int](`document.querySelectorAll("#offline-banner").length`)); n != 0 {
		t.Fatal("offline banner while online")
	}
	// The link drops: the banner appears without a reload.
	d.k.SetOnline(false)
	webuitest.WaitJS(t, b, "offline banner", `!!document.querySelector("#offline-banner")`)
	webuitest.WaitText(t, b, "Offline")
	b.Screenshot("offline-banner")

	// Left alone, the screen locks itself.
	webuitest.WaitText(t, b, "Locked after 6 seconds without use")
	b.Screenshot("idle-locked")
}
