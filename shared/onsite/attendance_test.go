package onsite

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/registrations"
)

var (
	t0         = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	conference = uuid.MustParse("00000000-0000-0000-0000-00000000c0f1")
	orderA     = uuid.MustParse("00000000-0000-0000-0000-0000000000a1")
	seatA      = Seat{OrderID: orderA, Position: 1}
)

func given(events ...eventsourcing.Event) *Attendance {
	a := NewAttendance()
	eventsourcing.Replay(a, AttendanceStreamID(seatA), 0, events...)
	return a
}

func thenEvents(t *testing.T, a eventsourcing.Aggregate, want ...eventsourcing.Event) {
	t.Helper()
	if got := eventsourcing.Changes(a); !reflect.DeepEqual(got, want) {
		t.Fatalf("recorded:\n got  %+v\n want %+v", got, want)
	}
}

func thenRefused(t *testing.T, a eventsourcing.Aggregate, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
	if n := len(eventsourcing.Changes(a)); n != 0 {
		t.Fatalf("refused command recorded %d events", n)
	}
}

func checkedIn(kiosk, staff string, at time.Time) AttendeeCheckedIn {
	return AttendeeCheckedIn{ConferenceID: conference, OrderID: orderA, Position: 1, KioskID: kiosk, Staff: staff, At: at}
}

func TestFirstCheckInIsRecorded(t *testing.T) {
	a := NewAttendance()
	if err := a.CheckIn(CheckIn{ConferenceID: conference, Seat: seatA, KioskID: "k1", Staff: " Ana "}, t0); err != nil {
		t.Fatal(err)
	}
	thenEvents(t, a, checkedIn("k1", "Ana", t0))
	if a.ID() != "attendance-"+orderA.String()+"-1" || !a.CheckedIn() || a.Duplicate() {
		t.Fatalf("id %q checked in %v duplicate %v", a.ID(), a.CheckedIn(), a.Duplicate())
	}
}

func TestCheckInOfAnAttendeeAlreadyCheckedInAnywhereIsRefusedWithWhoWhereWhen(t *testing.T) {
	for _, kiosk := range []string{"k1", "k2"} { // here, or elsewhere relayed by the hub
		a := given(checkedIn(kiosk, "Bo", t0))
		err := a.CheckIn(CheckIn{ConferenceID: conference, Seat: seatA, KioskID: "k1", Staff: "Ana"}, t0.Add(time.Hour))
		thenRefused(t, a, err, ErrAlreadyCheckedIn)
		var dup *AlreadyCheckedInError
		if !errors.As(err, &dup) || dup.Previous[0].KioskID != kiosk || dup.Previous[0].Staff != "Bo" || !dup.Previous[0].At.Equal(t0) {
			t.Fatalf("warning %+v does not say who, where and when", dup)
		}
		if registrations.ErrorCode(err) != registrations.CodeConflict {
			t.Fatalf("code %q", registrations.ErrorCode(err))
		}
	}
}

func TestConcurrentOfflineCheckInsAreBothKeptAndFlaggedDuplicate(t *testing.T) {
	a := given(checkedIn("k1", "Ana", t0), checkedIn("k2", "Bo", t0.Add(time.Minute)))
	if !a.Duplicate() || len(a.CheckIns()) != 2 {
		t.Fatalf("duplicate %v, %d check-ins", a.Duplicate(), len(a.CheckIns()))
	}
}

func TestCheckInNeedsStaffAndIds(t *testing.T) {
	cases := []CheckIn{
		{ConferenceID: conference, Seat: seatA, KioskID: "k1"},
		{ConferenceID: conference, Seat: seatA, Staff: "Ana"},
		{Seat: seatA, KioskID: "k1", Staff: "Ana"},
		{ConferenceID: conference, Seat: Seat{OrderID: orderA, Position: -1}, KioskID: "k1", Staff: "Ana"},
	}
	for _, c := range cases {
		a := NewAttendance()
		err := a.CheckIn(c, t0)
		if registrations.ErrorCode(err) != registrations.CodeInvalid || len(eventsourcing.Changes(a)) != 0 {
			t.Fatalf("%+v: err %v", c, err)
		}
	}
}

