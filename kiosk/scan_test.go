package kiosk_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"conference/kiosk"
	"conference/shared/eventstore"
	"conference/shared/hlc"
	"conference/shared/ids"
	"conference/shared/onsite"
)

func TestOneScanChecksTheAttendeeInAndTheNextScanIsAReentry(t *testing.T) {
	f := setup(t)
	must(t, f.hub.NameKiosk(f.ctx, conf, kioskID, "Demo door"))
	must(t, f.k.Refresh(f.ctx))
	badge := f.hubToken(seat(f.zoeO, 0), conf, f.clock.Now().Add(-time.Hour))

	// Given a genuine badge of someone not in, when it is scanned, then they are in.
	res, err := f.k.ScanIn(f.ctx, badge+"\r\n", "Rita")
	must(t, err)
	if !res.OK || !res.Admitted || res.Reentry() || !res.Attendee.CheckedIn() || res.Attendee.Name != zoe.Name {
		t.Fatalf("first scan: %+v", res)
	}
	// When it is scanned again, then it is a re-entry "just now, here", and nothing more is recorded.
	f.clock.Add(3 * time.Second)
	res, err = f.k.ScanIn(f.ctx, badge, "Rita")
	must(t, err)
	if !res.OK || res.Admitted || !res.Reentry() {
		t.Fatalf("second scan: %+v", res)
	}
	if p := res.Previous[0]; !p.Here || p.KioskName != "Demo door" || p.Staff != "Rita" || f.clock.Now().Sub(p.At) != 3*time.Second {
		t.Fatalf("second scan names %+v, want here at Demo door by Rita 3s ago", p)
	}
	if n := f.count("onsite.AttendeeCheckedIn"); n != 1 {
		t.Fatalf("%d check-ins recorded, want 1", n)
	}
	// Verify only never checks in, and says re-entry, not plain valid.
	res, err = f.k.VerifyScan(f.ctx, badge)
	must(t, err)
	if !res.OK || res.Admitted || !res.Reentry() {
		t.Fatalf("verify only: %+v", res)
	}
}

func TestAScannerSendingTheCodeTwiceAtOnceChecksInOnce(t *testing.T) {
	f := setup(t)
	badge := f.hubToken(seat(f.annO, 1), conf, f.clock.Now().Add(-time.Hour))
	const scans = 6
	results := make([]kiosk.ScanResult, scans)
	errs := make([]error, scans)
	var wg sync.WaitGroup
	for i := range scans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = f.k.ScanIn(f.ctx, badge, "Rita")
		}()
	}
	wg.Wait()
	admitted, reentries := 0, 0
	for i, r := range results {
		must(t, errs[i])
		switch {
		case r.Admitted:
			admitted++
		case r.Reentry() && r.Previous[0].Here && r.Previous[0].KioskName == kiosk.ThisKioskName:
			reentries++
		default:
			t.Errorf("scan %d: %+v", i, r)
		}
	}
	if admitted != 1 || reentries != scans-1 || f.count("onsite.AttendeeCheckedIn") != 1 {
		t.Fatalf("%d admitted, %d re-entries, %d check-ins recorded; want 1, %d, 1", admitted, reentries,
			f.count("onsite.AttendeeCheckedIn"), scans-1)
	}
}

func TestARefusedScanSaysWhyAndChecksNobodyIn(t *testing.T) {
	f := setup(t)
	good := f.hubToken(seat(f.zoeO, 0), conf, f.clock.Now().Add(-time.Hour))
	altered := []byte(good)
	altered[40] = map[bool]byte{true: 'B', false: 'A'}[altered[40] == 'A']
	res, err := f.k.ScanIn(f.ctx, string(altered), "Rita")
	must(t, err)
	if res.OK || res.Admitted || res.Reason == "" || res.Message == "" || res.Detail == "" {
		t.Fatalf("altered badge: %+v; want refused with reason, message and the verifier's detail", res)
	}
	if f.count("onsite.AttendeeCheckedIn") != 0 || f.count("onsite.ScanDenied") != 1 {
		t.Fatal("a refused scan checked someone in or was not recorded as denied")
	}
}

