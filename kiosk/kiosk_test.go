package kiosk_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/badges"
	"conference/badges/token"
	"conference/hub/conferences"
	"conference/kiosk"
	"conference/kiosk/kiosktest"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

var (
	conf      = uuid.MustParse("00000000-0000-0000-0000-00000000c0f1")
	otherConf = uuid.MustParse("00000000-0000-0000-0000-00000000c0f2")
	fullPass  = uuid.MustParse("00000000-0000-0000-0000-000000000f01")
	workshop  = uuid.MustParse("00000000-0000-0000-0000-000000000f02") // sellable, not past allocation
	reception = uuid.MustParse("00000000-0000-0000-0000-000000000f03") // sellable past allocation
	ann       = registrations.Attendee{Name: "Ângela Ødegård-Lee", Email: "angela@example.org", Company: "Acme", Role: "CTO"}
	bo        = registrations.Attendee{Name: "Bo Berg", Email: "bo@example.org"}
	zoe       = registrations.Attendee{Name: "Ζωή Παπαδοπούλου", Email: "zoe@example.org"}
)

// clock is a settable time source shared by kiosk and test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	path  string
	clock *clock
	keys  kiosktest.Keys
	k     *kiosk.Kiosk
	hub   *kiosktest.Hub
	annO  kiosktest.Order // Ângela and Bo
	zoeO  kiosktest.Order
	// printer is the print queue given to the kiosk at (re)open; nil
	// serves badges to the browser.
	printer badges.Printer
}

const kioskID = "k1"

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), path: filepath.Join(t.TempDir(), "kiosk.db"),
		clock: &clock{now: time.Now().UTC().Truncate(time.Second)}}
	var err error
	if f.keys, err = kiosktest.NewKeys(kioskID, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := kiosktest.Pair(f.ctx, f.path, kioskID, conf, f.keys); err != nil {
		t.Fatal(err)
	}
	f.open()
	f.hub = kiosktest.NewHub(f.k.Store(), 0)
	h := f.hub
	must(t, h.Conference(f.ctx, conf, "GopherCon Lisboa"))
	must(t, h.SeatType(f.ctx, conf, fullPass, "Full pass", 30000, 100, conferences.OnSitePolicy{}))
	must(t, h.SeatType(f.ctx, conf, workshop, "Go workshop", 4000, 10, conferences.OnSitePolicy{SellableAtKiosks: true, KioskAllocationSize: 2}))
	must(t, h.SeatType(f.ctx, conf, reception, "Reception", 0, 5, conferences.OnSitePolicy{SellableAtKiosks: true, SellPastAllocation: true, KioskAllocationSize: 1}))
	must(t, h.Grant(f.ctx, conf, kioskID, workshop, 2))
	must(t, h.Grant(f.ctx, conf, kioskID, reception, 1))
	f.annO, err = h.ConfirmedOrder(f.ctx, conf, fullPass, ann, []registrations.Attendee{ann, bo})
	must(t, err)
	f.zoeO, err = h.ConfirmedOrder(f.ctx, conf, fullPass, zoe, []registrations.Attendee{zoe})
	must(t, err)
	must(t, f.k.Refresh(f.ctx))
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	k, err := kiosk.Open(f.ctx, kiosk.Config{Path: f.path, Now: f.clock.Now, Logger: quiet, Printer: f.printer})
	if err != nil {
		f.t.Fatal(err)
	}
	f.k = k
	f.t.Cleanup(func() { k.Close() })
}

func (f *fixture) reopen() {
	f.t.Helper()
	must(f.t, f.k.Close())
	f.open()
	f.hub.Store = f.k.Store()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) find(q string) []string {
	f.t.Helper()
	res, err := f.k.Find(f.ctx, q)
	must(f.t, err)
	var names []string
	for _, a := range res.Attendees {
		names = append(names, a.Name)
	}
	return names
}

