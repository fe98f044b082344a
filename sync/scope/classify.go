// Package scope decides which events of a log belong to a conference, and
// pages a hub's log for a kiosk: the events of the kiosk's conferences after
// a hub log position, in hub order (DESIGN section 6, "Down").
//
// Registrations and on-site events name their conference in their data
// ("conference_id"), but not all of them do (OrderReservationCompleted,
// SeatAssigned, ...). Those belong to the conference of their stream, which
// is learned from the first event of the stream that names one. The Pager
// keeps that map persistently beside the event log (when the store exposes
// its SQL database) so paging is right after a restart without rereading
// the log from the start.
package scope

import (
	"bytes"
	"encoding/json"

	"github.com/google/uuid"

	"conference/shared/eventstore"
)

// Classifier maps events to conferences, learning stream -> conference as
// it goes. Feed it events in log order. Not safe for concurrent use.
type Classifier struct {
	streams map[string]uuid.UUID
	// parent, for a fork, is what the fork knew when it was made.
	parent *Classifier
	// learned lists streams first mapped since the last TakeLearned, so a
	// persistent index can store only what is new.
	learned []string
}

// NewClassifier returns a classifier that knows no stream yet.
func NewClassifier() *Classifier {
	return &Classifier{streams: map[string]uuid.UUID{}}
}

// Conference returns the conference e belongs to: the one its data names,
// else the one its stream was first seen with. ok is false for events of
// no conference.
func (c *Classifier) Conference(e *eventstore.Event) (uuid.UUID, bool) {
	if id, ok := ConferenceOf(e.Data); ok {
		if _, known := c.Stream(e.StreamID); !known {
			c.streams[e.StreamID] = id
			c.learned = append(c.learned, e.StreamID)
		}
		return id, true
	}
	return c.Stream(e.StreamID)
}

// Fork returns a classifier that knows what c knows and learns on its
// own, leaving c as it is: for reading ahead of where c stands and coming
// back. c must not learn while the fork is in use.
func (c *Classifier) Fork() *Classifier {
	return &Classifier{streams: map[string]uuid.UUID{}, parent: c}
}

// Learn records a stream's conference, as read back from a persistent index.
func (c *Classifier) Learn(streamID string, conference uuid.UUID) {
	c.streams[streamID] = conference
}

// Stream returns the conference a stream is known to belong to.
func (c *Classifier) Stream(streamID string) (uuid.UUID, bool) {
	if id, ok := c.streams[streamID]; ok {
		return id, true
	}
	if c.parent != nil {
		return c.parent.Stream(streamID)
	}
	return uuid.Nil, false
}

// TakeLearned returns the streams mapped since the last call and forgets
// the list.
func (c *Classifier) TakeLearned() []string {
	out := c.learned
	c.learned = nil
	return out
}

var conferenceKey = []byte(`"conference_id"`)

// ConferenceOf extracts the top-level-or-nested "conference_id" a JSON
// payload carries. Event payloads name one conference at most, so the first
// occurrence is the one. The fast path reads the canonical encoding
// (`"conference_id":"<uuid>"`, what encoding/json writes); anything else
// that mentions the key falls back to a full decode.
func ConferenceOf(data []byte) (uuid.UUID, bool) {
	i := bytes.Index(data, conferenceKey)
	if i < 0 {
		return uuid.Nil, false
	}
	rest := data[i+len(conferenceKey):]
	if len(rest) >= 2+36+1 && rest[0] == ':' && rest[1] == '"' && rest[2+36] == '"' {
		if id, err := uuid.ParseBytes(rest[2 : 2+36]); err == nil {
			return id, id != uuid.Nil
		}
	}
	var v struct {
		ConferenceID uuid.UUID `json:"conference_id"`
	}
	if err := json.Unmarshal(data, &v); err != nil || v.ConferenceID == uuid.Nil {
		return uuid.Nil, false
	}
	return v.ConferenceID, true
}