func TestKiosksAreNamedAsTheHubRecordedThemNeverByID(t *testing.T) {
	f := setup(t)
	if name, ok := f.k.Name(); ok || name != "" || f.k.KioskName(kioskID) != kiosk.ThisKioskName || f.k.KioskName("k2") != kiosk.AnotherKioskName {
		t.Fatalf("before the names arrive: %q %v, %q, %q", name, ok, f.k.KioskName(kioskID), f.k.KioskName("k2"))
	}
	// A check-in at another door arrives before its name does; the name names it afterwards.
	must(t, f.hub.Append(f.ctx, onsite.AttendanceStreamID(seat(f.annO, 1)), "onsite.Attendance",
		onsite.AttendeeCheckedIn{ConferenceID: conf, OrderID: f.annO.ID, Position: 1, KioskID: "k2", Staff: "Sam", At: f.clock.Now()}))
	must(t, f.hub.NameKiosk(f.ctx, conf, kioskID, "Demo door"))
	must(t, f.hub.NameKiosk(f.ctx, conf, "k2", "Side door"))
	must(t, f.k.Refresh(f.ctx))
	if name, ok := f.k.Name(); !ok || name != "Demo door" || f.k.KioskName("k2") != "Side door" {
		t.Fatalf("names: %q %v, %q", name, ok, f.k.KioskName("k2"))
	}
	// A name uploaded by a kiosk (relayed by the hub with its origin) names nobody.
	data, _ := json.Marshal(onsite.KioskNamed{ConferenceID: conf, KioskID: kioskID, Name: "Hijacked", At: f.clock.Now()})
	_, err := f.k.Store().Append(f.ctx, eventstore.Stream{ID: onsite.KioskStreamID(kioskID), Type: onsite.KioskStreamType}, eventstore.AnyVersion,
		[]eventstore.Event{{EventID: ids.New(), Type: "onsite.KioskNamed", Schema: 1, Data: data, Origin: "k2", OriginSeq: 1, HLC: hlc.New(1, 0)}})
	must(t, err)
	must(t, f.k.Refresh(f.ctx))
	if name, _ := f.k.Name(); name != "Demo door" {
		t.Fatalf("a kiosk renamed this one %q", name)
	}
	_, err = f.k.CheckIn(f.ctx, seat(f.annO, 1), "Rita")
	dup, ok := err.(*kiosk.DuplicateCheckInError)
	if !ok || dup.Previous[0].KioskName != "Side door" || dup.Previous[0].Here {
		t.Fatalf("duplicate warning %v", err)
	}
}

func TestTimesAreInTheConferencesTimeZone(t *testing.T) {
	f := setup(t)
	if f.k.Location() != time.UTC {
		t.Fatalf("a conference without a zone shows %v, want UTC", f.k.Location())
	}
	must(t, f.hub.ConferenceIn(f.ctx, conf, "GopherCon Lisboa", "America/Sao_Paulo"))
	must(t, f.k.Refresh(f.ctx))
	if got := f.k.Location().String(); got != "America/Sao_Paulo" {
		t.Fatalf("location %s", got)
	}
}

