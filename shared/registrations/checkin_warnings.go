package registrations

import (
	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

// CheckInWarningsStreamID is the stream of a conference's CheckInWarnings.
func CheckInWarningsStreamID(conferenceID uuid.UUID) string {
	return "checkin-warnings-" + conferenceID.String()
}

// CheckInRef names one recorded check-in: the event that recorded it and
// the node (kiosk id, or "hub") that recorded it.
type CheckInRef struct {
	EventID uuid.UUID `json:"event_id"`
	KioskID string    `json:"kiosk_id"`
}

// DuplicateCheckInDetected records that an attendee was checked in on two
// nodes (typically two offline kiosks). Both check-ins stay recorded; this
// warning names the later one (CheckIn) and the earlier one it was found
// against, for the organizer. The hub records it, once per later check-in.
type DuplicateCheckInDetected struct {
	ConferenceID uuid.UUID  `json:"conference_id"`
	Attendee     string     `json:"attendee"`
	CheckIn      CheckInRef `json:"check_in"`
	Earlier      CheckInRef `json:"earlier"`
}

// EventType implements eventsourcing.Event.
func (DuplicateCheckInDetected) EventType() string { return "registrations.DuplicateCheckInDetected" }

// CheckInWarnings ("checkin-warnings-<conferenceID>") holds a conference's
// duplicate check-in warnings. Only the hub writes it; kiosks receive it.
type CheckInWarnings struct {
	eventsourcing.Root
	conferenceID uuid.UUID
	flagged      map[uuid.UUID]DuplicateCheckInDetected
}

// NewCheckInWarnings returns an empty aggregate for the repository.
func NewCheckInWarnings() *CheckInWarnings { return &CheckInWarnings{} }

// StreamType implements eventsourcing.Aggregate.
func (w *CheckInWarnings) StreamType() string { return "registrations.CheckInWarnings" }

// RecordDuplicate records a warning for the later check-in unless it was
// already flagged, so replaying a merge never warns twice.
func (w *CheckInWarnings) RecordDuplicate(conferenceID uuid.UUID, attendee string, later, earlier CheckInRef) error {
	if conferenceID == uuid.Nil || attendee == "" || later.EventID == uuid.Nil || earlier.EventID == uuid.Nil {
		return invalidf("conference, attendee and both check-ins are required")
	}
	if later.EventID == earlier.EventID {
		return invalidf("a check-in cannot duplicate itself")
	}
	if w.conferenceID != uuid.Nil && w.conferenceID != conferenceID {
		return invalidf("warnings belong to conference %s, not %s", w.conferenceID, conferenceID)
	}
	if _, ok := w.flagged[later.EventID]; ok {
		return nil
	}
	if w.ID() == "" {
		w.SetID(CheckInWarningsStreamID(conferenceID))
	}
	w.Record(w, DuplicateCheckInDetected{ConferenceID: conferenceID, Attendee: attendee, CheckIn: later, Earlier: earlier})
	return nil
}

// Apply implements eventsourcing.Aggregate.
func (w *CheckInWarnings) Apply(e eventsourcing.Event) {
	if d, ok := e.(DuplicateCheckInDetected); ok {
		if w.flagged == nil {
			w.flagged = map[uuid.UUID]DuplicateCheckInDetected{}
		}
		w.conferenceID = d.ConferenceID
		w.flagged[d.CheckIn.EventID] = d
	}
}

// Flagged reports whether a check-in already has a duplicate warning.
func (w *CheckInWarnings) Flagged(checkIn uuid.UUID) bool {
	_, ok := w.flagged[checkIn]
	return ok
}

// Count is how many duplicate check-ins were detected.
func (w *CheckInWarnings) Count() int { return len(w.flagged) }

// RegisterMergeEvents registers the events the hub's merge of kiosk facts
// records beyond RegisterEvents (at schema 1).
func RegisterMergeEvents(r *eventsourcing.Registry) {
	r.Register(DuplicateCheckInDetected{}, 1)
}
