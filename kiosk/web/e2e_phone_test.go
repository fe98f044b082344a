//go:build e2e

package web

import (
	"testing"

	"github.com/chromedp/chromedp"

	"conference/shared/browsertest"
	"conference/shared/webui/webuitest"
)

// One scan at the door checks a person in, on a phone-sized screen: every
// kiosk page fits 390 pixels without sideways scrolling.
func TestE2EOneScanChecksInOnAPhoneAndEveryPageFits(t *testing.T) {
	v := newVenue(t) // hub-less: offline, badges open as PDFs
	b := browsertest.New(t)
	b.Viewport(browsertest.PhoneWidth, browsertest.PhoneHeight)
	b.Run("open kiosk", chromedp.Navigate(v.url+"/"), chromedp.WaitVisible(chromedp.ID("pin")))
	b.WantFitsWidth("phone-unlock")
	unlockIn(t, v, b)
	webuitest.WaitText(t, b, "Demo door") // its name, in the header
	b.WantFitsWidth("phone-find")

	// A badge scanned into the search field: admitted, big and green.
	badge := v.desk().token(t, confID.String(), seatOf(v.annO, 0))
	scan(t, b, badge)
	webuitest.WaitJS(t, b, "admitted", `!!document.querySelector('[data-verdict="admitted"]')`)
	webuitest.WaitText(t, b, "Ângela Ødegård-Lee")
	b.WantFitsWidth("phone-admitted")

	// The scanner sends it again: amber, already in just now, here.
	scan(t, b, badge)
	webuitest.WaitJS(t, b, "already in", `!!document.querySelector('[data-verdict="already-in"]')`)
	webuitest.WaitJS(t, b, "checked in moments ago", `/\((just now|\d+ seconds ago)\)/.test(document.getElementById("verdict").innerText)`)
	webuitest.WaitText(t, b, "at Demo door")
	b.WantFitsWidth("phone-already-in")

	// A short barcode that is not a badge: red, and recorded as denied.
	scan(t, b, "4006381333931")
	webuitest.WaitJS(t, b, "refused", `!!document.querySelector('[data-verdict="refused"]')`)
	webuitest.WaitText(t, b, "This is not a badge code")
	b.WantFitsWidth("phone-refused")

	// Search, attendee page, check in and open the badge PDF, print log.
	scan(t, b, "bo berg")
	webuitest.WaitText(t, b, "Not checked in yet")
	b.WantFitsWidth("phone-attendee")
	b.Run("check in and open badge", chromedp.Click(chromedp.ID("admit")))
	webuitest.WaitText(t, b, "Checked in, badge opened as PDF")
	webuitest.WaitText(t, b, "not as a printed badge")
	b.WantFitsWidth("phone-receipt")
	b.Run("attendee page", chromedp.Navigate(v.url+attendeeURL(seatOf(v.annO, 1))))
	webuitest.WaitText(t, b, "opened as PDF in the browser, not printed")
	b.WantFitsWidth("phone-print-log")

	scan(t, b, v.annO.AccessCode)
	webuitest.WaitText(t, b, "2 matches")
	b.WantFitsWidth("phone-results")
	for _, p := range []struct{ path, text, name string }{
		{"/scan", "Verify only", "phone-verify"},
		{"/sale", "Walk-up sale", "phone-sale"},
	} {
		b.Run("open "+p.path, chromedp.Navigate(v.url+p.path))
		webuitest.WaitText(t, b, p.text)
		b.WantFitsWidth(p.name)
	}
	// Verify only: a re-entry is amber, never a green valid.
	b.Run("open verify", chromedp.Navigate(v.url+"/scan"))
	webuitest.WaitText(t, b, "Verify only")
	scan(t, b, badge)
	webuitest.WaitJS(t, b, "verify only re-entry", `!!document.querySelector('[data-verdict="already-in"]')`)
	b.WantFitsWidth("phone-verify-already-in")

	if n := v.ownEvents("onsite.AttendeeCheckedIn"); n != 2 {
		t.Fatalf("%d check-ins recorded, want 2 (Ângela by one scan, Bo by the button)", n)
	}
	if n := v.ownEvents("onsite.ScanDenied"); n != 1 {
		t.Fatalf("%d denied scans recorded, want 1", n)
	}
}