func (f *fixture) ownSeq() int64 {
	f.t.Helper()
	st, err := f.k.Status(f.ctx)
	must(f.t, err)
	return st.LastOwnSeq
}

func seat(o kiosktest.Order, pos int) onsite.Seat { return onsite.Seat{OrderID: o.ID, Position: pos} }

func TestFindByNamePrefixOfAnyWordAccentsIgnoredEmailAndAccessCode(t *testing.T) {
	f := setup(t)
	cases := map[string]string{
		"angela":         ann.Name, // accents ignored
		"ODEG":           ann.Name, // prefix of a later word, case ignored
		"lee ang":        ann.Name, // every word must match, any order
		"ζωη":            zoe.Name, // Greek, accents ignored
		"bo@example.org": bo.Name,
		"BO@EXAMPLE.ORG": bo.Name,
	}
	for q, want := range cases {
		if got := f.find(q); len(got) != 1 || got[0] != want {
			t.Errorf("Find(%q) = %q, want [%q]", q, got, want)
		}
	}
	code := strings.ToLower(strings.ReplaceAll(f.annO.AccessCode, "-", ""))
	if got := f.find(code); len(got) != 2 {
		t.Errorf("access code %q found %q, want both attendees of the order", code, got)
	}
	if got := f.find("nobody"); len(got) != 0 {
		t.Errorf("Find(nobody) = %q", got)
	}
	if got := f.find("   "); len(got) != 0 {
		t.Errorf("blank query found %q", got)
	}
}

func TestCheckInRecordsOnceThenWarnsAboutDuplicatesHereAndElsewhere(t *testing.T) {
	f := setup(t)
	a, err := f.k.CheckIn(f.ctx, seat(f.annO, 0), "Rita")
	must(t, err)
	if !a.CheckedIn() || a.CheckIns[0].KioskID != kioskID || a.CheckIns[0].Staff != "Rita" {
		t.Fatalf("after check-in: %+v", a.CheckIns)
	}
	before := f.ownSeq()
	_, err = f.k.CheckIn(f.ctx, seat(f.annO, 0), "Rui")
	var dup *kiosk.DuplicateCheckInError
	if !errors.As(err, &dup) || !errors.Is(err, onsite.ErrAlreadyCheckedIn) || !dup.Previous[0].Here || !strings.Contains(err.Error(), "here") {
		t.Fatalf("second check-in here: %v", err)
	}
	if f.ownSeq() != before {
		t.Fatal("a refused check-in recorded an event")
	}

	// Bo was checked in at kiosk k2 ("Side door"); the hub relays it.
	must(t, f.hub.Append(f.ctx, onsite.AttendanceStreamID(seat(f.annO, 1)), "onsite.Attendance", onsite.AttendeeCheckedIn{
		ConferenceID: conf, OrderID: f.annO.ID, Position: 1, KioskID: "k2", Staff: "Eva", At: f.clock.Now()}))
	must(t, f.hub.NameKiosk(f.ctx, conf, "k2", "Side door"))
	must(t, f.k.Refresh(f.ctx))
	_, err = f.k.CheckIn(f.ctx, seat(f.annO, 1), "Rita")
	if !errors.As(err, &dup) || dup.Previous[0].Here || !strings.Contains(err.Error(), "at Side door") || strings.Contains(err.Error(), "k2") {
		t.Fatalf("check-in of someone checked in elsewhere: %v", err)
	}
	if _, err := f.k.CheckIn(f.ctx, onsite.Seat{OrderID: ids.New()}, "Rita"); !errors.Is(err, kiosk.ErrAttendeeNotFound) {
		t.Fatalf("unknown attendee: %v", err)
	}
	if _, err := f.k.CheckIn(f.ctx, seat(f.zoeO, 0), " "); registrations.ErrorCode(err) != registrations.CodeInvalid {
		t.Fatalf("no staff: %v", err)
	}
}