func TestABadgeOpenedAsAPDFIsNotCountedAsPrinted(t *testing.T) {
	f := setup(t) // no printer: badges open in the browser
	res, err := f.k.PrintBadge(f.ctx, seat(f.zoeO, 0), "Rita")
	must(t, err)
	if res.Output != onsite.OutputPDF || res.Printed || len(res.PDF) == 0 {
		t.Fatalf("print without a printer: output %q, printed %v", res.Output, res.Printed)
	}
	if a := res.Attendee; a.Prints != 1 || a.Printed != 0 || a.PDFs() != 1 || a.PrintLog[0].Output != onsite.OutputPDF {
		t.Fatalf("attendee after a PDF: issued %d, printed %d, pdfs %d, log %+v", a.Prints, a.Printed, a.PDFs(), a.PrintLog)
	}
	st := f.k.Model().Stats()
	if st.BadgesPrinted != 0 || st.BadgePDFs != 1 {
		t.Fatalf("stats %+v", st)
	}

	// With a printer: accepted counts, refused does not.
	q := withPrinter(f)
	_, badge, err := f.k.Admit(f.ctx, seat(f.annO, 0), "Rita")
	must(t, err)
	if badge.Output != onsite.OutputPrinter || !badge.Printed {
		t.Fatalf("admit with a printer: %+v", badge)
	}
	q.Break()
	res, err = f.k.PrintBadge(f.ctx, seat(f.annO, 1), "Rita")
	must(t, err)
	if res.PrintError == nil || res.Attendee.Printed != 0 {
		t.Fatalf("refused print: %+v", res)
	}
	if st := f.k.Model().Stats(); st.BadgesPrinted != 1 || st.BadgePDFs != 1 {
		t.Fatalf("stats after one accepted and one refused print: %+v", st)
	}
	f.reopen() // the log, not memory
	if st := f.k.Model().Stats(); st.BadgesPrinted != 1 || st.BadgePDFs != 1 {
		t.Fatalf("stats after restart: %+v", st)
	}
}

// count is how many of the kiosk's own events have this type.
func (f *fixture) count(typ string) int {
	n := 0
	for _, got := range f.ownTypes() {
		if got == typ {
			n++
		}
	}
	return n
}

func TestTheSearchFieldRefusesAShortBarcodeAndRecordsIt(t *testing.T) {
	f := setup(t)
	for _, c := range []struct {
		query   string
		scanned bool
	}{{"4006381333931\r", false}, {"HELLO", true}} {
		res, err := f.k.FindAtDoor(f.ctx, c.query, "Rita", c.scanned)
		must(t, err)
		if res.Scan == nil || res.Scan.OK || res.Scan.Reason != onsite.DenyNotAToken || len(res.Attendees) != 0 {
			t.Fatalf("%q (scanned %v): %+v", c.query, c.scanned, res)
		}
	}
	if n := f.count("onsite.ScanDenied"); n != 2 {
		t.Fatalf("%d denied scans recorded, want 2", n)
	}
	// A confirmation's access code scanned at the door finds the order; typed text is a search.
	if res, err := f.k.FindAtDoor(f.ctx, f.annO.AccessCode, "Rita", true); err != nil || res.Scan != nil || len(res.Attendees) != 2 {
		t.Fatalf("scanned access code: %+v %v", res, err)
	}
	for _, scanned := range []bool{false, true} { // staff type fast too
		if res, err := f.k.FindAtDoor(f.ctx, "bo berg", "Rita", scanned); err != nil || res.Scan != nil || len(res.Attendees) != 1 {
			t.Fatalf("name (scanned %v): %+v %v", scanned, res, err)
		}
	}
	if res, err := f.k.FindAtDoor(f.ctx, "nobody", "Rita", false); err != nil || res.Scan != nil || len(res.Attendees) != 0 {
		t.Fatalf("typed search that finds nobody: %+v %v", res, err)
	}
	if res, err := f.k.FindAtDoor(f.ctx, "1234", "Rita", false); err != nil || res.Scan != nil {
		t.Fatalf("four typed digits are a search: %+v %v", res, err)
	}
	// A badge scanned into the search field checks its attendee in.
	res, err := f.k.FindAtDoor(f.ctx, f.hubToken(seat(f.zoeO, 0), conf, f.clock.Now().Add(-time.Hour))+"\r", "Rita", true)
	if err != nil || res.Scan == nil || !res.Scan.Admitted {
		t.Fatalf("badge in the search field: %+v %v", res, err)
	}
	if n := f.count("onsite.ScanDenied"); n != 2 || f.count("onsite.AttendeeCheckedIn") != 1 {
		t.Fatalf("after searches: %d denied scans, %d check-ins", n, f.count("onsite.AttendeeCheckedIn"))
	}
}
