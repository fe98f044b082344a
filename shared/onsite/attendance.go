package onsite

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/registrations"
)

// Errors use registrations.Error so adapters map codes (invalid, conflict,
// not_found) the same way for both domains.
var (
	// ErrAlreadyCheckedIn is matched by every *AlreadyCheckedInError.
	ErrAlreadyCheckedIn = &registrations.Error{Code: registrations.CodeConflict, Message: "attendee already checked in"}
	// ErrReasonRequired refuses a reprint without a reason.
	ErrReasonRequired = &registrations.Error{Code: registrations.CodeInvalid, Message: "a reprint needs a reason"}
)

func invalidf(format string, args ...any) error {
	return &registrations.Error{Code: registrations.CodeInvalid, Message: fmt.Sprintf(format, args...)}
}

// MaxTextLength bounds staff names and reprint reasons.
const MaxTextLength = 200

// CheckInRecord is one recorded check-in of an attendee.
type CheckInRecord struct {
	KioskID string    `json:"kiosk_id"`
	Staff   string    `json:"staff"`
	At      time.Time `json:"at"`
}

// AlreadyCheckedInError refuses a check-in and says who let the attendee
// in before, so staff can tell a returning attendee from a shared badge.
type AlreadyCheckedInError struct {
	Seat     Seat
	Previous []CheckInRecord
}