func TestOfflineDuplicateFromAnotherKioskIsKeptAndCounted(t *testing.T) {
	f := setup(t)
	_, err := f.k.CheckIn(f.ctx, seat(f.zoeO, 0), "Rita")
	must(t, err)
	must(t, f.hub.Append(f.ctx, onsite.AttendanceStreamID(seat(f.zoeO, 0)), "onsite.Attendance", onsite.AttendeeCheckedIn{
		ConferenceID: conf, OrderID: f.zoeO.ID, KioskID: "k2", Staff: "Eva", At: f.clock.Now()}))
	must(t, f.k.Refresh(f.ctx))
	a, _ := f.k.Model().Attendee(seat(f.zoeO, 0))
	if len(a.CheckIns) != 2 || f.k.Model().Stats().Duplicates != 1 {
		t.Fatalf("check-ins %+v, duplicates %d", a.CheckIns, f.k.Model().Stats().Duplicates)
	}
}

func TestPrintBadgeReprintNeedsReasonAndPrintingDoesNotCheckIn(t *testing.T) {
	f := setup(t)
	res, err := f.k.PrintWithoutCheckIn(f.ctx, seat(f.zoeO, 0), "Rita")
	must(t, err)
	if !strings.HasPrefix(string(res.PDF), "%PDF") || !res.HasQR || res.Reprint != 0 || res.Attendee.CheckedIn() || res.Attendee.Prints != 1 {
		t.Fatalf("first print: reprint %d, qr %v, checked in %v, prints %d", res.Reprint, res.HasQR, res.Attendee.CheckedIn(), res.Attendee.Prints)
	}
	before := f.ownSeq()
	if _, err := f.k.PrintBadge(f.ctx, seat(f.zoeO, 0), "Rita"); !errors.Is(err, onsite.ErrReasonRequired) {
		t.Fatalf("second print without reason: %v", err)
	}
	if _, err := f.k.Reprint(f.ctx, seat(f.zoeO, 0), "Rita", "  "); !errors.Is(err, onsite.ErrReasonRequired) {
		t.Fatalf("reprint with blank reason: %v", err)
	}
	if f.ownSeq() != before {
		t.Fatal("a refused print recorded an event")
	}
	res, err = f.k.Reprint(f.ctx, seat(f.zoeO, 0), "Rita", "lost")
	must(t, err)
	if res.Reprint != 1 || res.Attendee.Prints != 2 {
		t.Fatalf("reprint %d, prints %d", res.Reprint, res.Attendee.Prints)
	}
}

func (f *fixture) hubToken(s onsite.Seat, conference uuid.UUID, issued time.Time) string {
	f.t.Helper()
	signer, err := token.NewHubSigner(f.keys.Hub)
	must(f.t, err)
	tok, err := signer.Sign(token.Claims{Conference: conference.String(), Seat: s.TokenID(), IssuedAt: issued})
	must(f.t, err)
	return tok
}

