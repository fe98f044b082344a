// Package messaging dispatches commands and events in-process from the
// outbox: messages are written in the same transaction as the events that
// caused them (eventstore.Batch.Outbox), and delivered after commit, at
// least once. Every handler is deduplicated by message id, so a redelivery
// after a crash is a no-op for the handlers that already ran. A message
// that keeps failing is dead-lettered with its error instead of looping.
//
// Messages are delivered concurrently by a bounded pool of workers, but
// never two of one lane at once: a lane (by default the message's
// correlation id, i.e. one order's conversation) gets its messages one
// after the other, in outbox order. What a round of deliveries achieved
// (processed marks, dispatched marks) is written in one transaction.
//
// Outbox rows are never deleted: together with the event log they are the
// message log from which read models can be rebuilt.
package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
)

// Store is the outbox the bus reads, plus a wake-up for new messages.
type Store interface {
	eventstore.Store
	// MessagesWritten returns a channel closed at the next commit that
	// writes outbox messages.
	MessagesWritten() <-chan struct{}
}

// DeliveryMarker is implemented by stores that record a round of
// deliveries in one write (sqlitestore does); the bus falls back to
// MarkProcessed and MarkDispatched one by one otherwise.
type DeliveryMarker interface {
	MarkDelivered(ctx context.Context, processed []eventstore.Processed, dispatched []uuid.UUID) error
}

// DueTeller is implemented by stores that know when the earliest
// undispatched message becomes due, so the bus sleeps exactly that long
// instead of polling.
type DueTeller interface {
	NextDue(ctx context.Context) (time.Time, bool, error)
}

// Handler handles one message. Returning an error schedules a retry.
type Handler func(ctx context.Context, m eventstore.Message) error

// ErrNoHandler is recorded for a command nobody handles.
var ErrNoHandler = errors.New("no handler for command")

// Options tune delivery.
type Options struct {
	// MaxAttempts before a message is dead-lettered (default 5).
	MaxAttempts int
	// Backoff is the delay before retry number attempt (default
	// exponential from 100 ms, capped at one minute).
	Backoff func(attempt int) time.Duration
	// Poll bounds how long the dispatcher sleeps when nothing wakes it
	// (default one second). Writes to the outbox and due times the store
	// can tell (DueTeller) wake it earlier.
	Poll time.Duration
	// Workers bounds how many handlers run at once (default 64).
	Workers int
	// MaxInFlight bounds the messages taken from the outbox and not yet
	// marked (default 1024).
	MaxInFlight int
	// Retry overrides MaxAttempts and Backoff for the messages of the
	// types it names: mail, for one, waits on a server that may be away for
	// an hour, while a registration command that keeps failing should stop
	// soon and be looked at.
	Retry map[string]Retry
	// Lane names the sequence a message belongs to: messages of one lane
	// are delivered one at a time, in outbox order. The default is the
	// correlation id, and one shared lane for messages without one (such
	// as another context's integration events, which must apply in order).
	Lane   func(eventstore.Message) string
	Logger *slog.Logger
	Now    func() time.Time
}

// Retry is how often, and how far apart, a failing message is tried
// before it is dead-lettered.
type Retry struct {
	MaxAttempts int
	Backoff     func(attempt int) time.Duration
}

// retryOf is the retry policy of m.
func (b *Bus) retryOf(m eventstore.Message) Retry {
	r, ok := b.opts.Retry[m.Type]
	if !ok {
		return Retry{MaxAttempts: b.opts.MaxAttempts, Backoff: b.opts.Backoff}
	}
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = b.opts.MaxAttempts
	}
	if r.Backoff == nil {
		r.Backoff = b.opts.Backoff
	}
	return r
}

// LaneByCorrelation is the default Options.Lane.
func LaneByCorrelation(m eventstore.Message) string {
	if m.CorrelationID == uuid.Nil {
		return ""
	}
	return m.CorrelationID.String()
}

type subscriber struct {
	name string
	h    Handler
}

// Bus routes outbox messages to handlers.
type Bus struct {
	store    Store
	opts     Options
	mu       sync.RWMutex
	commands map[string]Handler
	batches  map[string]*batchRoute
	events   map[string][]subscriber

	d dispatch
}

// New returns a bus reading store's outbox.
func New(store Store, opts Options) *Bus {
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.Backoff == nil {
		opts.Backoff = func(attempt int) time.Duration {
			return min(time.Minute, 100*time.Millisecond<<min(attempt, 10))
		}
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = 64
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 1024
	}
	if opts.Lane == nil {
		opts.Lane = LaneByCorrelation
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b := &Bus{store: store, opts: opts, commands: map[string]Handler{}, batches: map[string]*batchRoute{}, events: map[string][]subscriber{}}
	b.d.init(opts.Workers)
	return b
}

// HandleCommand registers the one handler of a command type.
func (b *Bus) HandleCommand(commandType string, h Handler) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, dup := b.commands[commandType]
	_, batched := b.batches[commandType]
	if dup || batched {
		return fmt.Errorf("command %s already has a handler", commandType)
	}
	b.commands[commandType] = h
	return nil
}