func (e *AlreadyCheckedInError) Error() string {
	p := e.Previous[0]
	return fmt.Sprintf("attendee %s already checked in at kiosk %s by %s at %s",
		e.Seat, p.KioskID, p.Staff, p.At.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrAlreadyCheckedIn) true and gives the
// error its registrations code (conflict).
func (e *AlreadyCheckedInError) Unwrap() error { return ErrAlreadyCheckedIn }

// Attendance is one seat's on-site history: check-ins and badge prints.
type Attendance struct {
	eventsourcing.Root
	conferenceID uuid.UUID
	seat         Seat
	checkIns     []CheckInRecord
	prints       int
	issued       map[printKey]BadgeOutput // every print recorded, with how it left
	failed       map[printKey]bool        // those the printer refused
	lastIssued   time.Time
}

// NewAttendance returns an empty aggregate for the repository.
func NewAttendance() *Attendance { return &Attendance{} }

// StreamType implements eventsourcing.Aggregate.
func (a *Attendance) StreamType() string { return "onsite.Attendance" }

// CheckIn is a member of staff letting an attendee in at a kiosk.
type CheckIn struct {
	ConferenceID uuid.UUID
	Seat         Seat
	KioskID      string
	Staff        string
}

func (c CheckIn) validate() (CheckIn, error) {
	if c.ConferenceID == uuid.Nil || c.Seat.OrderID == uuid.Nil || c.Seat.Position < 0 {
		return c, invalidf("conference, order and position are required")
	}
	if c.KioskID == "" {
		return c, invalidf("kiosk id is required")
	}
	var err error
	c.Staff, err = text("staff", c.Staff, true)
	return c, err
}

// CheckIn records AttendeeCheckedIn, or refuses with an
// *AlreadyCheckedInError when a check-in of this seat is already known.
func (a *Attendance) CheckIn(cmd CheckIn, now time.Time) error {
	cmd, err := cmd.validate()
	if err != nil {
		return err
	}
	if err := a.sameSeat(cmd.ConferenceID, cmd.Seat); err != nil {
		return err
	}
	if len(a.checkIns) > 0 {
		return &AlreadyCheckedInError{Seat: cmd.Seat, Previous: a.CheckIns()}
	}
	a.name(cmd.Seat)
	a.Record(a, AttendeeCheckedIn{
		ConferenceID: cmd.ConferenceID, OrderID: cmd.Seat.OrderID, Position: cmd.Seat.Position,
		KioskID: cmd.KioskID, Staff: cmd.Staff, At: now.UTC(),
	})
	return nil
}

// PrintBadge is a badge issued for an attendee. Reason is required for a
// reprint. IssuedAt is the issue time signed into the badge token. Output
// is how it leaves the kiosk: OutputPrinter or OutputPDF.
type PrintBadge struct {
	ConferenceID uuid.UUID
	Seat         Seat
	KioskID      string
	Staff        string
	Reason       string
	Output       BadgeOutput
	IssuedAt     time.Time
}

// PrintBadge records BadgePrinted with the reprint count.
func (a *Attendance) PrintBadge(cmd PrintBadge, now time.Time) error {
	c, err := a.atDesk(cmd.ConferenceID, cmd.Seat, cmd.KioskID, cmd.Staff)
	if err != nil {
		return err
	}
	reason, err := text("reason", cmd.Reason, false)
	if err != nil {
		return err
	}
	if cmd.Output != OutputPrinter && cmd.Output != OutputPDF {
		return invalidf("a badge leaves the kiosk by printer or as a PDF, not %q", cmd.Output)
	}
	if a.prints > 0 && reason == "" {
		return fmt.Errorf("badge of %s printed %d time(s) already: %w", cmd.Seat, a.prints, ErrReasonRequired)
	}
	if cmd.IssuedAt.IsZero() {
		cmd.IssuedAt = now
	}
	a.name(cmd.Seat)
	a.Record(a, BadgePrinted{
		ConferenceID: cmd.ConferenceID, OrderID: cmd.Seat.OrderID, Position: cmd.Seat.Position,
		KioskID: cmd.KioskID, Staff: c.Staff, Reprint: a.prints, Reason: reason, Output: cmd.Output,
		IssuedAt: cmd.IssuedAt.UTC(), At: now.UTC(),
	})
	return nil
}

// atDesk checks who acts where for a print, as for a check-in, and that
// the seat is this stream's.
func (a *Attendance) atDesk(conference uuid.UUID, seat Seat, kioskID, staff string) (CheckIn, error) {
	c, err := CheckIn{ConferenceID: conference, Seat: seat, KioskID: kioskID, Staff: staff}.validate()
	if err != nil {
		return CheckIn{}, err
	}
	return c, a.sameSeat(conference, seat)
}

// printKey names one print: the kiosk that recorded it and its count.
type printKey struct {
	kiosk   string
	reprint int
}

// PrintFailure is the printer refusing a badge this kiosk recorded.
type PrintFailure struct {
	ConferenceID uuid.UUID
	Seat         Seat
	KioskID      string
	Staff        string
	// Reprint is the failed print's BadgePrinted.Reprint.
	Reprint int
	// Error is what the printer said.
	Error string
}

// RecordPrintFailure records BadgePrintFailed for a print recorded before.
// A print that is unknown, already marked failed, or opened as a PDF (no
// printer was asked) is refused: the log must not say a badge failed
// twice, or failed without being sent to a printer.
func (a *Attendance) RecordPrintFailure(cmd PrintFailure, now time.Time) error {
	c, err := a.atDesk(cmd.ConferenceID, cmd.Seat, cmd.KioskID, cmd.Staff)
	if err != nil {
		return err
	}
	output, ok := a.issued[printKey{cmd.KioskID, cmd.Reprint}]
	if !ok {
		return invalidf("badge print %d of %s was never recorded at kiosk %s", cmd.Reprint, cmd.Seat, cmd.KioskID)
	}
	if output == OutputPDF {
		return invalidf("badge print %d of %s opened as a PDF: no printer refused it", cmd.Reprint, cmd.Seat)
	}
	if a.failed[printKey{cmd.KioskID, cmd.Reprint}] {
		return invalidf("badge print %d of %s is already recorded as failed", cmd.Reprint, cmd.Seat)
	}
	msg := strings.ToValidUTF8(strings.TrimSpace(cmd.Error), "?")
	if r := []rune(msg); len(r) > MaxTextLength {
		msg = string(r[:MaxTextLength])
	}
	a.Record(a, BadgePrintFailed{
		ConferenceID: cmd.ConferenceID, OrderID: cmd.Seat.OrderID, Position: cmd.Seat.Position,
		KioskID: cmd.KioskID, Staff: c.Staff, Reprint: cmd.Reprint, Error: msg, At: now.UTC(),
	})
	return nil
}

func (a *Attendance) sameSeat(conferenceID uuid.UUID, s Seat) error {
	if a.seat.OrderID != uuid.Nil && (a.seat != s || a.conferenceID != conferenceID) {
		return invalidf("attendance of %s cannot record facts of %s", a.seat, s)
	}
	return nil
}

func (a *Attendance) name(s Seat) {
	if a.ID() == "" {
		a.SetID(AttendanceStreamID(s))
	}
}

// Apply implements eventsourcing.Aggregate.
func (a *Attendance) Apply(e eventsourcing.Event) {
	switch e := e.(type) {
	case AttendeeCheckedIn:
		a.conferenceID, a.seat = e.ConferenceID, Seat{OrderID: e.OrderID, Position: e.Position}
		a.checkIns = append(a.checkIns, CheckInRecord{KioskID: e.KioskID, Staff: e.Staff, At: e.At})
	case BadgePrinted:
		a.conferenceID, a.seat = e.ConferenceID, Seat{OrderID: e.OrderID, Position: e.Position}
		a.prints++
		if a.issued == nil {
			a.issued = map[printKey]BadgeOutput{}
		}
		a.issued[printKey{e.KioskID, e.Reprint}] = e.Output
		if e.IssuedAt.After(a.lastIssued) {
			a.lastIssued = e.IssuedAt
		}
	case BadgePrintFailed:
		if a.failed == nil {
			a.failed = map[printKey]bool{}
		}
		a.failed[printKey{e.KioskID, e.Reprint}] = true
	}
}

// CheckedIn reports whether any check-in of the seat is known.
func (a *Attendance) CheckedIn() bool { return len(a.checkIns) > 0 }

// CheckIns lists the known check-ins in the order this node learned them.
func (a *Attendance) CheckIns() []CheckInRecord { return append([]CheckInRecord(nil), a.checkIns...) }

// Duplicate reports check-ins recorded on more than one occasion, which
// only happens when kiosks were offline from each other.
func (a *Attendance) Duplicate() bool { return len(a.checkIns) > 1 }

// Prints is how many badges were issued for the seat, including prints
// the printer then refused: each needs a reason to be followed by another.
func (a *Attendance) Prints() int { return a.prints }

// FailedPrints is how many of those prints the printer refused.
func (a *Attendance) FailedPrints() int { return len(a.failed) }

// Printed is how many badges a printer accepted: prints sent to a printer
// that it did not refuse. A badge opened as a PDF, or recorded without
// saying how it left (OutputUnrecorded), is not a printed badge.
func (a *Attendance) Printed() int {
	n := 0
	for k, out := range a.issued {
		if out == OutputPrinter && !a.failed[k] {
			n++
		}
	}
	return n
}

// DenyScan returns the audit entry of a denied scan.
func DenyScan(conferenceID uuid.UUID, kioskID string, reason DenyReason, now time.Time) (ScanDenied, error) {
	if conferenceID == uuid.Nil || kioskID == "" {
		return ScanDenied{}, invalidf("conference and kiosk ids are required")
	}
	if !reason.valid() {
		return ScanDenied{}, invalidf("unknown deny reason %q", reason)
	}
	return ScanDenied{ConferenceID: conferenceID, KioskID: kioskID, Reason: reason, At: now.UTC()}, nil
}

func text(field, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		return "", invalidf("%s is required", field)
	case !utf8.ValidString(s):
		return "", invalidf("%s is not valid text", field)
	case utf8.RuneCountInString(s) > MaxTextLength:
		return "", invalidf("%s is longer than %d characters", field, MaxTextLength)
	}
	return s, nil
}