func TestVerifyScanAcceptsGenuineBadgesAndRecordsEveryDenial(t *testing.T) {
	f := setup(t)
	issued := f.clock.Now().Add(-time.Minute)
	good := f.hubToken(seat(f.zoeO, 0), conf, issued)
	res, err := f.k.Find(f.ctx, good) // the scanner types into the search field
	must(t, err)
	if res.Scan == nil || !res.Scan.OK || len(res.Attendees) != 1 || res.Attendees[0].Name != zoe.Name {
		t.Fatalf("genuine badge: %+v %+v", res, res.Scan)
	}

	_, stranger, _ := ed25519.GenerateKey(nil)
	strangeSigner, _ := token.NewHubSigner(stranger)
	forgedKey, _ := strangeSigner.Sign(token.Claims{Conference: conf.String(), Seat: seat(f.zoeO, 0).TokenID(), IssuedAt: issued})
	altered := []byte(good)
	altered[40] = map[bool]byte{true: 'B', false: 'A'}[altered[40] == 'A']

	must(t, f.hub.Cancel(f.ctx, f.annO.ID, conf)) // Ângela's and Bo's badges are revoked
	cases := []struct {
		scan string
		want onsite.DenyReason
	}{
		{"hello", onsite.DenyNotAToken},
		{strings.Repeat("A", 200), onsite.DenyNotAToken},
		{string(altered), onsite.DenyBadSignature},
		{forgedKey, onsite.DenyUnknownKey},
		{f.hubToken(seat(f.zoeO, 0), otherConf, issued), onsite.DenyOtherConference},
		{f.hubToken(seat(f.annO, 0), conf, issued), onsite.DenyRevoked},
		{f.hubToken(onsite.Seat{OrderID: ids.New()}, conf, issued), onsite.DenyUnknownAttendee},
	}
	must(t, f.k.Refresh(f.ctx))
	for i, c := range cases {
		before := f.ownSeq()
		res, err := f.k.VerifyScan(f.ctx, c.scan)
		must(t, err)
		if res.OK || res.Reason != c.want || res.Message == "" {
			t.Errorf("case %d: %+v, want %s", i, res, c.want)
		}
		if f.ownSeq() != before+1 {
			t.Errorf("case %d: denial recorded %d events, want 1", i, f.ownSeq()-before)
		}
	}
	if n := f.k.Model().Stats().DeniedScans; n != len(cases) {
		t.Fatalf("%d denied scans counted, want %d", n, len(cases))
	}
}

func TestBadgeIssuedBeforeTheSeatChangedHandsIsRevoked(t *testing.T) {
	f := setup(t)
	old := f.hubToken(seat(f.zoeO, 0), conf, f.clock.Now().Add(-time.Hour))
	newcomer := registrations.Attendee{Name: "Ana Silva", Email: "ana@example.org"}
	f.hub.Now = f.clock.Now()
	must(t, f.hub.Reassign(f.ctx, f.zoeO.ID, 0, fullPass, zoe, newcomer))
	must(t, f.k.Refresh(f.ctx))
	res, err := f.k.VerifyScan(f.ctx, old)
	must(t, err)
	if res.OK || res.Reason != onsite.DenyRevoked {
		t.Fatalf("old badge after reassignment: %+v", res)
	}
	// A badge printed for the newcomer verifies.
	f.clock.Add(2 * time.Second)
	fresh := f.hubToken(seat(f.zoeO, 0), conf, f.clock.Now())
	if res, err := f.k.VerifyScan(f.ctx, fresh); err != nil || !res.OK || res.Attendee.Name != newcomer.Name {
		t.Fatalf("new badge: %+v %v", res, err)
	}
}

func inventory(t *testing.T, k *kiosk.Kiosk, st uuid.UUID) int {
	t.Helper()
	line, ok := k.Model().SeatType(conf, st)
	if !ok {
		t.Fatalf("seat type %s unknown", st)
	}
	return line.AllocationLeft
}

func walkUp(name, email string, st uuid.UUID, n int) kiosk.WalkUpRequest {
	return kiosk.WalkUpRequest{Seats: registrations.Seats{{SeatType: st, Quantity: n}}, Name: name, Email: email,
		Company: "Initech", Payment: registrations.PaymentCash, Staff: "Rita", Print: true}
}

