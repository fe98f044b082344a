package fanout

import "sync"

// Streams is a set of one-shot waiters by stream: the half of a store's
// WatchStream that does not depend on how the store learns of commits. The
// zero value is ready.
type Streams struct {
	mu       sync.Mutex
	watchers map[string]map[chan struct{}]struct{}
}

// Watch returns a channel closed by the next Wake of streamID (or
// WakeAll), and a func to stop watching.
func (w *Streams) Watch(streamID string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.watchers == nil {
		w.watchers = map[string]map[chan struct{}]struct{}{}
	}
	if w.watchers[streamID] == nil {
		w.watchers[streamID] = map[chan struct{}]struct{}{}
	}
	w.watchers[streamID][ch] = struct{}{}
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if set, ok := w.watchers[streamID]; ok {
			delete(set, ch)
			if len(set) == 0 {
				delete(w.watchers, streamID)
			}
		}
	}
}

// Wake releases the watchers of each stream named.
func (w *Streams) Wake(streamIDs func(yield func(string) bool)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.watchers) == 0 {
		return
	}
	for id := range streamIDs {
		for ch := range w.watchers[id] {
			close(ch)
		}
		delete(w.watchers, id)
	}
}

// WakeAll releases every watcher (the store is closing).
func (w *Streams) WakeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, set := range w.watchers {
		for ch := range set {
			close(ch)
		}
		delete(w.watchers, id)
	}
}
