//go:build e2e

package web

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"conference/hub/hubapp/hubtest"
	"conference/hub/kiosks"
	"conference/shared/browsertest"
	"conference/shared/onsite"
	"conference/shared/webui/webuitest"
	"conference/sync/protocol"
)

// TestE2EVenue walks the organizer's venue pages in a real browser: a
// registrant names the attendees of their seats; the organizer downloads
// the badges, creates a kiosk and reads its pairing code, sees what the
// hub heard from the kiosk once it paired and synced (last seen, pending
// uploads, seats held), revokes it through the confirm dialog, reads the
// duplicate check-ins, resolves a seat-quota conflict that offline kiosk
// sales caused, and closes on-site sales of the workshop.
func TestE2EVenue(t *testing.T) {
	e := startE2E(t)
	fx := hubtest.PublishedConference(t, e.hub)
	ctx := context.Background()
	if err := SetPassword(ctx, e.hub, fx.OrganizerID, "correct horse battery"); err != nil {
		t.Fatal(err)
	}

	// A registrant takes two free community-day seats and names who comes.
	reg := browsertest.New(t)
	reg.Run("open conference", chromedp.Navigate(e.url+"/c/"+fx.Slug), chromedp.WaitVisible(chromedp.CSS("tbody tr:nth-child(2) input.qty")))
	reg.Run("order", chromedp.SendKeys(chromedp.CSS("tbody tr:nth-child(2) input.qty"), "2"), chromedp.Click(chromedp.CSS("form button.primary")))
	// Free, but confirmed only once the registrant says who they are.
	reg.Run("details form", chromedp.WaitVisible(chromedp.ID("confirm-hint")))
	fill(reg, map[string]string{"f-name": "Grace Hopper", "f-email": "grace@example.com"})
	reg.Run("save details", chromedp.Click(chromedp.CSS("#registrant + form button")))
	webuitest.WaitText(t, reg, "You are registered")
	reg.Run("name the attendees", chromedp.Click(chromedp.CSS("a[href$='/attendees']")), chromedp.WaitVisible(chromedp.ID("f-name-0")))
	fill(reg, map[string]string{"f-name-0": "Grace Hopper", "f-email-0": "grace@example.com", "f-company-0": "Navy",
		"f-name-1": "Linus Pauling", "f-email-1": "linus"})
	reg.Run("save attendees", chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, reg, "Email must be an address such as ana@example.com") // the bad email is refused by its field
	reg.Screenshot("attendees-error")
	reg.Run("fix email", chromedp.SetValue(chromedp.ID("f-email-1"), "linus@example.com"), chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, reg, "Attendees saved")
	reg.Screenshot("attendees-saved")

	// The organizer signs in and finds them, then renders the badges.
	org := browsertest.New(t)
	org.Run("sign in", chromedp.Navigate(e.url+"/org/signin"), chromedp.WaitVisible(chromedp.ID("f-email")))
	fill(org, map[string]string{"f-email": fx.Email, "f-password": "correct horse battery"})
	org.Run("submit sign-in", chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, org, "Your conferences")
	org.Run("open conference", chromedp.Navigate(e.url+confURL(fx.ConferenceID, "")))
	org.Run("attendees", chromedp.Click(chromedp.CSS(".subnav a[href$='/attendees']")))
	webuitest.WaitText(t, org, "Grace Hopper")
	webuitest.WaitText(t, org, "Linus Pauling")
	org.Screenshot("attendee-list")

	org.Run("badges", chromedp.Click(chromedp.CSS(".subnav a[href$='/badges']")), chromedp.WaitVisible(chromedp.ID("layout")))
	org.Run("render badges", chromedp.Click(chromedp.CSS("form[data-badges] button.primary")))
	webuitest.WaitJS(t, org, "badges rendered", `!document.querySelector('[data-progress-done]').hidden`)
	org.Screenshot("badges-ready")
	// Download the PDF as the link would, and check what arrives.
	webuitest.WaitJS(t, org, "fetch the PDF", `(() => { const a = document.querySelector('[data-progress-done] a');
		if (!window.__pdf) { window.__pdf = 'pending'; fetch(a.href, {credentials: 'same-origin'}).then(async r => {
			const b = new Uint8Array(await r.arrayBuffer());
			window.__pdf = r.status + ' ' + r.headers.get('content-type') + ' ' + String.fromCharCode(...b.slice(0, 5)); }); }
		return window.__pdf === '200 application/pdf %PDF-'; })()`)

	// A kiosk: created with its one-time pairing code, as text and QR.
	org.Run("kiosks", chromedp.Click(chromedp.CSS(".subnav a[href$='/kiosks']")), chromedp.WaitVisible(chromedp.ID("f-name")))
	fill(org, map[string]string{"f-name": "Front desk"})
	org.Run("create kiosk", chromedp.Click(chromedp.CSS("form button.primary")))
	webuitest.WaitText(t, org, "Kiosk “Front desk” created")
	code := browsertest.Get(org, "pairing code", chromedp.Text(chromedp.ID("pairing-code")))
	if !regexp.MustCompile(`^[A-Z0-9]{4}-[A-Z0-9]{4}$`).MatchString(code) {
		t.Fatalf("pairing code %q", code)
	}
	webuitest.WaitJS(t, org, "QR shown", `document.getElementById('pairing-qr').complete && document.getElementById('pairing-qr').naturalWidth === 264`)
	org.Screenshot("kiosk-pairing")
	org.Run("back to kiosks", chromedp.Click(chromedp.CSS("a.button[href$='/kiosks']")))
	webuitest.WaitText(t, org, "waiting for pairing")

	// The kiosk pairs over HTTP with the code shown, syncs over WebSocket,
	// uploads a check-in (Grace's seat) and takes an allocation of workshop
	// seats; the list shows what the hub heard from it.
	k := pairKiosk(t, e.url, code)
	grace := orderOf(t, e, fx.ConferenceID, "Grace Hopper")
	k.checkIn(t, fx.ConferenceID, onsite.Seat{OrderID: grace})
	k.waitSynced(t)
	granted, err := k.client.RequestAllocation(ctx, fx.ConferenceID, fx.Workshop, 2)
	if err != nil || granted != 2 {
		t.Fatalf("allocation: granted %d, %v", granted, err)
	}
	k.waitSynced(t)
	hubtest.Eventually(t, 15*time.Second, "presence recorded", func() error {
		got, err := e.hub.Kiosks.Get(ctx, fx.OrganizerID, k.id)
		if err != nil || got.LastSeen.IsZero() || got.UpAcked < 1 || got.PendingUploads != 0 || got.Allocations[fx.Workshop] != 2 {
			return fmt.Errorf("kiosk %+v, %v", got, err)
		}
		return nil
	})
	row := "tr[data-kiosk='" + k.id + "']"
	org.Run("reload kiosks", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(row)))
	cells := browsertest.Get(org, "kiosk row", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("`+row+` td")].map(td => td.innerText.trim())`))
	if len(cells) != 6 || cells[0] != "paired" || cells[1] == "never" || !strings.Contains(cells[1], "kiosk e2e") ||
		cells[3] != "0" || cells[4] != "2 × Workshop" {
		t.Fatalf("kiosk row cells (status, last seen, sync, pending uploads, seats held, actions): %q", cells)
	}
	org.Screenshot("kiosks")

	// Revoke through the button's confirm dialog: the kiosk is cut off at
	// once and refused from then on.
	confirms := acceptDialogs(org)
	org.Run("revoke", chromedp.Click(chromedp.CSS(row+" button.danger")))
	webuitest.WaitText(t, org, "Kiosk “Front desk” revoked")
	if msgs, err := confirms.seen(); err != nil || len(msgs) != 1 || !strings.HasPrefix(msgs[0], "Revoke Front desk?") {
		t.Fatalf("confirm dialogs: %q, %v", msgs, err)
	}
	status := browsertest.Get(org, "revoked row", chromedp.Evaluate[string](
		`(() => { const r = document.querySelector("`+row+`"); return r.querySelector("td").innerText.trim() + "|" + r.querySelectorAll("button").length; })()`))
	if status != "revoked|0" {
		t.Fatalf("revoked kiosk row: status|buttons = %q", status)
	}
	org.Screenshot("kiosk-revoked")
	var refused *protocol.Error
	if err := k.stopped(t, 5*time.Second); !errors.As(err, &refused) || refused.Code != protocol.CodeRevoked {
		t.Fatalf("revoked kiosk's sync ended with %v, want %s", err, protocol.CodeRevoked)
	}
	if _, err := e.hub.Kiosks.Authenticate(ctx, k.credential); !errors.Is(err, kiosks.ErrRevoked) {
		t.Fatalf("revoked kiosk authenticates: %v", err)
	}

	// Offline sales past the workshop's quota reach the hub (as sync's
	// merge records them): the kiosk's allocation left 8 seats, so 10 sold
	// overflow by 2. Front desk and kiosk-west both checked Grace in.
	recordOnSiteSale(t, e.hub, fx.ConferenceID, fx.Workshop, "kiosk-east", "Walk-up Wanda", hubtest.WorkshopQuota)
	recordDuplicateCheckIn(t, e.hub, fx.ConferenceID, onsite.Seat{OrderID: grace}, k.id, "kiosk-west")
	caughtUp(t, e.hub)
	org.Run("conflicts", chromedp.Click(chromedp.CSS(".subnav a[href$='/conflicts']")))
	webuitest.WaitText(t, org, "Conflict 1: 2 seats of Workshop over the quota")
	webuitest.WaitText(t, org, "Walk-up Wanda")
	dup := browsertest.Get(org, "duplicate check-ins", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("table.list tbody tr")].map(r => r.innerText.replace(/\s+/g, " ").trim())`))
	if len(dup) != 1 || !strings.Contains(dup[0], "Grace Hopper") || !strings.Contains(dup[0], "seat 1") ||
		!strings.Contains(dup[0], "Front desk kiosk-west") {
		t.Fatalf("duplicate check-ins rows: %q", dup)
	}
	org.Screenshot("conflicts")
	org.Run("choose refund", chromedp.Click(chromedp.ID("kind-1-refund")), chromedp.Click(chromedp.CSS("#conflict-1 button.primary")))
	webuitest.WaitText(t, org, "Conflict 1 resolved")
	webuitest.WaitText(t, org, "seats taken back and refunded")
	org.Screenshot("conflict-resolved")

	// The organizer closes on-site sales of the workshop: the two seats
	// the revoked kiosk still holds come back, and kiosks stop selling it.
	seatRow := "tr[data-seat-type='" + fx.Workshop.String() + "']"
	org.Run("kiosks again", chromedp.Click(chromedp.CSS(".subnav a[href$='/kiosks']")), chromedp.WaitVisible(chromedp.CSS(seatRow)))
	held := browsertest.Get(org, "on-site sales row", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("`+seatRow+` td")].map(td => td.innerText.trim())`))
	if len(held) != 3 || held[0] != "open" || held[1] != "2" {
		t.Fatalf("on-site sales row cells (sales, seats held, actions): %q", held)
	}
	org.Run("close on-site sales", chromedp.Click(chromedp.CSS(seatRow+" button.danger")))
	webuitest.WaitText(t, org, "On-site sales of “Workshop” closed")
	webuitest.WaitText(t, org, "2 unsold leased seats are back on sale")
	if msgs, err := confirms.seen(); err != nil || len(msgs) != 2 || !strings.HasPrefix(msgs[1], "Close on-site sales of Workshop?") {
		t.Fatalf("confirm dialogs: %q, %v", msgs, err)
	}
	if cells := browsertest.Get(org, "kiosk row after closing", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("`+row+` td")].map(td => td.innerText.trim())`)); len(cells) != 6 || cells[4] != "none" {
		t.Fatalf("revoked kiosk still holds seats after closing on-site sales: %q", cells)
	}
	org.Screenshot("on-site-sales-closed")
}

// orderOf finds the order of a named attendee through the read models.
func orderOf(t *testing.T, e *e2eHub, conference uuid.UUID, name string) uuid.UUID {
	t.Helper()
	caughtUp(t, e.hub)
	list, err := e.hub.Reads.Attendees(context.Background(), conference, name, 10, 0)
	if err != nil || len(list) == 0 {
		t.Fatalf("attendee %s: %v, %v", name, list, err)
	}
	return list[0].OrderID
}
