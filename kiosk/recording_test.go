package kiosk_test

import (
	"errors"
	"fmt"
	"testing"

	"conference/badges"
	"conference/kiosk"
	"conference/kiosk/kiosktest"
)

// withPrinter reopens the fixture's kiosk with a print queue.
func withPrinter(f *fixture) *kiosktest.Printer {
	p := &kiosktest.Printer{}
	f.printer = p
	f.reopen()
	return p
}

// fillDisk makes the store refuse appends like a full disk; the returned
// func frees the space.
func fillDisk(t *testing.T, k *kiosk.Kiosk) (free func()) {
	t.Helper()
	release, err := kiosktest.FillDisk(k.Store().DB().DB)
	must(t, err)
	return func() { t.Helper(); must(t, release()) }
}

// ownTypes lists the kiosk's own events by type, in order.
func (f *fixture) ownTypes() []string {
	f.t.Helper()
	evs, err := f.k.OwnEventsAfter(f.ctx, 0, 10000)
	must(f.t, err)
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func TestNoBadgeIsPrintedForAnActionTheStoreRefused(t *testing.T) {
	f := setup(t)
	q := withPrinter(f)
	fillDisk(t, f.k)

	_, badge, err := f.k.Admit(f.ctx, seat(f.zoeO, 0), "Rita")
	if !errors.Is(err, kiosk.ErrCannotRecord) || badge != nil {
		t.Fatalf("admit on a full disk: badge %v, err %v; want ErrCannotRecord and no badge", badge != nil, err)
	}
	if _, err := f.k.PrintWithoutCheckIn(f.ctx, seat(f.annO, 1), "Rita"); !errors.Is(err, kiosk.ErrCannotRecord) {
		t.Fatalf("print on a full disk: %v", err)
	}
	if _, err := f.k.WalkUpSale(f.ctx, walkUp("Ivo", "ivo@example.org", workshop, 1)); !errors.Is(err, kiosk.ErrCannotRecord) {
		t.Fatalf("sale with a badge on a full disk: %v", err)
	}
	if n := q.Jobs(); n != 0 {
		t.Fatalf("%d badges printed for actions that were not stored", n)
	}
	if a, _ := f.k.Model().Attendee(seat(f.zoeO, 0)); a.CheckedIn() || a.Prints != 0 {
		t.Fatalf("an unrecorded admit shows as done: %+v", a)
	}
}

func TestABadgeThePrinterRefusesIsRecordedAsFailedAndReprintedForThePrinter(t *testing.T) {
	f := setup(t)
	q := withPrinter(f)
	q.Break()

	// When the printer refuses the badge of an admission, the check-in stands,
	// the print is marked failed in the log, and the caller is told.
	a, badge, err := f.k.Admit(f.ctx, seat(f.zoeO, 0), "Rita")
	must(t, err)
	if badge == nil || badge.Printed || !errors.Is(badge.PrintError, badges.ErrPrintFailed) || !a.CheckedIn() {
		t.Fatalf("admit with a refusing printer: badge %+v, checked in %v", badge, a.CheckedIn())
	}
	want := []string{"onsite.AttendeeCheckedIn", "onsite.BadgePrinted", "onsite.BadgePrintFailed"}
	if got := f.ownTypes(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}
	if a.Prints != 1 || len(a.PrintLog) != 1 || !a.PrintLog[0].Failed || a.PrintLog[0].Error == "" {
		t.Fatalf("print log after a refused print: prints %d, %+v", a.Prints, a.PrintLog)
	}

	// Then the reprint the screen offers goes out, with its reason.
	q.Fix()
	res, err := f.k.Reprint(f.ctx, seat(f.zoeO, 0), "Rita", "Printer jam")
	must(t, err)
	if !res.Printed || res.PrintError != nil || res.Reprint != 1 || q.Jobs() != 1 {
		t.Fatalf("reprint: printed %v, err %v, reprint %d, jobs %d", res.Printed, res.PrintError, res.Reprint, q.Jobs())
	}
	if log := res.Attendee.PrintLog; len(log) != 2 || log[1].Failed || log[1].Reason != "Printer jam" {
		t.Fatalf("print log after the reprint: %+v", log)
	}
	// The same survives a restart: it is the log, not memory.
	f.reopen()
	if a, _ := f.k.Model().Attendee(seat(f.zoeO, 0)); len(a.PrintLog) != 2 || !a.PrintLog[0].Failed || a.PrintLog[1].Failed {
		t.Fatalf("print log after restart: %+v", a.PrintLog)
	}
}

func TestAKioskThatCouldNotRecordRecoversOnceTheDiskHasRoom(t *testing.T) {
	f := setup(t)
	free := fillDisk(t, f.k)
	if _, err := f.k.CheckIn(f.ctx, seat(f.zoeO, 0), "Rita"); !errors.Is(err, kiosk.ErrCannotRecord) {
		t.Fatalf("check-in on a full disk: %v", err)
	}
	before := f.ownSeq()

	// While the disk is full, the status probe keeps saying so.
	st, err := f.k.Status(f.ctx)
	must(t, err)
	if st.CanRecord || st.LastError == "" {
		t.Fatalf("status on a full disk: can record %v, error %q", st.CanRecord, st.LastError)
	}
	if err := f.k.Recheck(f.ctx); !errors.Is(err, kiosk.ErrCannotRecord) {
		t.Fatalf("recheck on a full disk: %v", err)
	}

	// Once there is room, the next status read finds out, without any action.
	free()
	st, err = f.k.Status(f.ctx)
	must(t, err)
	if !st.CanRecord || st.LastError != "" {
		t.Fatalf("status after space was freed: can record %v, error %q", st.CanRecord, st.LastError)
	}
	// The probe recorded nothing and left no trace in the log.
	if f.ownSeq() != before {
		t.Fatalf("the write probe recorded %d events", f.ownSeq()-before)
	}
	head, err := f.k.Store().Head(f.ctx)
	must(t, err)
	var rows int64
	must(t, f.k.Store().DB().QueryRow(`SELECT COUNT(*) FROM events WHERE position > ?`, head).Scan(&rows))
	if rows != 0 || f.k.Model().Position() != head {
		t.Fatalf("the write probe left %d rows past the head %d (model at %d)", rows, head, f.k.Model().Position())
	}
	// And the action that failed now records.
	if _, err := f.k.CheckIn(f.ctx, seat(f.zoeO, 0), "Rita"); err != nil {
		t.Fatalf("check-in after recovery: %v", err)
	}
}

func TestAPrintFailureTheStoreRefusesStillSaysTheBadgeDidNotPrint(t *testing.T) {
	f := setup(t)
	q := withPrinter(f)
	q.Break()
	_, err := f.k.Store().DB().Exec(`CREATE TRIGGER no_room_for_failures BEFORE INSERT ON events WHEN NEW.type = 'onsite.BadgePrintFailed'
		BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`)
	must(t, err)

	res, err := f.k.PrintWithoutCheckIn(f.ctx, seat(f.annO, 1), "Rita")
	must(t, err)
	if res.Printed || !errors.Is(res.PrintError, badges.ErrPrintFailed) {
		t.Fatalf("print on a refusing printer: printed %v, err %v; the screen must say it did not print", res.Printed, res.PrintError)
	}
	if got := f.ownTypes(); fmt.Sprint(got) != "[onsite.BadgePrinted]" {
		t.Fatalf("recorded %v", got)
	}
	if a, _ := f.k.Model().Attendee(seat(f.annO, 1)); a.CheckedIn() {
		t.Fatal("printing checked the attendee in")
	}
}