func TestWalkUpSaleInsideAllocationIsCertainChecksInAndPrints(t *testing.T) {
	f := setup(t)
	res, err := f.k.WalkUpSale(f.ctx, walkUp("Chloé Martin", "chloe@example.org", workshop, 2))
	must(t, err)
	if res.Outcome != kiosk.SaleCertain || len(res.PastAllocation) != 0 || res.Total != registrations.NewMoney(8000, "EUR") {
		t.Fatalf("sale: %+v", res)
	}
	if res.Badge == nil || res.PrintError != nil || !strings.HasPrefix(string(res.Badge.PDF), "%PDF") {
		t.Fatalf("badge: %+v %v", res.Badge, res.PrintError)
	}
	a := res.Attendee
	if a.Name != "Chloé Martin" || a.Company != "Initech" || !a.CheckedIn() || a.Prints != 1 || len(a.SeatTypes) != 1 || a.SeatTypes[0].Name != "Go workshop" {
		t.Fatalf("attendee: %+v", a)
	}
	if got := f.find("chlo"); len(got) != 1 {
		t.Fatalf("walk-up attendee not findable: %q", got)
	}
	if left := inventory(t, f.k, workshop); left != 0 {
		t.Fatalf("allocation left %d, want 0", left)
	}
	// The hub applies the uploaded sale: the allocation is not counted twice.
	must(t, f.hub.RecordOnSiteSale(f.ctx, conf, kioskID, res.OrderID, registrations.Seats{{SeatType: workshop, Quantity: 2}}))
	must(t, f.k.Refresh(f.ctx))
	if left := inventory(t, f.k, workshop); left != 0 {
		t.Fatalf("after the hub's confirmation: allocation left %d, want 0", left)
	}
	f.reopen()
	if left := inventory(t, f.k, workshop); left != 0 {
		t.Fatalf("after restart: allocation left %d, want 0", left)
	}
}

func TestWalkUpSalePastAllocationFollowsTheSeatTypePolicy(t *testing.T) {
	f := setup(t)
	before := f.ownSeq()
	_, err := f.k.WalkUpSale(f.ctx, walkUp("Dan", "dan@example.org", workshop, 3))
	if !errors.Is(err, registrations.ErrAllocationExhausted) || !strings.Contains(err.Error(), "2 left") {
		t.Fatalf("workshop past allocation: %v", err)
	}
	if f.ownSeq() != before {
		t.Fatal("a refused sale recorded events")
	}
	res, err := f.k.WalkUpSale(f.ctx, walkUp("Eve", "", reception, 2))
	must(t, err)
	if res.Outcome != kiosk.SalePendingHub || res.PastAllocation.Get(reception) != 1 {
		t.Fatalf("reception past allocation: %+v", res)
	}
	if res.Attendee.Name != "Eve" || !res.Attendee.CheckedIn() {
		t.Fatalf("attendee without email: %+v", res.Attendee)
	}
}

func TestWalkUpSaleRefusesBadInputAndChangesNothing(t *testing.T) {
	f := setup(t)
	before := f.ownSeq()
	bad := []kiosk.WalkUpRequest{
		walkUp("Fay", "fay@example.org", fullPass, 1),   // not sold at kiosks
		walkUp("Fay", "fay@example.org", uuid.New(), 1), // unknown seat type
		walkUp("", "fay@example.org", workshop, 1),      // no name
		walkUp("Fay", "not-an-email", workshop, 1),      // bad email
		walkUp("Fay", "fay@example.org", workshop, 0),   // no seats
		{Seats: registrations.Seats{{SeatType: workshop, Quantity: 1}}, Name: "Fay", Payment: "iou", Staff: "Rita"},
		{Seats: registrations.Seats{{SeatType: workshop, Quantity: 1}}, Name: "Fay", Payment: registrations.PaymentCash},
		{ConferenceID: otherConf, Seats: registrations.Seats{{SeatType: workshop, Quantity: 1}}, Name: "Fay", Payment: registrations.PaymentCash, Staff: "Rita"},
	}
	for i, req := range bad {
		if _, err := f.k.WalkUpSale(f.ctx, req); err == nil || registrations.ErrorCode(err) == "" {
			t.Errorf("case %d: err %v, want a domain error", i, err)
		}
	}
	if f.ownSeq() != before || inventory(t, f.k, workshop) != 2 {
		t.Fatal("refused sales changed something")
	}
}

