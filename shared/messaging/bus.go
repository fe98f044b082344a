// Package messaging dispatches commands and events in-process from the
// outbox: messages are written in the same transaction as the events that
// caused them (eventstore.Batch.Outbox), and delivered after commit, at
// least once. Every handler is deduplicated by message id, so a redelivery
// after a crash is a no-op for the handlers that already ran. A message
// that keeps failing is dead-lettered with its error instead of looping.
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

	"conference/shared/eventstore"
)

// Store is the outbox the bus reads, plus a wake-up for new messages.
type Store interface {
	eventstore.Store
	// MessagesWritten returns a channel closed at the next commit that
	// writes outbox messages.
	MessagesWritten() <-chan struct{}
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
	// Poll bounds how long the dispatcher sleeps when nothing wakes it,
	// which matters only for delayed messages (default one second).
	Poll   time.Duration
	Logger *slog.Logger
	Now    func() time.Time
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
	events   map[string][]subscriber
	attempts map[string]int // per message id, in memory, to pace retries
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
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Bus{store: store, opts: opts, commands: map[string]Handler{}, events: map[string][]subscriber{}, attempts: map[string]int{}}
}

// HandleCommand registers the one handler of a command type.
func (b *Bus) HandleCommand(commandType string, h Handler) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.commands[commandType]; dup {
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

// Run dispatches until ctx ends. It is the bus's only goroutine; the caller
// owns it.
func (b *Bus) Run(ctx context.Context) error {
	for {
		wake := b.store.MessagesWritten()
		n, err := b.DispatchDue(ctx)
		if err != nil && ctx.Err() == nil {
			b.opts.Logger.Error("dispatch outbox", "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if n > 0 {
			continue
		}
		timer := time.NewTimer(b.opts.Poll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// DispatchDue delivers every message due now, once, and reports how many it
// tried. Tests and Run call it.
func (b *Bus) DispatchDue(ctx context.Context) (int, error) {
	msgs, err := b.store.PendingMessages(ctx, b.opts.Now(), 100)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if err := b.deliver(ctx, m); err != nil {
			return 0, err
		}
	}
	return len(msgs), nil
}

// deliver runs every handler of m that has not processed it yet. Only the
// store failing is an error here; a handler failing is recorded on m.
func (b *Bus) deliver(ctx context.Context, m eventstore.Message) error {
	handlerErr := b.runHandlers(ctx, m)
	if handlerErr == nil {
		return b.store.MarkDispatched(ctx, m.ID)
	}
	b.mu.Lock()
	b.attempts[m.ID.String()]++
	attempt := b.attempts[m.ID.String()]
	b.mu.Unlock()
	dead, err := b.store.RecordFailure(ctx, m.ID, handlerErr, b.opts.MaxAttempts, b.opts.Now().Add(b.opts.Backoff(attempt)))
	if err != nil {
		return err
	}
	log := b.opts.Logger.With("message", m.ID, "type", m.Type, "kind", m.Kind, "err", handlerErr)
	if dead {
		b.mu.Lock()
		delete(b.attempts, m.ID.String())
		b.mu.Unlock()
		log.Error("message dead-lettered after repeated failures", "attempts", b.opts.MaxAttempts)
	} else {
		log.Warn("message handler failed; will retry", "attempt", attempt)
	}
	return nil
}

func (b *Bus) runHandlers(ctx context.Context, m eventstore.Message) error {
	b.mu.RLock()
	var subs []subscriber
	if m.Kind == eventstore.KindCommand {
		if h, ok := b.commands[m.Type]; ok {
			subs = []subscriber{{name: "command:" + m.Type, h: h}}
		}
	} else {
		subs = append(subs, b.events[m.Type]...)
	}
	b.mu.RUnlock()
	if m.Kind == eventstore.KindCommand && len(subs) == 0 {
		return fmt.Errorf("%w %s", ErrNoHandler, m.Type)
	}
	var errs []error
	for _, s := range subs {
		done, err := b.store.IsProcessed(ctx, s.name, m.ID)
		if err != nil {
			return err
		}
		if done {
			continue
		}
		if err := s.h(WithDelivery(ctx, s.name, m), m); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
			continue
		}
		// A handler that wrote its effects with the processed mark in the
		// same batch (see Processed) makes this a no-op.
		if err := b.store.MarkProcessed(ctx, s.name, m.ID); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

type deliveryKey struct{}

type delivery struct {
	handler string
	msg     eventstore.Message
}

// WithDelivery tells handlers (through ctx) which handler and message they
// run for.
func WithDelivery(ctx context.Context, handler string, m eventstore.Message) context.Context {
	return context.WithValue(ctx, deliveryKey{}, delivery{handler: handler, msg: m})
}

// Processed returns the processed mark for the message being handled, for a
// handler to store in the same batch as its effects: then a crash between
// the handler's commit and the bus's own mark cannot make it run twice.
func Processed(ctx context.Context) *eventstore.Processed {
	d, ok := ctx.Value(deliveryKey{}).(delivery)
	if !ok {
		return nil
	}
	return &eventstore.Processed{Handler: d.handler, MessageID: d.msg.ID}
}
