// Package appendplan holds the rules every event store applies to an
// append before writing it, so the SQLite and PostgreSQL stores cannot
// drift apart: what a valid batch is, the expected-version check, when a
// batch is a harmless redelivery (every event id stored already), the
// origin_seq rules for replicated events, and how a locally recorded
// event's envelope is completed (origin, gap-free origin_seq, causal
// context, clock, position).
//
// A store plans the appends of one transaction (a group) against a Group,
// which overlays the committed state with what the group's earlier
// appends changed, and asks its Lookup for what it does not know.
package appendplan

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/hlc"
)

// Lookup answers from the committed state of the store (and whatever the
// store knows of the group's own writes).
type Lookup interface {
	// StreamVersion is a stream's committed version (0 when new).
	StreamVersion(ctx context.Context, streamID string) (int64, error)
	// Duplicate reports whether every event of b is stored already, and
	// if so the result the original append produced.
	Duplicate(ctx context.Context, b eventstore.Batch) (eventstore.Result, bool, error)
	// OriginSeq is the last origin_seq committed from origin (0 for none).
	OriginSeq(origin string) int64
}

// Envelope completes locally recorded events.
type Envelope struct {
	// Node is this store's origin name ("hub" or a kiosk id).
	Node string
	// Seen gives a local event's causal context from the log head.
	Seen  func(head int64) int64
	Clock *hlc.Clock
	Now   func() time.Time
}

// Group is what the appends of one transaction change before it commits.
type Group struct {
	Head     int64            // log position of the last event planned
	Events   bool             // some append of the group stores events
	Versions map[string]int64 // stream -> version within the group
	Origins  map[string]int64 // origin -> last origin_seq within the group
}

// NewGroup starts a group at the committed log head.
func NewGroup(head int64) *Group {
	return &Group{Head: head, Versions: map[string]int64{}, Origins: map[string]int64{}}
}

// Row is one event ready to insert, its envelope complete.
type Row struct {
	E       *eventstore.Event
	Version int64
}

// Validate refuses a batch no store may write (eventstore.ErrInvalid),
// before any storage is touched. It fills an event's missing data with {}.
func Validate(b *eventstore.Batch) error {
	if len(b.Events) > 0 && (b.Stream.ID == "" || b.Stream.Type == "") {
		return fmt.Errorf("%w: events need a stream id and type", eventstore.ErrInvalid)
	}
	if b.ExpectedVersion < eventstore.AnyVersion {
		return fmt.Errorf("%w: expected version %d", eventstore.ErrInvalid, b.ExpectedVersion)
	}
	for i := range b.Events {
		e := &b.Events[i]
		switch {
		case e.EventID == uuid.Nil:
			return fmt.Errorf("%w: event %d of %s has no event id", eventstore.ErrInvalid, i, b.Stream.ID)
		case e.Type == "":
			return fmt.Errorf("%w: event %d of %s has no type", eventstore.ErrInvalid, i, b.Stream.ID)
		case e.Schema < 1:
			return fmt.Errorf("%w: event %s of type %s has schema %d", eventstore.ErrInvalid, e.EventID, e.Type, e.Schema)
		case e.StreamID != "" && e.StreamID != b.Stream.ID:
			return fmt.Errorf("%w: event %s belongs to stream %s, not %s", eventstore.ErrInvalid, e.EventID, e.StreamID, b.Stream.ID)
		case e.Origin != "" && e.OriginSeq < 1:
			return fmt.Errorf("%w: replicated event %s from %s has origin_seq %d", eventstore.ErrInvalid, e.EventID, e.Origin, e.OriginSeq)
		case e.Data == nil:
			e.Data = []byte("{}")
		}
	}
	for i := range b.Outbox {
		if err := ValidateMessage(b.Outbox[i]); err != nil {
			return fmt.Errorf("outbox message %d: %w", i, err)
		}
	}
	return nil
}

// ValidateMessage refuses an outbox message without an id or a type.
func ValidateMessage(m eventstore.Message) error {
	if m.ID == uuid.Nil || m.Type == "" {
		return fmt.Errorf("%w: outbox message needs an id and a type", eventstore.ErrInvalid)
	}
	return nil
}