func TestOwnEventsCarryTheEnvelopeAndStatusCountsUploads(t *testing.T) {
	f := setup(t)
	must(t, f.k.SetHubSeen(f.ctx, 42))
	_, err := f.k.CheckIn(f.ctx, seat(f.zoeO, 0), "Rita")
	must(t, err)
	_, err = f.k.WalkUpSale(f.ctx, walkUp("Gil", "gil@example.org", workshop, 1))
	must(t, err)
	own, err := f.k.OwnEventsAfter(f.ctx, 0, 100)
	must(t, err)
	if len(own) < 4 {
		t.Fatalf("%d own events", len(own))
	}
	for i, e := range own {
		if e.Origin != kioskID || e.OriginSeq != int64(i+1) || e.Seen != 42 || e.HLC == 0 || e.EventID == uuid.Nil {
			t.Fatalf("own event %d envelope: origin %q seq %d seen %d hlc %d", i, e.Origin, e.OriginSeq, e.Seen, e.HLC)
		}
	}
	st, err := f.k.Status(f.ctx)
	must(t, err)
	if st.PendingUpload != int64(len(own)) || !st.CanRecord || st.Online || st.KioskID != kioskID {
		t.Fatalf("status %+v", st)
	}
	must(t, f.k.SetAcked(f.ctx, 2))
	f.k.SetOnline(true)
	if err := f.k.SetAcked(f.ctx, int64(len(own))+1); err == nil {
		t.Fatal("acknowledging events never recorded was accepted")
	}
	f.reopen()
	st, err = f.k.Status(f.ctx)
	must(t, err)
	if st.PendingUpload != int64(len(own))-2 || st.HubSeen != 42 || st.Allocation[conf] == nil {
		t.Fatalf("status after restart %+v", st)
	}
	after, err := f.k.OwnEventsAfter(f.ctx, 2, 100)
	must(t, err)
	if len(after) != len(own)-2 || after[0].OriginSeq != 3 {
		t.Fatalf("events to upload after ack 2: %d", len(after))
	}
}

func TestRestartRebuildsTheSameReadModels(t *testing.T) {
	f := setup(t)
	_, err := f.k.CheckIn(f.ctx, seat(f.annO, 0), "Rita")
	must(t, err)
	_, err = f.k.WalkUpSale(f.ctx, walkUp("Hugo", "hugo@example.org", reception, 1))
	must(t, err)
	statsBefore, names := f.k.Model().Stats(), f.find("h")
	f.reopen()
	if got := f.k.Model().Stats(); !reflect.DeepEqual(got, statsBefore) {
		t.Fatalf("stats after restart %+v, before %+v", got, statsBefore)
	}
	if got := f.find("h"); strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("search after restart %q, before %q", got, names)
	}
}

func TestAStoreThatCannotWriteMakesActionsFailAndClaimsNothing(t *testing.T) {
	f := setup(t)
	must(t, f.k.Store().Close()) // stands in for a disk that refuses writes
	_, err := f.k.CheckIn(f.ctx, seat(f.zoeO, 0), "Rita")
	if !errors.Is(err, kiosk.ErrCannotRecord) {
		t.Fatalf("check-in on a dead store: %v", err)
	}
	if _, err := f.k.WalkUpSale(f.ctx, walkUp("Ivo", "ivo@example.org", workshop, 1)); !errors.Is(err, kiosk.ErrCannotRecord) {
		t.Fatalf("sale on a dead store: %v", err)
	}
	if a, _ := f.k.Model().Attendee(seat(f.zoeO, 0)); a.CheckedIn() {
		t.Fatal("an unrecorded check-in shows as done")
	}
	if inventory(t, f.k, workshop) != 2 || len(f.find("ivo")) != 0 {
		t.Fatal("an unrecorded sale shows as done")
	}
}

