package onsite

import (
	"strconv"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

// Seat identifies an attendee: a position of a confirmed order's seat
// assignments.
type Seat struct {
	OrderID  uuid.UUID `json:"order_id"`
	Position int       `json:"position"`
}

// String is "<order id>/<position>", the attendee id shown to staff and
// used in URLs.
func (s Seat) String() string { return s.OrderID.String() + "/" + strconv.Itoa(s.Position) }

// TokenID is the seat identifier a badge token carries: a name-based UUID
// (SHA-1, namespace = order id, name = position) so the token stays as
// short as a token with plain UUIDs. Hub and kiosks must derive it the same
// way to recognise each other's badges.
func (s Seat) TokenID() string {
	return uuid.NewSHA1(s.OrderID, []byte(strconv.Itoa(s.Position))).String()
}

// ParseSeat reads the form String writes.
func ParseSeat(text string) (Seat, error) {
	for i := len(text) - 1; i >= 0; i-- {
		if text[i] != '/' {
			continue
		}
		id, err := uuid.Parse(text[:i])
		if err != nil {
			break
		}
		pos, err := strconv.Atoi(text[i+1:])
		if err != nil || pos < 0 {
			break
		}
		return Seat{OrderID: id, Position: pos}, nil
	}
	return Seat{}, invalidf("attendee id %q is not <order id>/<position>", text)
}

// AttendanceStreamID is the stream of one seat's Attendance.
func AttendanceStreamID(s Seat) string {
	return "attendance-" + s.OrderID.String() + "-" + strconv.Itoa(s.Position)
}

// ScansStreamID is the stream of a kiosk's denied-scan audit entries for a
// conference.
func ScansStreamID(conferenceID uuid.UUID, kioskID string) string {
	return "scans-" + conferenceID.String() + "-" + kioskID
}

// AttendeeCheckedIn records an attendee let in at a kiosk by a member of
// staff.
type AttendeeCheckedIn struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	OrderID      uuid.UUID `json:"order_id"`
	Position     int       `json:"position"`
	KioskID      string    `json:"kiosk_id"`
	Staff        string    `json:"staff"`
	At           time.Time `json:"at"`
}

// BadgePrinted records a badge issued for an attendee. Reprint is 0 for
// the first print and n for the n-th reprint, which carries a Reason.
// IssuedAt is the issue time signed into the badge's token. Output says
// how the badge left the kiosk: only a badge sent to a printer (and not
// refused by it, see BadgePrintFailed) is a printed badge.
//
// Schema 2 added Output; schema 1 payloads read as OutputUnrecorded.
type BadgePrinted struct {
	ConferenceID uuid.UUID   `json:"conference_id"`
	OrderID      uuid.UUID   `json:"order_id"`
	Position     int         `json:"position"`
	KioskID      string      `json:"kiosk_id"`
	Staff        string      `json:"staff"`
	Reprint      int         `json:"reprint"`
	Reason       string      `json:"reason,omitempty"`
	Output       BadgeOutput `json:"output"`
	IssuedAt     time.Time   `json:"issued_at"`
	At           time.Time   `json:"at"`
}

// BadgeOutput says how a recorded badge left the kiosk. The spellings are
// stored.
type BadgeOutput string

// Badge outputs.
const (
	// OutputPrinter: sent to the kiosk's print queue. It is a printed
	// badge unless a BadgePrintFailed of the same print follows.
	OutputPrinter BadgeOutput = "printer"
	// OutputPDF: no printer is configured; the badge opened as a PDF in
	// the staff's browser. Whether it reached paper nobody knows, so it is
	// not counted as printed.
	OutputPDF BadgeOutput = "pdf"
	// OutputUnrecorded is a print recorded by kiosk software that did not
	// say how the badge left (BadgePrinted schema 1). Such a kiosk
	// recorded a print both when it sent the badge to a printer and when
	// it only showed the PDF, so the print proves no badge came out: it
	// counts as issued (reprints need a reason) but not as printed.
	OutputUnrecorded BadgeOutput = "unrecorded"
)

