package readmodel

import (
	"time"

	"conference/shared/eventsourcing"
	"conference/shared/onsite"
)

// PrintRecord is one badge print of an attendee, as the attendee page lists
// it: who printed it where and when, why (reprints), whether the attendee
// was checked in at that moment, how it left the kiosk, and whether the
// printer refused it.
type PrintRecord struct {
	Reprint   int // 0 for the first print
	KioskID   string
	Staff     string
	Reason    string
	At        time.Time
	CheckedIn bool // checked in, as far as this kiosk knew when applying it
	Output    onsite.BadgeOutput
	Failed    bool // the printer refused it (BadgePrintFailed)
	Error     string
	// IssuedAt is the issue time signed into the badge's token: drawing
	// the badge again with it gives the same badge.
	IssuedAt time.Time
}

// Printed reports a badge a printer accepted.
func (r PrintRecord) Printed() bool { return r.Output == onsite.OutputPrinter && !r.Failed }

// printLog keeps one seat's prints in the order this kiosk learned them.
type printLog []PrintRecord

func (l printLog) add(e onsite.BadgePrinted, checkedIn bool) printLog {
	return append(l, PrintRecord{Reprint: e.Reprint, KioskID: e.KioskID, Staff: e.Staff, Reason: e.Reason,
		At: e.At, CheckedIn: checkedIn, Output: e.Output, IssuedAt: e.IssuedAt})
}

// fail marks the print a kiosk numbered e.Reprint as refused and returns
// it as it was before. A kiosk's own prints carry increasing numbers, so
// kiosk and number name one print even when prints of several offline
// kiosks share a number.
func (l printLog) fail(e onsite.BadgePrintFailed) (PrintRecord, bool) {
	for i := range l {
		if l[i].KioskID == e.KioskID && l[i].Reprint == e.Reprint {
			was := l[i]
			l[i].Failed, l[i].Error = true, e.Error
			return was, true
		}
	}
	return PrintRecord{}, false
}

// applyPrint projects a print or a print failure into the seat's log; at is
// the seat's attendance before the event.
func (m *Model) applyPrint(seat onsite.Seat, at *onsite.Attendance, ev eventsourcing.Event) {
	switch e := ev.(type) {
	case onsite.BadgePrinted:
		m.prints[seat] = m.prints[seat].add(e, at.CheckedIn())
		switch e.Output {
		case onsite.OutputPrinter:
			m.printed++
		case onsite.OutputPDF:
			m.pdfs++
		}
	case onsite.BadgePrintFailed:
		if was, ok := m.prints[seat].fail(e); ok && was.Printed() {
			m.printed--
		}
	}
}

// printLogOf copies a seat's print log for a view.
func (m *Model) printLogOf(seat onsite.Seat) []PrintRecord {
	return append([]PrintRecord(nil), m.prints[seat]...)
}