// Plan checks one batch against the group and the committed state and
// completes its envelopes, assigning positions, without writing anything.
// Conflicts and duplicates are found here. A batch that fails changes
// nothing in g; one that succeeds is recorded in g (undo it with Mark and
// Restore if the store cannot write it after all).
func (g *Group) Plan(ctx context.Context, lk Lookup, env Envelope, b eventstore.Batch) (eventstore.Result, []Row, error) {
	var res eventstore.Result
	if len(b.Events) == 0 {
		return res, nil, nil
	}
	current, err := g.streamVersion(ctx, lk, b.Stream.ID)
	if err != nil {
		return res, nil, err
	}
	if b.ExpectedVersion != eventstore.AnyVersion && b.ExpectedVersion != current {
		if dup, ok, err := lk.Duplicate(ctx, b); err != nil || ok {
			return dup, nil, err
		}
		return res, nil, &eventstore.ConflictError{StreamID: b.Stream.ID, Expected: b.ExpectedVersion, Actual: current}
	}
	// Replicated events must continue their origin's sequence; one at or
	// below it is a redelivery, which must be a duplicate by id as well.
	for i := range b.Events {
		e := &b.Events[i]
		if e.Origin == "" {
			continue
		}
		last := g.originSeq(lk, e.Origin)
		if e.OriginSeq <= last+int64(i) {
			if dup, ok, err := lk.Duplicate(ctx, b); err != nil || ok {
				return dup, nil, err
			}
			return res, nil, fmt.Errorf("%w: event %s from %s reuses origin_seq %d (stored up to %d)", eventstore.ErrInvalid, e.EventID, e.Origin, e.OriginSeq, last)
		}
		break
	}
	now := env.Now().UnixMilli()
	rows := make([]Row, len(b.Events))
	envs := append([]eventstore.Event(nil), b.Events...) // the caller's slice stays untouched
	for i := range envs {
		e := &envs[i]
		if e.Origin == "" {
			last := g.originSeq(lk, env.Node)
			e.Origin, e.OriginSeq, e.Seen = env.Node, last+1, env.Seen(g.Head)
		} else if last := g.Origins[e.Origin]; i > 0 && e.OriginSeq <= last {
			return res, nil, fmt.Errorf("%w: events of %s out of origin order in one batch", eventstore.ErrInvalid, e.Origin)
		}
		if e.HLC == 0 {
			e.HLC = env.Clock.Now()
		}
		e.StreamID, e.StreamType = b.Stream.ID, b.Stream.Type
		e.RecordedAt = time.UnixMilli(now)
		g.Head++
		e.Position = g.Head
		g.Origins[e.Origin] = e.OriginSeq
		rows[i] = Row{E: e, Version: current + int64(i) + 1}
	}
	g.Versions[b.Stream.ID] = current + int64(len(b.Events))
	g.Events = true
	res.Version, res.LastPosition = current+int64(len(b.Events)), g.Head
	return res, rows, nil
}

// streamVersion reads a stream's version through the group overlay.
func (g *Group) streamVersion(ctx context.Context, lk Lookup, id string) (int64, error) {
	if v, ok := g.Versions[id]; ok {
		return v, nil
	}
	v, err := lk.StreamVersion(ctx, id)
	if err != nil {
		return 0, err
	}
	g.Versions[id] = v
	return v, nil
}

// originSeq reads an origin's last origin_seq through the group overlay.
func (g *Group) originSeq(lk Lookup, origin string) int64 {
	if v, ok := g.Origins[origin]; ok {
		return v
	}
	return lk.OriginSeq(origin)
}

// Undo is what one batch may change in a Group, kept to restore if the
// batch fails after planning. Copying the group's maps for every batch
// would cost a group of n batches n² map writes.
type Undo struct {
	head       int64
	events     bool
	stream     string
	version    int64
	hadVersion bool
	origins    []originUndo
}

type originUndo struct {
	origin string
	seq    int64
	had    bool
}

// Mark records the entries of g that batch b may change.
func (g *Group) Mark(b eventstore.Batch, node string) Undo {
	u := Undo{head: g.Head, events: g.Events, stream: b.Stream.ID}
	u.version, u.hadVersion = g.Versions[b.Stream.ID]
	keep := func(o string) {
		for _, k := range u.origins {
			if k.origin == o {
				return
			}
		}
		seq, had := g.Origins[o]
		u.origins = append(u.origins, originUndo{o, seq, had})
	}
	keep(node)
	for i := range b.Events {
		if o := b.Events[i].Origin; o != "" {
			keep(o)
		}
	}
	return u
}

// Restore puts back what Mark recorded.
func (g *Group) Restore(u Undo) {
	g.Head, g.Events = u.head, u.events
	if u.hadVersion {
		g.Versions[u.stream] = u.version
	} else {
		delete(g.Versions, u.stream)
	}
	for _, k := range u.origins {
		if k.had {
			g.Origins[k.origin] = k.seq
		} else {
			delete(g.Origins, k.origin)
		}
	}
}