func TestNothingIsRecordedBeforePairing(t *testing.T) {
	ctx := context.Background()
	k, err := kiosk.Open(ctx, kiosk.Config{Path: filepath.Join(t.TempDir(), "k.db")})
	must(t, err)
	defer k.Close()
	if _, err := k.CheckIn(ctx, onsite.Seat{OrderID: ids.New()}, "Rita"); !errors.Is(err, kiosk.ErrNotPaired) {
		t.Fatalf("unpaired check-in: %v", err)
	}
	if err := k.SaveIdentity(ctx, kiosk.Identity{KioskID: "k9", Conferences: []uuid.UUID{conf}}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.CheckIn(ctx, onsite.Seat{OrderID: ids.New()}, "Rita"); !errors.Is(err, kiosk.ErrRestartRequired) {
		t.Fatalf("check-in after pairing without restart: %v", err)
	}
}

func TestIdentityAndPINSurviveRestart(t *testing.T) {
	f := setup(t)
	must(t, f.k.CheckPIN(kiosktest.PIN))
	if err := f.k.CheckPIN("0000"); !errors.Is(err, kiosk.ErrWrongPIN) {
		t.Fatalf("wrong PIN: %v", err)
	}
	if err := f.k.SetPIN(f.ctx, "12ab"); err == nil {
		t.Fatal("non-digit PIN accepted")
	}
	must(t, f.k.SetPIN(f.ctx, "97531"))
	f.reopen()
	id, ok := f.k.Identity()
	if !ok || id.KioskID != kioskID || id.Certificate == nil || !id.HubPublicKey.Equal(f.keys.Hub.Public()) || len(id.Conferences) != 1 {
		t.Fatalf("identity after restart: %+v", id)
	}
	must(t, f.k.CheckPIN("97531"))
	// Another kiosk id is refused once this one recorded facts.
	_, err := f.k.CheckIn(f.ctx, seat(f.zoeO, 0), "Rita")
	must(t, err)
	id.KioskID = "k2"
	if err := f.k.SaveIdentity(f.ctx, id); err == nil {
		t.Fatal("kiosk id changed after recording")
	}
}

func TestExportLogWritesEveryEventAsAJSONLine(t *testing.T) {
	f := setup(t)
	var b strings.Builder
	n, err := kiosk.ExportLog(f.ctx, f.k.Store(), &b)
	must(t, err)
	head, _ := f.k.Store().Head(f.ctx)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if int64(n) != head || len(lines) != n || !strings.Contains(lines[0], `"origin":"hub"`) {
		t.Fatalf("%d lines, head %d: %s", n, head, lines[0])
	}
}

var _ = eventsourcing.ErrNotFound
var _ eventstore.Store

func TestAdmitChecksInAndPrintsInOneGoAndOnlyOnce(t *testing.T) {
	f := setup(t)
	before := f.ownSeq()
	a, badge, err := f.k.Admit(f.ctx, seat(f.zoeO, 0), "Rita")
	must(t, err)
	if !a.CheckedIn() || a.Prints != 1 || badge == nil || !strings.HasPrefix(string(badge.PDF), "%PDF") || f.ownSeq() != before+2 {
		t.Fatalf("admit: %+v badge %v, %d events", a, badge != nil, f.ownSeq()-before)
	}
	if _, _, err := f.k.Admit(f.ctx, seat(f.zoeO, 0), "Rita"); !errors.Is(err, onsite.ErrAlreadyCheckedIn) {
		t.Fatalf("second admit: %v", err)
	}
	// A badge printed ahead of arrival is not printed again on admission.
	_, err = f.k.PrintWithoutCheckIn(f.ctx, seat(f.annO, 1), "Rita")
	must(t, err)
	a, badge, err = f.k.Admit(f.ctx, seat(f.annO, 1), "Rita")
	must(t, err)
	if badge != nil || a.Prints != 1 || !a.CheckedIn() {
		t.Fatalf("admit with a badge printed before: prints %d, badge %v", a.Prints, badge != nil)
	}
}
