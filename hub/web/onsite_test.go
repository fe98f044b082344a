package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/badges/token"
	"conference/hub/hubapp/hubtest"
	"conference/hub/kiosks"
	"conference/hub/payments"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/shared/webui/webuitest"
)

func TestAttendeesAreNamedListedExportedAndBadged(t *testing.T) {
	th := startHub(t, Options{})
	v := th.venue(t, "Venue Summit", "venue-summit")
	reg, order := th.confirmedOrder(t, v, "venue-summit", 2)
	form := "/orders/" + order.String() + "/attendees"
	reg.Get(form).Want(t, http.StatusOK, `id="f-name-0"`, `id="f-email-1"`, "Seat 2 · Workshop")

	// Bad input: the message by the field, what was typed kept, nothing saved.
	reg.Post(form, url.Values{"name_0": {"Ann Lee"}, "email_0": {"ann"}, "name_1": {"Bo Berg"}, "email_1": {"bo@example.com"}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-email-0-error"`, `value="Ann Lee"`, `value="bo@example.com"`)
	reg.Post(form, url.Values{"name_1": {"Bo"}, "company_0": {"Acme"}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-email-1-error"`, `value="Bo"`, `id="f-name-0-error"`, `value="Acme"`)
	// Every seat's every problem at once, by the one email rule.
	reg.Post(form, url.Values{"name_0": {"Ann Lee"}, "email_0": {"ann@example"}, "name_1": {" "}, "email_1": {"bo"}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-email-0-error"`, "Email must end in a domain name such as example.com",
			`id="f-name-1-error"`, `id="f-email-1-error"`, "Email must be an address such as ana@example.com")
	seats, err := th.hub.Registrations.Seats(context.Background(), order)
	if err != nil || !seats[0].Attendee.IsZero() || !seats[1].Attendee.IsZero() {
		t.Fatalf("seats after a refused form: %+v, %v", seats, err)
	}
	// Another browser cannot name this order's attendees.
	th.browser().Post(form, url.Values{"name_0": {"Mallory"}, "email_0": {"m@example.com"}}).Want(t, http.StatusNotFound)

	reg.Post(form, url.Values{
		"name_0": {"=1+2 Evil"}, "email_0": {"evil@example.com"},
		"name_1": {"Ada Lovelace"}, "email_1": {"ada@example.com"}, "company_1": {"@Analytical Engines"}, "role_1": {"Engineer"},
	}).WantRedirect(t, "/orders/"+order.String())
	reg.Get(form).Want(t, http.StatusOK, `value="Ada Lovelace"`, `value="@Analytical Engines"`)
	// Clearing a seat's fields empties it; naming it again works.
	reg.Post(form, url.Values{"name_1": {"Ada Lovelace"}, "email_1": {"ada@example.com"}, "company_1": {"@Analytical Engines"}, "role_1": {"Engineer"}}).
		WantRedirect(t, "/orders/"+order.String())
	if seats, _ := th.hub.Registrations.Seats(context.Background(), order); !seats[0].Attendee.IsZero() || seats[1].Attendee.Name != "Ada Lovelace" {
		t.Fatalf("seats after clearing the first: %+v", seats)
	}
	reg.Post(form, url.Values{"name_0": {"=1+2 Evil"}, "email_0": {"evil@example.com"}, "name_1": {"Ada Lovelace"}, "email_1": {"ada@example.com"},
		"company_1": {"@Analytical Engines"}, "role_1": {"Engineer"}}).WantRedirect(t, "/orders/"+order.String())
	caughtUp(t, th.hub)

	// The organizer sees them on the order and in the attendee list.
	v.org.Get(confURL(v.conf, "/orders/"+order.String())).Want(t, http.StatusOK, "Ada Lovelace", "=1&#43;2 Evil")
	v.org.Get(confURL(v.conf, "/attendees")).Want(t, http.StatusOK, "Ada Lovelace", "ada@example.com", "Export CSV")
	v.org.Get(confURL(v.conf, "/attendees?q=lovelace")).Want(t, http.StatusOK, "Ada Lovelace")
	if p := v.org.Get(confURL(v.conf, "/attendees?q=lovelace")); strings.Contains(p.Body, "evil@example.com") {
		t.Fatal("search for lovelace lists the other attendee")
	}

	// CSV export: every attendee, formula characters neutralised.
	p := v.org.Get(confURL(v.conf, "/attendees.csv"))
	p.Want(t, http.StatusOK)
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(p.Header.Get("Content-Disposition"), "venue-summit-attendees.csv") {
		t.Fatalf("CSV headers: %q, %q", ct, p.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, p.Body)
	}
	if len(rows) != 3 || rows[0][0] != "name" {
		t.Fatalf("CSV rows: %q", rows)
	}
	byName := map[string][]string{}
	for _, r := range rows[1:] {
		byName[r[0]] = r
	}
	if r := byName["'=1+2 Evil"]; r == nil || r[1] != "evil@example.com" || r[4] != "Workshop" || r[7] != "1" {
		t.Fatalf("formula name not neutralised: %q", rows)
	}
	if r := byName["Ada Lovelace"]; r == nil || r[2] != "'@Analytical Engines" || r[3] != "Engineer" || r[6] != order.String() {
		t.Fatalf("Ada's row: %q", rows)
	}

	// Badges: the page has a progress indicator; the job renders in the
	// background and the PDF names every attendee.
	v.org.Get(confURL(v.conf, "/badges")).Want(t, http.StatusOK, "data-progress", "<progress", "2 attendees")
	pdf := v.org.badgesPDF(t, v)
	text := pdfText(t, pdf)
	for _, want := range []string{"Ada Lovelace", "=1+2 Evil", "Venue Summit", "Analytical Engines"} {
		if !strings.Contains(text, want) {
			t.Fatalf("badge PDF text lacks %q:\n%s", want, text)
		}
	}

	// Each badge carries a token signed with the hub's key (the kiosk
	// registry's), naming the attendee's seat.
	s, err := newSite(context.Background(), th.hub, Options{})
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := s.badgeList(context.Background(), v.conf, "Venue Summit")
	if err != nil || len(list) != 2 {
		t.Fatalf("badge list: %d, %v", len(list), err)
	}
	pub, err := th.hub.Kiosks.PublicKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := token.NewVerifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		onsite.Seat{OrderID: order, Position: 0}.TokenID(): true,
		onsite.Seat{OrderID: order, Position: 1}.TokenID(): true,
	}
	for _, b := range list {
		c, err := verifier.Verify(b.Token)
		if err != nil || c.Conference != v.conf.String() || !want[c.Seat] {
			t.Fatalf("badge of %s: claims %+v, %v", b.Name, c, err)
		}
		delete(want, c.Seat)
	}
	_, forged, _ := ed25519.GenerateKey(nil)
	other, _ := token.NewHubSigner(forged)
	fake, _ := other.Sign(token.Claims{Conference: v.conf.String(), Seat: onsite.Seat{OrderID: order}.TokenID(), IssuedAt: time.Now()})
	if _, err := verifier.Verify(fake); err == nil {
		t.Fatal("a token signed with another key verified")
	}
}

// badgesPDF starts the badge job as the page's script does, follows its
// progress and downloads the PDF.
func (b *browser) badgesPDF(t testing.TB, v venue) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.th.srv.URL+confURL(v.conf, "/badges"),
		strings.NewReader(url.Values{"layout": {"a4-sheet"}, csrfField: {b.CSRF()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	p := b.Do(req)
	p.Want(t, http.StatusAccepted)
	var started struct{ State string }
	if err := json.Unmarshal([]byte(p.Body), &started); err != nil || started.State == "" {
		t.Fatalf("badge job: %s, %v", p.Body, err)
	}
	var st badgeJobState
	hubtest.Eventually(t, 30*time.Second, "badges rendered", func() error {
		req, _ := http.NewRequest(http.MethodGet, b.th.srv.URL+started.State, nil)
		req.Header.Set("Accept", "application/json")
		p := b.Do(req)
		if err := json.Unmarshal([]byte(p.Body), &st); err != nil {
			return err
		}
		if st.Error != "" {
			return errors.New(st.Error)
		}
		if !st.Finished {
			return fmt.Errorf("%d of %d", st.Done, st.Total)
		}
		return nil
	})
	if st.Done != st.Total || st.Total == 0 || st.PDF == "" {
		t.Fatalf("finished job state: %+v", st)
	}
	p = b.Get(st.PDF)
	p.Want(t, http.StatusOK)
	if ct := p.Header.Get("Content-Type"); ct != "application/pdf" || !strings.HasPrefix(p.Body, "%PDF-") {
		t.Fatalf("badges download: %q, starts %q", ct, p.Body[:min(len(p.Body), 8)])
	}
	return []byte(p.Body)
}

func pdfText(t testing.TB, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext is not installed (poppler-utils)")
	}
	path := filepath.Join(t.TempDir(), "badges.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

var (
	pairingCodeRE = regexp.MustCompile(`id="pairing-code">([A-Z0-9-]+)<`)
	qrRE          = regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`)
)

func TestKioskIsCreatedWithAPairingCodeListedAndRevoked(t *testing.T) {
	th := startHub(t, Options{})
	v := th.venue(t, "Kiosk Conf", "kiosk-conf")
	kioskPage := confURL(v.conf, "/kiosks")
	v.org.Get(kioskPage).Want(t, http.StatusOK, "No kiosks yet", `id="f-name"`)
	v.org.Post(kioskPage, url.Values{"name": {"  "}}).Want(t, http.StatusUnprocessableEntity, `id="f-name-error"`)
	v.org.Post(kioskPage, url.Values{"name": {strings.Repeat("k", 101)}}).Want(t, http.StatusUnprocessableEntity, `id="f-name-error"`)
	if list, _ := th.hub.Kiosks.List(context.Background(), th.conference(v.conf), v.conf); len(list) != 0 {
		t.Fatalf("refused forms created kiosks: %+v", list)
	}

	p := v.org.Post(kioskPage, url.Values{"name": {"Front <desk>"}})
	p.Want(t, http.StatusCreated, "Front &lt;desk&gt;", "kiosk pair --hub http://", `id="pairing-qr"`)
	m := pairingCodeRE.FindStringSubmatch(p.Body)
	q := qrRE.FindStringSubmatch(p.Body)
	if m == nil || q == nil {
		t.Fatalf("no pairing code or QR:\n%s", webuitest.Excerpt(p.Body))
	}
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(q[1]))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil || img.Bounds().Dx() != 264 {
		t.Fatalf("QR image: %v, %v", img, err)
	}
	if !strings.Contains(p.Body, "--code "+m[1]) {
		t.Fatal("the pairing command does not carry the code")
	}

	// The code shown pairs the kiosk, once.
	pub, _, _ := ed25519.GenerateKey(nil)
	pairing, err := th.hub.Kiosks.Pair(context.Background(), m[1], pub)
	if err != nil {
		t.Fatalf("pair with the code shown: %v", err)
	}
	if _, err := th.hub.Kiosks.Pair(context.Background(), m[1], pub); !errors.Is(err, kiosks.ErrPairingRefused) {
		t.Fatalf("second pairing: %v", err)
	}
	v.org.Get(kioskPage).Want(t, http.StatusOK, "Front &lt;desk&gt;", "paired", pairing.Kiosk.KioskID, "never")

	// Revoking needs the form's CSRF token, then refuses the kiosk.
	revoke := confURL(v.conf, "/kiosks/"+pairing.Kiosk.KioskID+"/revoke")
	v.org.PostRaw(revoke, url.Values{}).Want(t, http.StatusForbidden)
	v.org.Post(revoke, nil).WantRedirect(t, kioskPage)
	v.org.Get(kioskPage).Want(t, http.StatusOK, "revoked")
	if _, err := th.hub.Kiosks.Authenticate(context.Background(), pairing.Credential); !errors.Is(err, kiosks.ErrRevoked) {
		t.Fatalf("revoked kiosk authenticates: %v", err)
	}
	v.org.Post(confURL(v.conf, "/kiosks/no-such-kiosk/revoke"), nil).Want(t, http.StatusNotFound)

	// A kiosk of another of the organizer's conferences is not this
	// conference's.
	other := v.org.createConference("Second Conf", "second-conf")
	created, err := th.hub.Kiosks.CreateKiosk(context.Background(), th.conference(v.conf), other, "Elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	v.org.Post(confURL(v.conf, "/kiosks/"+created.Kiosk.ID+"/revoke"), nil).Want(t, http.StatusNotFound)
	if k, _ := th.hub.Kiosks.Get(context.Background(), th.conference(v.conf), created.Kiosk.ID); k.Revoked() {
		t.Fatal("a kiosk was revoked through another conference's page")
	}
}

func TestTheOrganizerCancelsAPairingCodeValidForADay(t *testing.T) {
	th := startHub(t, Options{})
	v := th.venue(t, "Kiosk Conf", "kiosk-conf")
	kioskPage := confURL(v.conf, "/kiosks")
	p := v.org.Post(kioskPage, url.Values{"name": {"Back door"}}).Want(t, http.StatusCreated)
	m := pairingCodeRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no pairing code:\n%s", webuitest.Excerpt(p.Body))
	}
	list, _ := th.hub.Kiosks.List(context.Background(), th.conference(v.conf), v.conf)
	if len(list) != 1 || list[0].PairingExpiresAt.Sub(list[0].CreatedAt) != 24*time.Hour {
		t.Fatalf("kiosks %+v: want one whose code lasts 24 hours", list)
	}
	cancel := confURL(v.conf, "/kiosks/"+list[0].ID+"/cancel-pairing")
	v.org.Get(kioskPage).Want(t, http.StatusOK, "waiting for pairing", `action="`+cancel+`"`)
	v.org.PostRaw(cancel, url.Values{}).Want(t, http.StatusForbidden)
	v.org.Follow(v.org.Post(cancel, nil).WantRedirect(t, kioskPage)).Want(t, http.StatusOK, "pairing code cancelled", "Pairing code of “Back door” cancelled").
		Lacks(t, "waiting for pairing", `action="`+cancel+`"`)
	pub, _, _ := ed25519.GenerateKey(nil)
	if _, err := th.hub.Kiosks.Pair(context.Background(), m[1], pub); !errors.Is(err, kiosks.ErrPairingRefused) {
		t.Fatalf("a cancelled code paired: %v", err)
	}
	v.org.Post(confURL(v.conf, "/kiosks/no-such-kiosk/cancel-pairing"), nil).Want(t, http.StatusNotFound)
}

func TestSeatConflictsAndDuplicateCheckInsAreListedAndResolved(t *testing.T) {
	th := startHub(t, Options{})
	ctx := context.Background()
	v := th.venue(t, "Conflict Conf", "conflict-conf")
	_, order := th.confirmedOrder(t, v, "conflict-conf", 2) // the workshop is full
	walkUp := recordOnSiteSale(t, th.hub, v.conf, v.workshop, "kiosk-a", "Wendy Walker", 1)
	recordDuplicateCheckIn(t, th.hub, v.conf, onsite.Seat{OrderID: order, Position: 0}, "kiosk-b", "kiosk-a")
	caughtUp(t, th.hub)
	page := confURL(v.conf, "/conflicts")
	v.org.Get(page).Want(t, http.StatusOK, "Conflict 1: 1 seat of Workshop over the quota", "Wendy Walker", "kiosk-a",
		"Duplicate check-ins", "kiosk-b", `action="`+page+`/1/resolve"`)

	// Bad choices come back by their field, the conflict still open.
	v.org.Post(page+"/1/resolve", url.Values{"note": {"hm"}}).Want(t, http.StatusUnprocessableEntity, `id="kind-1-error"`, `value="hm"`)
	v.org.Post(page+"/1/resolve", url.Values{"kind": {"move_seats"}}).Want(t, http.StatusUnprocessableEntity, `id="to-1-error"`)
	v.org.Post(page+"/1/resolve", url.Values{"kind": {"move_seats"}, "to_seat_type": {v.workshop.String()}}).
		Want(t, http.StatusUnprocessableEntity, `id="to-1-error"`)
	v.org.Post(page+"/99/resolve", url.Values{"kind": {"refund"}}).Want(t, http.StatusNotFound)
	v.org.Post(page+"/x/resolve", url.Values{"kind": {"refund"}}).Want(t, http.StatusNotFound)
	if open := th.availability(t, v).OpenConflicts(); len(open) != 1 {
		t.Fatalf("open conflicts after refused resolutions: %+v", open)
	}

	// Raising the quota resolves it, in Conference Management too.
	v.org.Post(page+"/1/resolve", url.Values{"kind": {"raise_quota"}, "note": {"bigger room"}}).WantRedirect(t, page)
	v.org.Get(page).Want(t, http.StatusOK, "Conflict 1 resolved", "quota raised by 1", "bigger room")
	if q := th.availability(t, v).Quota(v.workshop); q != 3 {
		t.Fatalf("workshop quota after raising: %d", q)
	}
	if sts, _ := th.hub.Conferences.ListSeatTypes(ctx, th.conference(v.conf), v.conf); sts[0].Name != "Workshop" || sts[0].Quota != 3 {
		t.Fatalf("conference management's workshop: %+v", sts[0])
	}
	v.org.Post(page+"/1/resolve", url.Values{"kind": {"refund"}}).WantRedirect(t, page)
	v.org.Get(page).Want(t, http.StatusOK, "Conflict 1 was already resolved")

	// A second overflow, refunded: the refund is recorded with the order.
	second := recordOnSiteSale(t, th.hub, v.conf, v.workshop, "kiosk-a", "Walt Second", 1)
	caughtUp(t, th.hub)
	v.org.Get(page).Want(t, http.StatusOK, "Conflict 2")
	v.org.Post(page+"/2/resolve", url.Values{"kind": {"refund"}}).WantRedirect(t, page)
	hubtest.Eventually(t, 10*time.Second, "refund recorded", func() error {
		pays, err := th.hub.Payments.ForOrder(ctx, second)
		if err != nil || len(pays) != 1 || pays[0].Status != payments.StatusRefunded || pays[0].Amount != registrations.NewMoney(2500, "EUR") {
			return fmt.Errorf("payments %+v, %v", pays, err)
		}
		return nil
	})
	v.org.Get(confURL(v.conf, "/orders/"+second.String())).Want(t, http.StatusOK, "refunded", "seat quota conflict 2")
	if pays, _ := th.hub.Payments.ForOrder(ctx, walkUp); len(pays) != 0 {
		t.Fatalf("the raised-quota order was refunded: %+v", pays)
	}
}

func (th *testHub) availability(t testing.TB, v venue) *registrations.SeatsAvailability {
	t.Helper()
	return th.availabilityOf(t, v.conf)
}

func TestMovingConflictSeatsToAnotherSeatTypeMovesThem(t *testing.T) {
	th := startHub(t, Options{})
	ctx := context.Background()
	v := th.venue(t, "Move Conf", "move-conf")
	// Given a full workshop, a balcony with no seats, and a walk-up sale of
	// two workshop seats past the quota...
	v.org.addSeatType(v.conf, "Balcony", "0", "0")
	balcony := th.seatTypes(v.conf, th.conference(v.conf))["Balcony"]
	hubtest.WaitForQuotas(t, th.hub, v.conf, map[uuid.UUID]int{balcony: 0})
	th.confirmedOrder(t, v, "move-conf", 2)
	walkUp := recordOnSiteSale(t, th.hub, v.conf, v.workshop, "kiosk-a", "Wendy Walker", 2)
	caughtUp(t, th.hub)
	page := confURL(v.conf, "/conflicts")
	v.org.Get(page).Want(t, http.StatusOK, "Conflict 1: 2 seats of Workshop over the quota")

	// ...moving them where there is no room is refused by the field...
	v.org.Post(page+"/1/resolve", url.Values{"kind": {"move_seats"}, "to_seat_type": {balcony.String()}}).
		Want(t, http.StatusUnprocessableEntity, `id="to-1-error"`, "not enough free seats")
	if a := th.availability(t, v); len(a.OpenConflicts()) != 1 || a.SoldCount(v.workshop) != 4 {
		t.Fatalf("after a refused move: %d open conflicts, %d workshop seats sold", len(a.OpenConflicts()), a.SoldCount(v.workshop))
	}

	// ...and moving them to the main hall takes them off the workshop and
	// onto the main hall, for the walk-up order too.
	v.org.Post(page+"/1/resolve", url.Values{"kind": {"move_seats"}, "to_seat_type": {v.mainHall.String()}, "note": {"room swap"}}).
		WantRedirect(t, page)
	v.org.Get(page).Want(t, http.StatusOK, "Conflict 1 resolved", "seats moved to Main hall", "room swap")
	a := th.availability(t, v)
	if len(a.OpenConflicts()) != 0 || a.SoldCount(v.workshop) != 2 || a.SoldCount(v.mainHall) != 2 || a.Overbooked(v.workshop) != 0 {
		t.Fatalf("after the move: %d open, workshop sold %d (overbooked %d), main hall sold %d; want 0, 2 (0), 2",
			len(a.OpenConflicts()), a.SoldCount(v.workshop), a.Overbooked(v.workshop), a.SoldCount(v.mainHall))
	}
	if seats, ok := a.SoldTo(walkUp); !ok || len(seats) != 1 || seats[0].SeatType != v.mainHall || seats[0].Quantity != 2 {
		t.Fatalf("walk-up order's seats after the move: %+v (%v), want 2 of Main hall", seats, ok)
	}
	if free := v.org.seatCount(v.conf, v.mainHall, "free"); free != 8 {
		t.Fatalf("main hall free on the overview: %d, want 8", free)
	}
	// A move keeps the sale: nothing is refunded.
	if pays, _ := th.hub.Payments.ForOrder(ctx, walkUp); len(pays) != 0 {
		t.Fatalf("a moved order was refunded: %+v", pays)
	}
}
