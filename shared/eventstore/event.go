// Package eventstore defines the event log contract of DESIGN section 5: the
// envelope every event carries, the Store interface both the SQLite and the
// PostgreSQL implementations satisfy, and the errors callers branch on.
//
// It imports no SQL driver: adapters implement Store, domain code never
// sees it directly (it goes through package eventsourcing).
package eventstore

import (
	"time"

	"github.com/google/uuid"

	"conference/shared/hlc"
)

// Event is one recorded fact in its envelope. The store that holds the copy
// assigns Position; the node that recorded it assigned the rest.
type Event struct {
	EventID       uuid.UUID
	StreamID      string
	StreamType    string
	StreamVersion int64
	Type          string
	Schema        int
	Data          []byte // JSON payload

	// Origin is the node that recorded the event ("hub" or a kiosk id) and
	// OriginSeq that node's gap-free counter. A store fills both for events
	// recorded locally (Origin empty) and keeps them for replicated ones.
	Origin    string
	OriginSeq int64
	// Seen is the hub log position the origin had applied when it recorded
	// the event: its causal context.
	Seen int64
	HLC  hlc.Timestamp

	CorrelationID uuid.UUID
	CausationID   uuid.UUID

	Position   int64
	RecordedAt time.Time
}

// Stream names an aggregate instance.
type Stream struct {
	ID   string
	Type string
}

// Expected-version sentinels for Append.
const (
	// NoStream expects the stream not to exist yet.
	NoStream int64 = 0
	// AnyVersion skips the optimistic concurrency check.
	AnyVersion int64 = -1
)

// Message is a command or integration event written to the outbox in the same
// transaction as the events that caused it, dispatched after commit.
type Message struct {
	ID            uuid.UUID
	Kind          MessageKind
	Type          string
	Data          []byte
	CorrelationID uuid.UUID
	CausationID   uuid.UUID
	// NotBefore delays dispatch (expiry timers, command timeouts).
	NotBefore time.Time
	CreatedAt time.Time
}

// MessageKind tells commands (one handler) from events (any number).
type MessageKind string

// Message kinds.
const (
	KindCommand MessageKind = "command"
	KindEvent   MessageKind = "event"
)

// Processed marks a message as handled by a handler in the same transaction
// as the handler's effects, so a redelivered message is recognised.
type Processed struct {
	Handler   string
	MessageID uuid.UUID
}

// Batch is one atomic unit of work: events for one stream (optional), outbox
// messages and a processed mark. Either all of it is stored or none.
type Batch struct {
	Stream          Stream
	ExpectedVersion int64
	Events          []Event
	Outbox          []Message
	Processed       *Processed
}

// Result reports what an append stored.
type Result struct {
	// Version is the stream version after the append.
	Version int64
	// LastPosition is the log position of the last event stored, or of the
	// already-stored copy when the append was a duplicate.
	LastPosition int64
	// Duplicate is true when every event id was already stored and nothing
	// was written.
	Duplicate bool
}

// Snapshot is an aggregate's serialized state at a stream version.
type Snapshot struct {
	StreamID string
	Version  int64
	Schema   int
	Data     []byte
}
