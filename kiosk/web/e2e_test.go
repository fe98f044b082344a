//go:build e2e

package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"conference/kiosk/kiosktest"
	"conference/shared/browsertest"
)

// The door-staff flows in headless Chromium against a real kiosk (SQLite
// file, read models following the log) serving the UI on loopback. A USB
// barcode scanner is a keyboard: it is played by key events sent to
// whatever has focus, never by filling a chosen field.

// waitText waits until the page shows text. It polls rather than using
// chromedp.Poll, which fails when a navigation replaces the page it
// evaluates in.
func waitText(t *testing.T, b *browsertest.Browser, text string) {
	t.Helper()
	waitJS(t, b, "wait for "+text, fmt.Sprintf("!!document.body && document.body.innerText.includes(%q)", text))
}

func waitJS(t *testing.T, b *browsertest.Browser, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.Context(), 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			ctx, cancel := context.WithTimeout(b.Context(), 2*time.Second)
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
			cancel()
			t.Logf("page text:\n%s", text)
			t.Fatalf("browser: %s: timed out (last error %v)", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

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
	waitText(t, b, "Find an attendee")
}

// scan plays the barcode scanner: keys, then Enter, into the focused field.
func scan(b *browsertest.Browser, text string) {
	b.Run("scan "+text[:min(12, len(text))], chromedp.KeyEvent(text+"\r"))
}

func TestE2EFindCheckInPrintAndDuplicateWarning(t *testing.T) {
	d := startDesk(t, Options{})
	b := browsertest.New(t)
	b.Viewport(1280, 800) // a kiosk touch screen
	unlockIn(t, d, b)
	b.Screenshot("door")

	// An access code, typed or scanned into the focused search field, lists the order's attendees.
	scan(b, strings.ToLower(d.annO.AccessCode))
	waitText(t, b, "2 matches")
	b.Screenshot("results")
	b.Run("open Ângela", chromedp.Click(chromedp.CSS(`a.result[href$="/0"]`)))
	waitText(t, b, "Not checked in yet")
	b.Screenshot("attendee")

	// One tap: checked in and the badge shown for the browser to print.
	b.Run("check in and print", chromedp.Click(chromedp.ID("admit")))
	waitText(t, b, "Checked in, badge printed")
	waitText(t, b, "by Rita")
	waitJS(t, b, "badge PDF frame", `!!document.querySelector('#badge-frame[src$="badge.pdf"]')`)
	b.Screenshot("receipt-badge")

	// Found again by name, accents left out: the page warns before anyone taps.
	scan(b, "angela odegard")
	waitText(t, b, "Already checked in")
	waitText(t, b, "Here")
	if n := browsertest.Get(b, "check-in buttons", chromedp.Evaluate[int](`document.querySelectorAll("#check-in, #admit").length`)); n != 0 {
		t.Fatalf("%d check-in buttons on a checked-in attendee", n)
	}
	b.Screenshot("already-checked-in")

	// Bo's page is open when another door checks him in: tapping warns, records nothing.
	b.Run("open Bo", chromedp.Navigate(d.srv.URL+attendeeURL(seatOf(d.annO, 1))))
	waitText(t, b, "Not checked in yet")
	d.checkInElsewhere(seatOf(d.annO, 1), "k2", "Sam")
	b.Run("check in", chromedp.Click(chromedp.ID("check-in")))
	waitText(t, b, "Already checked in: not recorded again")
	waitText(t, b, "at kiosk k2")
	b.Screenshot("duplicate-warning")
	if n := d.ownEvents("onsite.AttendeeCheckedIn"); n != 1 {
		t.Fatalf("%d check-ins recorded, want 1", n)
	}

	// Print without checking in, then a reprint with a reason.
	b.Run("open Mallory", chromedp.Navigate(d.srv.URL+attendeeURL(seatOf(d.mallory, 0))))
	waitText(t, b, "Not checked in yet")
	b.Run("print only", chromedp.Click(chromedp.ID("print-only")))
	waitText(t, b, "Badge printed (not checked in)")
	b.Run("back to attendee", chromedp.Navigate(d.srv.URL+attendeeURL(seatOf(d.mallory, 0))))
	waitText(t, b, "Reprint the badge")
	b.Run("reason", chromedp.Click(chromedp.CSS(`input[name=reason][value=damaged]`)), chromedp.Click(chromedp.ID("reprint")))
	waitText(t, b, "Badge reprinted")
	b.Screenshot("reprint")
}

func TestE2EScannedBadgeVerifiedOffline(t *testing.T) {
	d := startDesk(t, Options{})
	d.k.SetOnline(false)
	b := browsertest.New(t)
	unlockIn(t, d, b)
	genuine := d.token(t, confID.String(), seatOf(d.annO, 0))

	scan(b, genuine)
	waitText(t, b, "Valid badge")
	waitText(t, b, "Ângela Ødegård-Lee")
	b.Screenshot("valid-badge")

	// After a tap on the page, focus is on no field: the scan still lands in the search field.
	b.Run("tap the page", chromedp.Click(chromedp.ID("attendee-name")))
	scan(b, d.forge(t, genuine))
	waitText(t, b, "Badge refused")
	waitText(t, b, "Forged or altered badge")
	b.Screenshot("forged-badge")

	scan(b, d.token(t, otherConf.String(), seatOf(d.annO, 0)))
	waitText(t, b, "another conference")
	scan(b, "HELLO")
	waitText(t, b, "This is not a badge code")
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
	waitText(t, b, "Sale certain")
	waitText(t, b, "Checked in at")
	waitText(t, b, "Reception: 0 left")
	b.Screenshot("sale-certain")

	sell("Jo", "pay-card")
	waitText(t, b, "Sold past this kiosk's allocation: pending hub confirmation")
	b.Screenshot("sale-pending-hub")

	// The workshop is not sold past its allocation: the third is refused, with the reason.
	for i, name := range []string{"Ana", "Rui", "Eve"} {
		b.Run("open sale", chromedp.Navigate(d.srv.URL+"/sale"), chromedp.WaitVisible(chromedp.ID("f-name")))
		b.Run("choose workshop", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=seat][value="%s"]`, workshop))))
		b.Run("attendee", chromedp.SendKeys(chromedp.ID("f-name"), name), chromedp.Click(chromedp.ID("pay-cash")),
			chromedp.Click(chromedp.ID("sell")))
		if i < 2 {
			waitText(t, b, "Sale certain")
		}
	}
	waitText(t, b, "Refused:")
	waitText(t, b, "Nothing was sold")
	b.Screenshot("sale-refused")
	if n := d.ownEvents("registrations.WalkUpOrderPlaced"); n != 4 {
		t.Fatalf("%d sales recorded, want 4", n)
	}
}

func TestE2EOfflineBannerAndIdleLock(t *testing.T) {
	d := startDesk(t, Options{StatusRefresh: time.Second, IdleLock: 6 * time.Second, Now: time.Now})
	b := browsertest.New(t)
	unlockIn(t, d, b)
	waitText(t, b, "Online")
	if n := browsertest.Get(b, "banner", chromedp.Evaluate[int](`document.querySelectorAll("#offline-banner").length`)); n != 0 {
		t.Fatal("offline banner while online")
	}
	// The link drops: the banner appears without a reload.
	d.k.SetOnline(false)
	waitJS(t, b, "offline banner", `!!document.querySelector("#offline-banner")`)
	waitText(t, b, "Offline")
	b.Screenshot("offline-banner")

	// Left alone, the screen locks itself.
	waitText(t, b, "Locked after 6 seconds without use")
	b.Screenshot("idle-locked")
}
