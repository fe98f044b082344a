package digest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/sync/scope"
)

// Cache answers ComputeCut for one store without reading its whole log
// each time. Per conference it keeps the digest state of the log up to a
// base position: the lowest cut any kiosk asked for in the last ten
// minutes (a kiosk's cuts only grow, and kiosks that compare stand near
// the head), so a cut reads only the events between the base and its
// position, plus, for a kiosk's cut, that kiosk's own events past it. A hub
// answering every kiosk's comparisons uses one, and a kiosk digesting its
// own log at growing positions one of its own; the answers are those of
// ComputeCut on the same store. Safe for concurrent use.
type Cache struct {
	store eventstore.Store
	now   func() time.Time
	mu    sync.Mutex
	confs map[uuid.UUID]*cached
}

// cached is a conference's state folded up to pos, with the classifier
// that read it, and the latest cut of each kiosk.
type cached struct {
	mu   sync.Mutex
	pos  int64
	st   *state
	cls  *scope.Classifier
	cuts map[string]kioskCut
}

type kioskCut struct {
	pos int64
	at  time.Time
}

// cutsKept is how long a kiosk's latest cut holds the base back.
const cutsKept = 10 * time.Minute

// NewCache returns an empty cache over store.
func NewCache(store eventstore.Store) *Cache {
	return &Cache{store: store, now: time.Now, confs: map[uuid.UUID]*cached{}}
}

// ComputeCut is ComputeCut(ctx, store, conference, cut), from the cache.
// A cut below the base (a kiosk asking for the first time, behind all the
// others) is computed from the start of the log.
func (c *Cache) ComputeCut(ctx context.Context, conference uuid.UUID, cut Cut) (map[string]string, error) {
	if conference == uuid.Nil {
		return nil, fmt.Errorf("digest: conference id is required")
	}
	c.mu.Lock()
	e, ok := c.confs[conference]
	if !ok {
		e = &cached{st: newState(), cls: scope.NewClassifier(), cuts: map[string]kioskCut{}}
		c.confs[conference] = e
	}
	c.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	upTo := cut.Position
	if upTo == 0 {
		head, err := c.store.Head(ctx)
		if err != nil {
			return nil, fmt.Errorf("digest of %s: %w", conference, err)
		}
		upTo = head
	}
	// A bounded cut moves the base (a kiosk's own cuts, keyed by origin,
	// or a kiosk digesting its own log, keyed ""); the whole log does not.
	target := e.pos
	if cut.Position > 0 {
		target = e.track(cut.Origin, upTo, c.now())
	}
	if upTo < e.pos {
		return ComputeCut(ctx, c.store, conference, cut)
	}
	// A kiosk's events past its sequence number never lie at or before
	// its position (it recorded them after taking its cut, so the hub
	// stored them later); finding one would make the base wrong for that
	// kiosk, so the cut is then computed from the start.
	pastCut := func(ev *eventstore.Event) bool {
		return cut.Origin != "" && ev.Origin == cut.Origin && ev.OriginSeq > cut.OriginSeq
	}
	if target > e.pos {
		if err := e.read(ctx, c.store, conference, e.cls, e.pos, target, func(ev *eventstore.Event) error {
			if pastCut(ev) {
				return errPastCut
			}
			return e.st.add(ev)
		}); err != nil {
			// Half applied: start over next time.
			e.st, e.pos, e.cls = newState(), 0, scope.NewClassifier()
			if errors.Is(err, errPastCut) {
				return ComputeCut(ctx, c.store, conference, cut)
			}
			return nil, err
		}
		e.pos = target
		e.cls.TakeLearned() // nobody persists them
	}
	// Past the base, a fork of its classifier learns, so the base's stays
	// where the base is.
	s, cls := e.st.clone(), e.cls.Fork()
	base := Cut{Position: upTo}
	err := e.read(ctx, c.store, conference, cls, e.pos, upTo, func(ev *eventstore.Event) error {
		if pastCut(ev) {
			return errPastCut
		}
		return s.add(ev)
	})
	if err == nil && cut.Origin != "" {
		// The kiosk's own events past its position, up to its sequence.
		err = e.read(ctx, c.store, conference, cls, upTo, 0, func(ev *eventstore.Event) error {
			if !base.includes(ev) && cut.includes(ev) {
				return s.add(ev)
			}
			return nil
		})
	}
	if errors.Is(err, errPastCut) {
		return ComputeCut(ctx, c.store, conference, cut)
	}
	if err != nil {
		return nil, err
	}
	return s.digest(), nil
}

// track records a kiosk's latest cut and returns the lowest cut of the
// kiosks that asked recently: where the base may go.
func (e *cached) track(kiosk string, pos int64, now time.Time) int64 {
	e.cuts[kiosk] = kioskCut{pos: pos, at: now}
	low := pos
	for k, c := range e.cuts {
		if now.Sub(c.at) > cutsKept {
			delete(e.cuts, k)
			continue
		}
		low = min(low, c.pos)
	}
	return low
}

var errPastCut = errors.New("an event past the cut lies before its position")

// read feeds fn the conference's events with after < position <= upTo (no
// bound when upTo is 0), classifying every event on the way with cls.
func (e *cached) read(ctx context.Context, store eventstore.Store, conference uuid.UUID, cls *scope.Classifier, after, upTo int64,
	fn func(*eventstore.Event) error) error {
	for {
		evs, err := store.ReadLog(ctx, after, 4096)
		if err != nil {
			return fmt.Errorf("digest of %s: read log after %d: %w", conference, after, err)
		}
		for i := range evs {
			ev := &evs[i]
			if upTo > 0 && ev.Position > upTo {
				return nil
			}
			if c, ok := cls.Conference(ev); ok && c == conference {
				if err := fn(ev); err != nil {
					return err
				}
			}
		}
		if len(evs) < 4096 {
			return nil
		}
		after = evs[len(evs)-1].Position
	}
}

// clone copies the state, so a digest (which sorts in place) or a cut's
// extra events leave the original as it was.
func (s *state) clone() *state {
	return &state{
		events: slices.Clone(s.events), hubOnly: slices.Clone(s.hubOnly), sold: maps.Clone(s.sold),
		allocated: maps.Clone(s.allocated), checkIns: slices.Clone(s.checkIns), seats: maps.Clone(s.seats),
		buyers: slices.Clone(s.buyers), orders: maps.Clone(s.orders),
	}
}
