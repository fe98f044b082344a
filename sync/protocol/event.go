package protocol

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/hlc"
)

// Event is the DESIGN section 5 envelope on the wire (version 2).
// Position is the hub log position on events_down and absent on events_up
// (the kiosk's own positions mean nothing to the hub).
type Event struct {
	EventID       uuid.UUID `json:"event_id"`
	StreamID      string    `json:"stream_id"`
	StreamType    string    `json:"stream_type"`
	StreamVersion int64     `json:"stream_version"`
	Type          string    `json:"type"`
	Schema        int       `json:"schema"`
	Data          rawJSON   `json:"data"`
	Origin        string    `json:"origin"`
	OriginSeq     int64     `json:"origin_seq"`
	Seen          int64     `json:"seen"`
	HLC           int64     `json:"hlc"`
	CorrelationID uuid.UUID `json:"correlation_id"`
	CausationID   uuid.UUID `json:"causation_id"`
	Position      int64     `json:"position,omitempty"`
}

// FromStore puts a stored event on the wire, keeping its position.
func FromStore(e eventstore.Event) Event {
	return Event{EventID: e.EventID, StreamID: e.StreamID, StreamType: e.StreamType, StreamVersion: e.StreamVersion,
		Type: e.Type, Schema: e.Schema, Data: e.Data, Origin: e.Origin, OriginSeq: e.OriginSeq, Seen: e.Seen,
		HLC: int64(e.HLC), CorrelationID: e.CorrelationID, CausationID: e.CausationID, Position: e.Position}
}

// Store turns a wire event into the envelope a store appends. Position is
// kept for information; stores assign their own.
func (e Event) Store() eventstore.Event {
	return eventstore.Event{EventID: e.EventID, StreamID: e.StreamID, StreamType: e.StreamType,
		StreamVersion: e.StreamVersion, Type: e.Type, Schema: e.Schema, Data: []byte(e.Data), Origin: e.Origin,
		OriginSeq: e.OriginSeq, Seen: e.Seen, HLC: hlc.Timestamp(e.HLC), CorrelationID: e.CorrelationID,
		CausationID: e.CausationID, Position: e.Position}
}

// validate checks one envelope; i names it in the error.
func (e *Event) validate(i int) error {
	bad := func(format string, args ...any) error {
		return Errorf(CodeBadMessage, "event %d: "+format, append([]any{i}, args...)...)
	}
	switch {
	case e.EventID == uuid.Nil:
		return bad("event_id is required")
	case !text(e.StreamID, maxText):
		return bad("stream_id must be 1 to %d characters of UTF-8", maxText)
	case !text(e.StreamType, maxText):
		return bad("stream_type must be 1 to %d characters of UTF-8", maxText)
	case !text(e.Type, maxText):
		return bad("type must be 1 to %d characters of UTF-8", maxText)
	case !text(e.Origin, maxText):
		return bad("origin must be 1 to %d characters of UTF-8", maxText)
	case e.StreamVersion < 1:
		return bad("stream_version must be at least 1")
	case e.Schema < 1 || e.Schema > 10000:
		return bad("schema must be 1 to 10000")
	case e.OriginSeq < 1:
		return bad("origin_seq must be at least 1")
	case e.Seen < 0 || e.HLC < 0 || e.Position < 0:
		return bad("seen, hlc and position must not be negative")
	case len(e.Data) > MaxEventDataBytes:
		return Errorf(CodeTooLarge, "event %d: data is %d bytes, the limit is %d", i, len(e.Data), MaxEventDataBytes)
	case len(bytes.TrimSpace(e.Data)) == 0 || bytes.TrimSpace(e.Data)[0] != '{':
		return bad("data must be a JSON object")
	}
	return nil
}

func text(s string, limit int) bool {
	return s != "" && len(s) <= limit && utf8.ValidString(s)
}

// validateUp checks an events_up batch: own events only, consecutive
// origin_seq, no positions.
func validateUp(events []Event) error {
	if len(events) == 0 {
		return Errorf(CodeBadMessage, "events_up carries no events")
	}
	if len(events) > MaxBatchEvents {
		return Errorf(CodeTooLarge, "events_up carries %d events, the limit is %d", len(events), MaxBatchEvents)
	}
	for i := range events {
		e := &events[i]
		if err := e.validate(i); err != nil {
			return err
		}
		if e.Position != 0 {
			return Errorf(CodeBadMessage, "event %d: position is assigned by the hub, not sent up", i)
		}
		if i > 0 {
			prev := &events[i-1]
			if e.Origin != prev.Origin {
				return Errorf(CodeBadMessage, "event %d: a batch holds one origin, got %q after %q", i, e.Origin, prev.Origin)
			}
			if e.OriginSeq != prev.OriginSeq+1 {
				return Errorf(CodeBadMessage, "event %d: origin_seq %d does not follow %d", i, e.OriginSeq, prev.OriginSeq)
			}
		}
	}
	return nil
}

// validateDown checks an events_down page: hub positions increasing and
// not past Next.
func validateDown(events []Event, next, head int64) error {
	if len(events) > MaxPageEvents {
		return Errorf(CodeTooLarge, "events_down carries %d events, the limit is %d", len(events), MaxPageEvents)
	}
	if next < 0 || head < 0 {
		return Errorf(CodeBadMessage, "next and head must not be negative")
	}
	var last int64
	for i := range events {
		e := &events[i]
		if err := e.validate(i); err != nil {
			return err
		}
		if e.Position <= last {
			return Errorf(CodeBadMessage, "event %d: position %d does not increase", i, e.Position)
		}
		last = e.Position
	}
	if last > next {
		return Errorf(CodeBadMessage, "next %d lies before the last event's position %d", next, last)
	}
	return nil
}

func validateRequestID(id string) error {
	if !text(id, 64) {
		return Errorf(CodeBadMessage, "id must be 1 to 64 characters")
	}
	return nil
}

func validateSchemas(m map[string]int) error {
	if len(m) > MaxSchemas {
		return Errorf(CodeTooLarge, "schemas has %d entries, the limit is %d", len(m), MaxSchemas)
	}
	for k, v := range m {
		if !text(k, maxText) || v < 1 || v > 10000 {
			return Errorf(CodeBadMessage, "schemas: %q: %d is not an event type and version", k, v)
		}
	}
	return nil
}

func checkf(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return &Error{Code: CodeBadMessage, Message: fmt.Sprintf(format, args...)}
}
