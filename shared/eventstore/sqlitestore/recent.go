package sqlitestore

import (
	"slices"
	"sync"

	"conference/shared/eventstore"
)

// recentSize is how many of the last committed events the store keeps in
// memory (a few MB).
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
}

// add appends a committed group's events, oldest first.
func (r *recentLog) add(rows []row) {
	if len(rows) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rw := range rows {
		e := *rw.e
		// What a read of the row returns: the version column, the time
		// at millisecond precision in UTC, a payload of its own.
		e.StreamVersion = rw.version
		e.RecordedAt = e.RecordedAt.UTC()
		e.Data = slices.Clone(e.Data)
		if n := len(r.events); n > 0 && r.events[(r.start+n-1)%n].Position+1 != e.Position {
			// Not contiguous (cannot happen while the writer alone
			// assigns positions): forget everything rather than serve a gap.
			r.events, r.start = r.events[:0], 0
		}
		if len(r.events) < recentSize {
			r.events = append(r.events, e)
			continue
		}
		r.events[r.start] = e
		r.start = (r.start + 1) % recentSize
	}
}

// read returns up to limit events after position after, and false when the
// ring does not hold the first of them (the caller reads the table).
func (r *recentLog) read(after int64, limit int) ([]eventstore.Event, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := len(r.events)
	if n == 0 {
		return nil, false
	}
	first := r.events[r.start].Position
	last := first + int64(n) - 1
	if after < first-1 || after >= last {
		return nil, false
	}
	count := min(int64(limit), last-after)
	out := make([]eventstore.Event, count)
	for i := range out {
		out[i] = r.events[(r.start+int(after-first+1)+i)%n]
	}
	return out, true
}