func TestFirstPrintNeedsNoReasonAndReprintsNeedOne(t *testing.T) {
	a := NewAttendance()
	cmd := PrintBadge{ConferenceID: conference, Seat: seatA, KioskID: "k1", Staff: "Ana", Output: OutputPrinter, IssuedAt: t0}
	if err := a.PrintBadge(cmd, t0); err != nil {
		t.Fatal(err)
	}
	first := BadgePrinted{ConferenceID: conference, OrderID: orderA, Position: 1, KioskID: "k1", Staff: "Ana", Output: OutputPrinter, IssuedAt: t0, At: t0}
	thenEvents(t, a, first)

	a = given(first)
	thenRefused(t, a, a.PrintBadge(cmd, t0.Add(time.Minute)), ErrReasonRequired)

	cmd.Reason, cmd.IssuedAt = "lost", t0.Add(time.Minute)
	if err := a.PrintBadge(cmd, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	thenEvents(t, a, BadgePrinted{ConferenceID: conference, OrderID: orderA, Position: 1, KioskID: "k1", Staff: "Ana",
		Reprint: 1, Reason: "lost", Output: OutputPrinter, IssuedAt: t0.Add(time.Minute), At: t0.Add(time.Minute)})
	if a.Prints() != 2 || a.CheckedIn() {
		t.Fatalf("prints %d, checked in %v: printing must not check in", a.Prints(), a.CheckedIn())
	}
}

func TestAttendanceRefusesFactsOfAnotherSeat(t *testing.T) {
	a := given(checkedIn("k1", "Ana", t0))
	other := Seat{OrderID: orderA, Position: 2}
	err := a.PrintBadge(PrintBadge{ConferenceID: conference, Seat: other, KioskID: "k1", Staff: "Ana"}, t0)
	if registrations.ErrorCode(err) != registrations.CodeInvalid {
		t.Fatalf("err %v", err)
	}
}

func TestDenyScanKeepsOnlyReasonKioskAndTime(t *testing.T) {
	e, err := DenyScan(conference, "k1", DenyBadSignature, t0)
	if err != nil || e != (ScanDenied{ConferenceID: conference, KioskID: "k1", Reason: DenyBadSignature, At: t0}) {
		t.Fatalf("%+v %v", e, err)
	}
	if _, err := DenyScan(conference, "k1", "because", t0); registrations.ErrorCode(err) != registrations.CodeInvalid {
		t.Fatalf("unknown reason accepted: %v", err)
	}
}

func TestEveryEventRoundTripsAndCarriesConferenceID(t *testing.T) {
	reg := eventsourcing.NewRegistry()
	RegisterEvents(reg)
	for _, e := range []eventsourcing.Event{checkedIn("k1", "Ana", t0),
		BadgePrinted{ConferenceID: conference, OrderID: orderA, Reprint: 2, Reason: "wet", Output: OutputPDF, IssuedAt: t0, At: t0},
		BadgePrintFailed{ConferenceID: conference, OrderID: orderA, KioskID: "k1", Staff: "Ana", Reprint: 2, Error: "jam", At: t0},
		ScanDenied{ConferenceID: conference, KioskID: "k1", Reason: DenyRevoked, At: t0},
		KioskNamed{ConferenceID: conference, KioskID: "k1", Name: "Demo door", At: t0}} {
		name, schema, data, err := reg.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if !containsField(data, `"conference_id":"`+conference.String()+`"`) {
			t.Fatalf("%s data lacks conference_id: %s", name, data)
		}
		back, err := reg.Decode(name, schema, data)
		if err != nil || !reflect.DeepEqual(back, e) {
			t.Fatalf("%s round trip: %+v %v", name, back, err)
		}
	}
}

func containsField(data []byte, s string) bool {
	return strings.Contains(string(data), s)
}

func TestSeatIDsRoundTripAndTokenIDIsStable(t *testing.T) {
	got, err := ParseSeat(seatA.String())
	if err != nil || got != seatA {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", "x/1", orderA.String() + "/-1", orderA.String(), orderA.String() + "/a"} {
		if _, err := ParseSeat(bad); err == nil {
			t.Fatalf("%q parsed", bad)
		}
	}
	if seatA.TokenID() != seatA.TokenID() || seatA.TokenID() == (Seat{OrderID: orderA, Position: 2}).TokenID() {
		t.Fatal("token ids must be stable and distinct per position")
	}
}

func TestAPrintThePrinterRefusedIsMarkedOnceAndTheNextIsAReprint(t *testing.T) {
	printed := BadgePrinted{ConferenceID: conference, OrderID: orderA, Position: 1, KioskID: "k1", Staff: "Ana", Output: OutputPrinter, IssuedAt: t0, At: t0}
	fail := PrintFailure{ConferenceID: conference, Seat: seatA, KioskID: "k1", Staff: "Ana", Reprint: 0, Error: " paper out "}

	// Given a recorded print, when the printer refuses it, then the failure names that print.
	a := given(printed)
	if err := a.RecordPrintFailure(fail, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	failed := BadgePrintFailed{ConferenceID: conference, OrderID: orderA, Position: 1, KioskID: "k1", Staff: "Ana",
		Reprint: 0, Error: "paper out", At: t0.Add(time.Second)}
	thenEvents(t, a, failed)

	// The failed print still counts: another badge is a reprint with a reason.
	a = given(printed, failed)
	if a.Prints() != 1 || a.FailedPrints() != 1 {
		t.Fatalf("prints %d, failed %d; want 1 and 1", a.Prints(), a.FailedPrints())
	}
	thenRefused(t, a, a.PrintBadge(PrintBadge{ConferenceID: conference, Seat: seatA, KioskID: "k1", Staff: "Ana", Output: OutputPDF}, t0), ErrReasonRequired)

	// A print cannot fail twice, nor fail without having been recorded (here or at that kiosk).
	for name, tc := range map[string]struct {
		given []eventsourcing.Event
		cmd   PrintFailure
	}{
		"twice":         {[]eventsourcing.Event{printed, failed}, fail},
		"never printed": {nil, fail},
		"other print":   {[]eventsourcing.Event{printed}, PrintFailure{ConferenceID: conference, Seat: seatA, KioskID: "k1", Staff: "Ana", Reprint: 1}},
		"other kiosk's": {[]eventsourcing.Event{printed}, PrintFailure{ConferenceID: conference, Seat: seatA, KioskID: "k2", Staff: "Ana"}},
		"opened as PDF": {[]eventsourcing.Event{pdf(0)}, fail},
		"without staff": {[]eventsourcing.Event{printed}, PrintFailure{ConferenceID: conference, Seat: seatA, KioskID: "k1"}},
	} {
		a := given(tc.given...)
		err := a.RecordPrintFailure(tc.cmd, t0)
		if registrations.ErrorCode(err) != registrations.CodeInvalid || len(eventsourcing.Changes(a)) != 0 {
			t.Fatalf("%s: err %v, %d events recorded; want refused, none", name, err, len(eventsourcing.Changes(a)))
		}
	}
}

func pdf(reprint int) BadgePrinted {
	return BadgePrinted{ConferenceID: conference, OrderID: orderA, Position: 1, KioskID: "k1", Staff: "Ana",
		Reprint: reprint, Output: OutputPDF, IssuedAt: t0, At: t0}
}

func TestAPrintMustSayHowTheBadgeLeavesTheKiosk(t *testing.T) {
	for _, out := range []BadgeOutput{"", OutputUnrecorded, "fax"} {
		a := NewAttendance()
		err := a.PrintBadge(PrintBadge{ConferenceID: conference, Seat: seatA, KioskID: "k1", Staff: "Ana", Output: out}, t0)
		if registrations.ErrorCode(err) != registrations.CodeInvalid || len(eventsourcing.Changes(a)) != 0 {
			t.Fatalf("output %q: err %v; want refused, nothing recorded", out, err)
		}
	}
}

func TestOnlyBadgesAPrinterAcceptedCountAsPrinted(t *testing.T) {
	printer := func(reprint int) BadgePrinted {
		e := pdf(reprint)
		e.Output = OutputPrinter
		return e
	}
	old := pdf(3)
	old.Output = OutputUnrecorded
	a := given(
		printer(0), // accepted
		pdf(1),     // opened in the browser
		printer(2), BadgePrintFailed{ConferenceID: conference, OrderID: orderA, Position: 1, KioskID: "k1", Staff: "Ana", Reprint: 2, Error: "jam", At: t0},
		old, // an older kiosk did not say
	)
	if a.Printed() != 1 || a.Prints() != 4 || a.FailedPrints() != 1 {
		t.Fatalf("printed %d, issued %d, refused %d; want 1, 4, 1", a.Printed(), a.Prints(), a.FailedPrints())
	}
}

func TestABadgePrintedOfSchema1ReadsAsOutputUnrecorded(t *testing.T) {
	reg := eventsourcing.NewRegistry()
	RegisterEvents(reg)
	v1 := `{"conference_id":"` + conference.String() + `","order_id":"` + orderA.String() + `","position":1,"kiosk_id":"k1",` +
		`"staff":"Ana","reprint":1,"reason":"lost","issued_at":"2026-05-04T09:00:00Z","at":"2026-05-04T09:00:00Z"}`
	ev, err := reg.Decode(BadgePrinted{}.EventType(), 1, []byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	want := BadgePrinted{ConferenceID: conference, OrderID: orderA, Position: 1, KioskID: "k1", Staff: "Ana", Reprint: 1,
		Reason: "lost", Output: OutputUnrecorded, IssuedAt: t0, At: t0}
	if !reflect.DeepEqual(ev, want) {
		t.Fatalf("schema 1 read as %+v, want %+v", ev, want)
	}
	if name, schema, _, _ := reg.Encode(want); schema != 2 || Schema(name) != 2 {
		t.Fatalf("BadgePrinted written at schema %d, want 2", schema)
	}
	if _, err := reg.Decode(BadgePrinted{}.EventType(), 1, []byte(`[1]`)); err == nil {
		t.Fatal("a schema 1 payload that is not an object was read")
	}
}

func TestKioskNameIsTrimmedAndBounded(t *testing.T) {
	e, err := NameKiosk(conference, "k1", "  Demo door ", t0)
	if err != nil || e != (KioskNamed{ConferenceID: conference, KioskID: "k1", Name: "Demo door", At: t0}) {
		t.Fatalf("%+v %v", e, err)
	}
	for _, bad := range []struct{ kiosk, name string }{{"k1", " "}, {"", "Door"}, {"k1", strings.Repeat("x", 101)}, {"k1", "\xff"}} {
		if _, err := NameKiosk(conference, bad.kiosk, bad.name, t0); registrations.ErrorCode(err) != registrations.CodeInvalid {
			t.Fatalf("%+v accepted: %v", bad, err)
		}
	}
}
