//go:build e2e

package web

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"conference/hub/hubapp/hubtest"
	"conference/shared/browsertest"
	"conference/shared/webui/webuitest"
)

// The organizer's pages on a 390-pixel-wide phone: the conference
// overview (seat types, live counts), the conference list and the kiosk
// pages fit without sideways scrolling.
func TestE2EOrganizerPagesFitAPhone(t *testing.T) {
	e := startE2E(t)
	fx := hubtest.PublishedConference(t, e.hub)
	if err := SetPassword(context.Background(), e.hub, fx.OrganizerID, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	org := browsertest.New(t)
	org.Viewport(browsertest.PhoneWidth, browsertest.PhoneHeight)
	org.Run("sign in", chromedp.Navigate(e.url+"/org/signin"), chromedp.WaitVisible(chromedp.ID("f-email")))
	org.WantFitsWidth("phone-signin")
	fill(org, map[string]string{"f-email": fx.Email, "f-password": "correct horse battery"})
	org.Run("submit sign-in", chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, org, "Your conferences")
	org.WantFitsWidth("phone-conferences")

	org.Run("overview", chromedp.Navigate(e.url+confURL(fx.ConferenceID, "")))
	webuitest.WaitText(t, org, "Seats right now")
	// Stacked into cards, the counts keep their column's name.
	webuitest.WaitJS(t, org, "labelled counts", `getComputedStyle(document.querySelector("[data-k=quota]"), "::before").content.includes("Quota")`)
	org.WantFitsWidth("phone-overview")

	org.Run("kiosks", chromedp.Navigate(e.url+confURL(fx.ConferenceID, "/kiosks")), chromedp.WaitVisible(chromedp.ID("f-name")))
	fill(org, map[string]string{"f-name": "Demo door"})
	org.Run("create kiosk", chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, org, "Kiosk “Demo door” created")
	org.WantFitsWidth("phone-kiosk-created")
	org.Run("back to kiosks", chromedp.Click(chromedp.CSS("a.button[href$='/kiosks']")))
	webuitest.WaitText(t, org, "waiting for pairing")
	webuitest.WaitText(t, org, "Cancel code")
	org.WantFitsWidth("phone-kiosks")
}
