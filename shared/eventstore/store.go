package eventstore

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Store is the event log contract. Implementations: sqlitestore (hub and
// kiosk default) and, for the hub at scale, a PostgreSQL one; both pass the
// suite in package storetest.
type Store interface {
	// Append stores events for one stream atomically if the stream is at
	// expectedVersion (NoStream, AnyVersion or a version). Appending events
	// whose ids are all stored already is a no-op that reports success.
	Append(ctx context.Context, stream Stream, expectedVersion int64, events []Event) (Result, error)
	// Commit stores a Batch atomically: events, outbox messages, processed mark.
	Commit(ctx context.Context, b Batch) (Result, error)

	// ReadStream returns the events of one stream with version > after.
	ReadStream(ctx context.Context, streamID string, after int64) ([]Event, error)
	// ReadLog returns up to limit events with position > after, in order.
	ReadLog(ctx context.Context, after int64, limit int) ([]Event, error)
	// Head is the position of the last committed event (0 when empty).
	Head(ctx context.Context) (int64, error)
	// WaitForAppend returns once the head is past after, or ctx ends. It
	// wakes in-process subscribers without polling.
	WaitForAppend(ctx context.Context, after int64) error

	SaveSnapshot(ctx context.Context, s Snapshot) error
	// LoadSnapshot returns ok=false when the stream has none.
	LoadSnapshot(ctx context.Context, streamID string) (s Snapshot, ok bool, err error)

	// IsProcessed and MarkProcessed back idempotent handlers.
	IsProcessed(ctx context.Context, handler string, messageID uuid.UUID) (bool, error)
	MarkProcessed(ctx context.Context, handler string, messageID uuid.UUID) error

	Outbox

	Close() error
}

// Outbox is the dispatch side of the messages written by Commit. Rows are
// kept after dispatch: the outbox doubles as the message log.
type Outbox interface {
	// PendingMessages returns up to limit undispatched messages due at now.
	PendingMessages(ctx context.Context, now time.Time, limit int) ([]Message, error)
	// MarkDispatched records successful delivery.
	MarkDispatched(ctx context.Context, id uuid.UUID) error
	// RecordFailure counts a failed delivery; at maxAttempts the message
	// moves to the dead-letter table with its error and deadLettered is true.
	// retryAt postpones the next attempt.
	RecordFailure(ctx context.Context, id uuid.UUID, cause error, maxAttempts int, retryAt time.Time) (deadLettered bool, err error)
	// DeadLetters lists messages that exhausted their attempts.
	DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error)
	// Redeliver puts a dead letter back in the outbox, due at at with its
	// attempts counted from zero, and reports whether id was a dead letter
	// (of two concurrent calls, one puts it back).
	Redeliver(ctx context.Context, id uuid.UUID, at time.Time) (bool, error)
}

// DeadLetter is a message that failed maxAttempts times, with its last error.
type DeadLetter struct {
	Message  Message
	Attempts int
	Error    string
	At       time.Time
}
