package pgstore

import (
	"slices"
	"sync"

	"conference/shared/eventstore"
)

// ringSize is how many of the newest events a replica keeps in memory.
const ringSize = 4096

// ring holds the newest events of the log, contiguous in position, as a
// read of the table returns them. The replica's log followers (projections,
// the process manager, connected kiosks, long polls) read each new event
// right after it commits; with the ring, one read from PostgreSQL serves
// them all, and the replica's own commits need none.
type ring struct {
	mu     sync.RWMutex
	events []eventstore.Event // at most ringSize, circular from start
	start  int
	base   int64 // position just before the first event the ring may hold
}

// reset empties the ring; the next event it takes is at base+1.
func (r *ring) reset(base int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events, r.start, r.base = r.events[:0], 0, base
}

// last is the position of the newest event held (0 when empty).
func (r *ring) last() int64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.lastLocked()
}

func (r *ring) lastLocked() int64 {
	if len(r.events) == 0 {
		return r.base
	}
	return r.events[(r.start+len(r.events)-1)%len(r.events)].Position
}

// extend appends events that continue the ring exactly (the first at
// last()+1, each the next position) and reports whether it did. Events it
// cannot place leave the ring untouched: it never holds a gap, and the
// follower fills it from the table in order.
func (r *ring) extend(evs []eventstore.Event) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(evs) > 0 && evs[0].Position <= r.lastLocked() {
		evs = evs[1:] // already held
	}
	if len(evs) == 0 {
		return true
	}
	next := r.lastLocked() + 1
	for i, e := range evs {
		if e.Position != next+int64(i) {
			return false
		}
	}
	for _, e := range evs {
		e.Data = slices.Clone(e.Data)
		if len(r.events) < ringSize {
			r.events = append(r.events, e)
			continue
		}
		r.events[r.start] = e
		r.start = (r.start + 1) % len(r.events)
	}
	return true
}

// read returns up to limit events after position after, and whether the
// ring could answer: it holds every event from after+1 up to its newest.
// Events past the ring's newest may exist in the table; the caller asks
// the table when the ring has nothing and the head is further.
func (r *ring) read(after int64, limit int) ([]eventstore.Event, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := len(r.events)
	if n == 0 {
		return nil, after >= r.base
	}
	first := r.events[r.start].Position
	if after+1 < first {
		return nil, false
	}
	skip := int(after + 1 - first)
	if skip >= n {
		return nil, true
	}
	cnt := min(n-skip, limit)
	out := make([]eventstore.Event, cnt)
	for i := range cnt {
		out[i] = r.events[(r.start+skip+i)%n]
	}
	return out, true
}
