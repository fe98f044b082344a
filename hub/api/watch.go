package api

import (
	"context"
	"sync"
	"time"

	"conference/shared/eventstore/sqlitestore"
)

// streamWatch wakes long-polling requests when their stream gets an event.
// One goroutine follows the log for all of them, so the cost grows with
// the events appended, not with waiters times commits (re-reading every
// waiting order at every commit took the CPU away from the writers).
//
// The goroutine runs only while someone waits: it starts with the first
// waiter and returns when the last one has gone (or the store closes).
type streamWatch struct {
	store *sqlitestore.Store

	mu      sync.Mutex
	waiters map[string]map[chan struct{}]struct{}
	running bool
	pos     int64
}

func newStreamWatch(store *sqlitestore.Store) *streamWatch {
	return &streamWatch{store: store, waiters: map[string]map[chan struct{}]struct{}{}}
}

// watch returns a channel closed when an event is appended to streamID
// after this call, and a func to stop watching. Register before reading
// the stream, so no event falls between the read and the wait.
func (w *streamWatch) watch(streamID string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.waiters[streamID] == nil {
		w.waiters[streamID] = map[chan struct{}]struct{}{}
	}
	w.waiters[streamID][ch] = struct{}{}
	if !w.running {
		head, _ := w.store.Head(context.Background())
		w.pos, w.running = head, true
		go w.follow()
	}
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if set, ok := w.waiters[streamID]; ok {
			delete(set, ch)
			if len(set) == 0 {
				delete(w.waiters, streamID)
			}
		}
	}
}

// follow reads the log after pos and wakes the waiters of every stream it
// sees, until nobody waits.
func (w *streamWatch) follow() {
	for {
		w.mu.Lock()
		if len(w.waiters) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		pos := w.pos
		w.mu.Unlock()

		evs, err := w.store.ReadLog(context.Background(), pos, 1000)
		if err != nil {
			w.wakeAll()
			if !w.pause() {
				return
			}
			continue
		}
		w.mu.Lock()
		for _, e := range evs {
			for ch := range w.waiters[e.StreamID] {
				close(ch)
			}
			delete(w.waiters, e.StreamID)
			w.pos = e.Position
		}
		w.mu.Unlock()
		if len(evs) > 0 {
			continue
		}
		// Bounded, so the loop notices when the last waiter leaves.
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err = w.store.WaitForAppend(ctx, pos)
		cancel()
		if err != nil && ctx.Err() == nil {
			// The store is closing: let every waiter re-read and finish.
			w.wakeAll()
			w.mu.Lock()
			w.running = false
			w.mu.Unlock()
			return
		}
	}
}

func (w *streamWatch) wakeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, set := range w.waiters {
		for ch := range set {
			close(ch)
		}
		delete(w.waiters, id)
	}
}

// pause waits a moment after a failed read; false means stop.
func (w *streamWatch) pause() bool {
	time.Sleep(100 * time.Millisecond)
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.waiters) == 0 {
		w.running = false
		return false
	}
	return true
}
