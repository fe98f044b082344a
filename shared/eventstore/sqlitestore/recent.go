package sqlitestore

import (
	"slices"
	"sync"

	"conference/shared/eventstore"
)

// recentSize is how many of the last committed events the store keeps in
// memory (a few MB). It bounds the unindexed events (streamindex.go).
const recentSize = 4096

// recentLog holds the newest committed events, exactly as ReadLog would
// read them back, so the log followers (the process manager, the read
// models, the policies, the sync scope index) that read each commit right
// after it happens get it from memory instead of each querying and
// decoding the same rows. Only the writer adds to it, after COMMIT, in
// position order; positions have no gaps because the writer alone assigns
// them.
type recentLog struct {
	mu     sync.RWMutex
	events []eventstore.Event // ring of at most recentSize
	start  int                // index of the oldest event in events
	// byStream lists the positions each stream has in the ring, oldest
	// first, for ReadStream.
	byStream map[string][]int64
	// indexed is how far the stream index reaches; the ring holds every
	// event after it unless lost is set.
	indexed int64
	lost    bool
}

// add appends a committed group's events, oldest first, and how far the
// stream index reaches once the group committed.
func (r *recentLog) add(rows []row, indexed int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.indexed = indexed
	for _, rw := range rows {
		e := *rw.E
		// What a read of the row returns: the version column, the time
		// at millisecond precision in UTC, a payload of its own.
		e.StreamVersion = rw.Version
		e.RecordedAt = e.RecordedAt.UTC()
		e.Data = slices.Clone(e.Data)
		if n := len(r.events); n > 0 && r.events[(r.start+n-1)%n].Position+1 != e.Position {
			// Not contiguous (cannot happen while the writer alone
			// assigns positions): forget everything rather than serve a
			// gap, and leave the unindexed events to the table.
			r.events, r.start, r.byStream, r.lost = r.events[:0], 0, nil, true
		}
		if r.byStream == nil {
			r.byStream = map[string][]int64{}
		}
		r.byStream[e.StreamID] = append(r.byStream[e.StreamID], e.Position)
		if len(r.events) < recentSize {
			r.events = append(r.events, e)
			continue
		}
		old := r.events[r.start].StreamID
		if rest := r.byStream[old][1:]; len(rest) > 0 {
			r.byStream[old] = rest
		} else {
			delete(r.byStream, old)
		}
		r.events[r.start] = e
		r.start = (r.start + 1) % recentSize
	}
	if r.lost && len(r.events) > 0 && r.events[r.start].Position <= indexed+1 {
		r.lost = false // the index reaches the ring again: it holds every unindexed event
	}
}

// stream returns the events of streamID with version > after, and false
// unless the ring holds all of them up to at least version upTo (the
// stream's version as the writer knows it).
func (r *recentLog) stream(streamID string, after, upTo int64) ([]eventstore.Event, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	positions := r.byStream[streamID]
	if len(positions) == 0 {
		return nil, false
	}
	first := r.events[r.start].Position
	at := func(pos int64) *eventstore.Event {
		return &r.events[(r.start+int(pos-first))%len(r.events)]
	}
	if at(positions[0]).StreamVersion > after+1 || at(positions[len(positions)-1]).StreamVersion < upTo {
		return nil, false
	}
	var out []eventstore.Event
	for _, pos := range positions {
		if e := at(pos); e.StreamVersion > after {
			out = append(out, *e)
		}
	}
	return out, true
}

// read returns up to limit events after position after, and false when the
// ring does not hold the first of them (the caller reads the table).
// Nothing after the head is an answer too, once the ring holds anything.
func (r *recentLog) read(after int64, limit int) ([]eventstore.Event, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := len(r.events)
	if n == 0 {
		return nil, false
	}
	first := r.events[r.start].Position
	last := first + int64(n) - 1
	if after >= last {
		// The ring's newest event is the log's head: the writer adds to it
		// before it moves the head. A follower caught up asks this often.
		return nil, true
	}
	if after < first-1 {
		return nil, false
	}
	count := min(int64(limit), last-after)
	out := make([]eventstore.Event, count)
	for i := range out {
		out[i] = r.events[(r.start+int(after-first+1)+i)%n]
	}
	return out, true
}

// indexedAt is how far the stream index reaches, as published.
func (r *recentLog) indexedAt() int64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.indexed
}

// unindexed returns the events of streamID after the stream index's reach
// with version > after, and false unless the ring holds every event past
// that reach.
func (r *recentLog) unindexed(streamID string, after int64) ([]eventstore.Event, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.lost {
		return nil, false
	}
	n := len(r.events)
	if n == 0 {
		return nil, true // nothing committed since the index's reach
	}
	first := r.events[r.start].Position
	if first > r.indexed+1 {
		return nil, false
	}
	var out []eventstore.Event
	for _, pos := range r.byStream[streamID] {
		if pos <= r.indexed {
			continue
		}
		if e := &r.events[(r.start+int(pos-first))%n]; e.StreamVersion > after {
			out = append(out, *e)
		}
	}
	return out, true
}
