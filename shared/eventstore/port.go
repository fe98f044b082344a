package eventstore

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Log is the whole event store as the hub's and the kiosk's own machinery
// use it (the registration desk and process manager, the message bus, log
// followers, sync's merge and scope): Store plus the bulk and follower
// operations that make them fast. Both stores implement it (sqlitestore,
// pgstore) and the suite in storetest checks both.
type Log interface {
	Store
	MessageLog

	// Node is the store's origin name ("hub" or a kiosk id).
	Node() string
	// CommitAll commits batches of several streams in order in one
	// transaction: all or none; each batch keeps Commit's rules.
	CommitAll(ctx context.Context, batches []Batch) ([]Result, error)
	// ReadStreams returns the whole of several streams, each in version
	// order.
	ReadStreams(ctx context.Context, streamIDs []string) (map[string][]Event, error)
	// ReadLogWindow returns the events with after < position <= upTo whose
	// type is one of types, in log order: what a rebuild replays.
	ReadLogWindow(ctx context.Context, after, upTo int64, types []string) ([]LogEntry, error)
	// StreamVersion is a stream's version when the store knows it without
	// a query (ok false otherwise): a repository may then trust a cached
	// copy of the stream. A store with other writers it cannot see
	// answers ok=false.
	StreamVersion(streamID string) (version int64, ok bool)
	// WatchStream returns a channel closed once a commit adds events to
	// streamID after this call (or the store closes), and a func to stop
	// watching. Register before reading the stream.
	WatchStream(streamID string) (<-chan struct{}, func())
	// OriginSeq is the last origin_seq stored from origin (0 for none).
	OriginSeq(ctx context.Context, origin string) (int64, error)
	// OriginSeqs is the last origin_seq stored from every origin.
	OriginSeqs(ctx context.Context) (map[string]int64, error)
}

// MessageLog is the outbox as a log: the dispatcher's and the message
// followers' view of it.
type MessageLog interface {
	Outbox
	// MessagesHead is the sequence number of the last message written.
	MessagesHead(ctx context.Context) (int64, error)
	// ReadMessages returns up to limit messages with seq > after whose
	// type starts with typePrefix, in log order, and the sequence number
	// the read covered (the follower's next checkpoint).
	ReadMessages(ctx context.Context, after int64, limit int, typePrefix string) ([]LoggedMessage, int64, error)
	// PendingMessagesAfter returns up to limit undispatched messages due
	// at now with seq > afterSeq, in seq order, and the last seq returned.
	PendingMessagesAfter(ctx context.Context, now time.Time, afterSeq int64, limit int) ([]Message, int64, error)
	// NextDue is when the earliest undispatched message falls due.
	NextDue(ctx context.Context) (time.Time, bool, error)
	// MessagesWritten returns a channel closed when a message is next
	// written.
	MessagesWritten() <-chan struct{}
	// NotifyMessages wakes MessagesWritten waiters (after a commit that
	// wrote messages outside Commit, see EnqueueTx).
	NotifyMessages()
	// MarkDelivered records in one transaction what a round of
	// deliveries achieved: handlers' processed marks and dispatched
	// messages. Marking twice is a no-op.
	MarkDelivered(ctx context.Context, processed []Processed, dispatched []uuid.UUID) error
	// ProcessedAmong returns which of ids handler has processed.
	ProcessedAmong(ctx context.Context, handler string, ids []uuid.UUID) (map[uuid.UUID]bool, error)
}

// Notifier carries small notices between every process sharing a store:
// one process on SQLite, every replica of a hub on PostgreSQL. A kiosk
// revoked or reconnected on one replica must be known on all of them.
type Notifier interface {
	// Notify sends payload to the subscribers of topic everywhere (this
	// process's too). Payloads are short (well under 8 KB).
	Notify(ctx context.Context, topic, payload string) error
	// Subscribe returns the payloads notified on topic from now on, and a
	// func to stop. A subscriber that falls far behind loses payloads.
	Subscribe(topic string) (<-chan string, func())
}
