//go:build e2e

package api_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"conference/hub/api"
	"conference/hub/hubapp/hubtest"
	"conference/shared/browsertest"
	"conference/shared/webui/webuitest"
)

// The reference page reads in a browser with nothing but the hub: every
// resource it loads and every element that points at one is on the hub's
// own origin (here: none at all beyond the page), so it works on a venue
// network without internet. Screenshots: artifacts/e2e.
func TestE2EReferencePageReadsOfflineFromTheHubAlone(t *testing.T) {
	e := serveAPI(t, hubtest.Open(t), api.Options{})
	b := browsertest.New(t)
	b.Run("open the reference", chromedp.Navigate(e.srv.URL+api.Prefix+"/docs"))
	webuitest.WaitText(t, b, "Conference hub JSON API")
	webuitest.WaitText(t, b, "Create a kiosk and its one-time pairing code")

	doc, _ := loadSpec(t)
	want := 0
	for _, item := range doc.Paths.Map() {
		want += len(item.Operations())
	}
	ops := browsertest.Get(b, "count operations", chromedp.Evaluate[int](`document.querySelectorAll("section.op").length`))
	if ops != want || want < 40 {
		t.Fatalf("the page documents %d operations, want the document's %d", ops, want)
	}
	// Following the contents to an operation and from it to its schema.
	b.Run("follow the contents", chromedp.Click(`nav.toc a[href="#op-resolveSeatConflict"]`))
	webuitest.WaitJS(t, b, "at the operation", `location.hash === "#op-resolveSeatConflict"`)
	text := browsertest.Get(b, "read the operation", chromedp.Text("#op-resolveSeatConflict"))
	for _, want := range []string{"POST", "/organizer/conferences/{conferenceID}/conflicts/{number}/resolve", "organizerToken", "Resolution", "409"} {
		if !strings.Contains(text, want) {
			t.Errorf("the operation's section lacks %q: %s", want, text)
		}
	}
	b.Run("follow the body's schema", chromedp.Click(`#op-resolveSeatConflict a[href="#schema-Resolution"]`))
	webuitest.WaitJS(t, b, "at the schema", `location.hash === "#schema-Resolution"`)
	if schema := browsertest.Get(b, "read the schema", chromedp.Text("#schema-Resolution")); !strings.Contains(schema, "move_seats") {
		t.Errorf("the Resolution schema lacks its kinds: %s", schema)
	}

	foreign := browsertest.Get(b, "what the page loaded from elsewhere", chromedp.Evaluate[[]string](`(() => {
		const origin = location.origin, out = [];
		for (const r of performance.getEntriesByType("resource")) if (!r.name.startsWith(origin)) out.push(r.name);
		for (const el of document.querySelectorAll("[src], link[href]")) {
			const url = el.src || el.href;
			if (url && !url.startsWith(origin) && !url.startsWith("data:")) out.push(url);
		}
		return out;
	})()`))
	if len(foreign) != 0 {
		t.Fatalf("the page reaches outside the hub: %v", foreign)
	}
	b.Screenshot("reference")

	b.Viewport(browsertest.PhoneWidth, browsertest.PhoneHeight)
	b.Run("top of the page", chromedp.Navigate(e.srv.URL+api.Prefix+"/docs"))
	webuitest.WaitText(t, b, "Conference hub JSON API")
	b.WantFitsWidth("reference-phone")
}