// Subscribe registers a named handler for an event type. The name is the
// handler's identity for deduplication: keep it stable across releases.
func (b *Bus) Subscribe(name, eventType string, h Handler) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.events[eventType] {
		if s.name == name {
			return fmt.Errorf("%s already subscribes to %s", name, eventType)
		}
	}
	b.events[eventType] = append(b.events[eventType], subscriber{name: name, h: h})
	return nil
}

// Send writes messages to the outbox on their own; they are dispatched once
// committed. Messages caused by events go in the events' Batch instead.
func (b *Bus) Send(ctx context.Context, msgs ...eventstore.Message) error {
	if _, err := b.store.Commit(ctx, eventstore.Batch{Outbox: msgs}); err != nil {
		return fmt.Errorf("send %d messages: %w", len(msgs), err)
	}
	return nil
}

// delivery is what one message's handlers achieved.
type delivery struct {
	m eventstore.Message
	// processed are the marks of the handlers that ran successfully now.
	processed []eventstore.Processed
	// handlerErr is what failed handlers returned: the message is retried.
	handlerErr error
	// storeErr means the store failed: the message is left pending as it
	// is, and taken up again by a later round.
	storeErr error
	ctx      context.Context
}

// subscribers returns the handlers of m.
func (b *Bus) subscribers(m eventstore.Message) []subscriber {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if m.Kind == eventstore.KindCommand {
		if h, ok := b.commands[m.Type]; ok {
			return []subscriber{{name: "command:" + m.Type, h: h}}
		}
		if _, ok := b.batches[m.Type]; ok {
			return []subscriber{{name: "command:" + m.Type}} // delivered by deliverBatch
		}
		return nil
	}
	return append([]subscriber(nil), b.events[m.Type]...)
}

// ProcessedReader is implemented by stores that read the processed marks
// of many messages in one query (sqlitestore does); the bus asks
// IsProcessed message by message otherwise.
type ProcessedReader interface {
	ProcessedAmong(ctx context.Context, handler string, ids []uuid.UUID) (map[uuid.UUID]bool, error)
}

// processedMarks reads which handlers already processed msgs, keyed by
// message id and handler name; nil when the store cannot tell in bulk.
func (b *Bus) processedMarks(ctx context.Context, msgs []eventstore.Message) (map[uuid.UUID]map[string]bool, error) {
	pr, ok := b.store.(ProcessedReader)
	if !ok || len(msgs) == 0 {
		return nil, nil
	}
	byHandler := map[string][]uuid.UUID{}
	for _, m := range msgs {
		for _, s := range b.subscribers(m) {
			byHandler[s.name] = append(byHandler[s.name], m.ID)
		}
	}
	out := make(map[uuid.UUID]map[string]bool, len(msgs))
	for _, m := range msgs {
		out[m.ID] = map[string]bool{}
	}
	for name, ids := range byHandler {
		done, err := pr.ProcessedAmong(ctx, name, ids)
		if err != nil {
			return nil, err
		}
		for id := range done {
			out[id][name] = true
		}
	}
	return out, nil
}

// deliver runs every handler of m that has not processed it yet. known,
// when not nil, holds the handlers known to have processed m already.
func (b *Bus) deliver(ctx context.Context, m eventstore.Message, known map[string]bool) delivery {
	d := delivery{m: m, ctx: ctx}
	subs := b.subscribers(m)
	if m.Kind == eventstore.KindCommand && len(subs) == 0 {
		d.handlerErr = fmt.Errorf("%w %s", ErrNoHandler, m.Type)
		return d
	}
	var errs []error
	for _, s := range subs {
		done := known[s.name]
		if known == nil {
			var err error
			if done, err = b.store.IsProcessed(ctx, s.name, m.ID); err != nil {
				d.storeErr = err
				return d
			}
		}
		if done {
			continue
		}
		if err := s.h(WithDelivery(ctx, s.name, m), m); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
			continue
		}
		// Written with the round's dispatched marks. A handler that stored
		// the mark with its effects (see Processed) makes it a no-op.
		d.processed = append(d.processed, eventstore.Processed{Handler: s.name, MessageID: m.ID})
	}
	d.handlerErr = errors.Join(errs...)
	return d
}

type deliveryKey struct{}

type current struct {
	handler string
	msg     eventstore.Message
}

// WithDelivery tells handlers (through ctx) which handler and message they
// run for.
func WithDelivery(ctx context.Context, handler string, m eventstore.Message) context.Context {
	return context.WithValue(ctx, deliveryKey{}, current{handler: handler, msg: m})
}

// Processed returns the processed mark for the message being handled, for a
// handler to store in the same batch as its effects: then a crash between
// the handler's commit and the bus's own mark cannot make it run twice.
func Processed(ctx context.Context) *eventstore.Processed {
	d, ok := ctx.Value(deliveryKey{}).(current)
	if !ok {
		return nil
	}
	return &eventstore.Processed{Handler: d.handler, MessageID: d.msg.ID}
}