// BadgePrintFailed records that the printer refused a badge recorded by
// BadgePrinted: the badge was issued (its token signed, the print counted)
// but never came out. Reprint names the print that failed; Error is the
// printer's message, for the organizer and support. Kiosks record the print
// before sending it, so a print the store refused never reaches paper, and
// this event keeps the log from claiming a badge nobody holds.
type BadgePrintFailed struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	OrderID      uuid.UUID `json:"order_id"`
	Position     int       `json:"position"`
	KioskID      string    `json:"kiosk_id"`
	Staff        string    `json:"staff"`
	Reprint      int       `json:"reprint"`
	Error        string    `json:"error"`
	At           time.Time `json:"at"`
}

// ScanDenied is the audit entry of a scanned badge that did not verify.
type ScanDenied struct {
	ConferenceID uuid.UUID  `json:"conference_id"`
	KioskID      string     `json:"kiosk_id"`
	Reason       DenyReason `json:"reason"`
	At           time.Time  `json:"at"`
}

// KioskRevoked records that the organizer revoked a kiosk. The hub records
// it and sync carries it to every kiosk of the conference, whose badge
// verifiers then refuse tokens the kiosk signed after At; badges it signed
// before stay valid. Name is the kiosk's name, for the door screen.
type KioskRevoked struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	KioskID      string    `json:"kiosk_id"`
	Name         string    `json:"name"`
	At           time.Time `json:"at"`
}

// DenyReason says why a scan was denied. The spellings are stable: they
// are stored and shown to organizers.
type DenyReason string

// Deny reasons.
const (
	DenyNotAToken       DenyReason = "not_a_token"      // not decodable as a badge token
	DenyBadSignature    DenyReason = "bad_signature"    // forged or altered
	DenyUnknownKey      DenyReason = "unknown_key"      // signed by a key this kiosk does not trust
	DenyNotValidAt      DenyReason = "not_valid_at"     // kiosk certificate not valid at issue time
	DenyOtherConference DenyReason = "other_conference" // genuine, but for another conference
	DenyRevoked         DenyReason = "revoked"          // seat cancelled, unassigned or reassigned
	DenyUnknownAttendee DenyReason = "unknown_attendee" // genuine, but the seat is not in the local list
	DenyKioskRevoked    DenyReason = "kiosk_revoked"    // signed by a kiosk after the organizer revoked it
)

func (r DenyReason) valid() bool {
	switch r {
	case DenyNotAToken, DenyBadSignature, DenyUnknownKey, DenyNotValidAt, DenyOtherConference, DenyRevoked, DenyUnknownAttendee,
		DenyKioskRevoked:
		return true
	}
	return false
}

// EventType implements eventsourcing.Event.
func (AttendeeCheckedIn) EventType() string { return "onsite.AttendeeCheckedIn" }

// EventType implements eventsourcing.Event.
func (BadgePrinted) EventType() string { return "onsite.BadgePrinted" }

// EventType implements eventsourcing.Event.
func (BadgePrintFailed) EventType() string { return "onsite.BadgePrintFailed" }

// EventType implements eventsourcing.Event.
func (ScanDenied) EventType() string { return "onsite.ScanDenied" }

// EventType implements eventsourcing.Event.
func (KioskRevoked) EventType() string { return "onsite.KioskRevoked" }

// Events lists one zero value of every event of this package.
func Events() []eventsourcing.Event {
	return []eventsourcing.Event{AttendeeCheckedIn{}, BadgePrinted{}, BadgePrintFailed{}, ScanDenied{}, KioskRevoked{}, KioskNamed{}}
}

// schemas are the current schema versions of the events past schema 1.
var schemas = map[string]int{BadgePrinted{}.EventType(): 2}

// Schema is the schema version this build writes for an event type.
func Schema(eventType string) int {
	if v, ok := schemas[eventType]; ok {
		return v
	}
	return 1
}

// RegisterEvents registers every event of this package at its current
// schema, with the upcasters that read older payloads.
func RegisterEvents(r *eventsourcing.Registry) {
	for _, e := range Events() {
		r.Register(e, Schema(e.EventType()))
	}
	r.RegisterUpcaster(BadgePrinted{}.EventType(), 1, upcastBadgePrintedV1)
}
