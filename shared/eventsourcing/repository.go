package eventsourcing

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/ids"
)

// ErrNotFound is returned by Load for a stream with no events.
var ErrNotFound = errors.New("aggregate not found")

// Snapshotter is implemented by aggregates with long streams (a conference's
// SeatsAvailability sees every reservation) so loading does not replay all.
type Snapshotter interface {
	SnapshotSchema() int
	MarshalSnapshot() ([]byte, error)
	UnmarshalSnapshot(schema int, data []byte) error
}

// Metadata travels with a save: the conversation the change belongs to, the
// messages it causes (written to the outbox in the same transaction) and the
// processed mark of the message that caused it.
type Metadata struct {
	CorrelationID uuid.UUID
	CausationID   uuid.UUID
	Outbox        []eventstore.Message
	Processed     *eventstore.Processed
}

// Repository loads and saves aggregates of one type.
type Repository[A Aggregate] struct {
	store         eventstore.Store
	codec         *Registry
	newAggregate  func() A
	snapshotEvery int64
	maxRetries    int
	cache         *streamCache // nil for aggregates with snapshots
	versions      VersionTeller
}

// Option configures a Repository.
type Option func(*repoOptions)

type repoOptions struct {
	snapshotEvery int64
	maxRetries    int
}

// WithSnapshotEvery saves a snapshot each time the stream grows by n events
// (aggregates implementing Snapshotter only).
func WithSnapshotEvery(n int64) Option { return func(o *repoOptions) { o.snapshotEvery = n } }

// WithMaxRetries bounds Update's retries on concurrency conflicts.
func WithMaxRetries(n int) Option { return func(o *repoOptions) { o.maxRetries = n } }

// NewRepository returns a repository creating empty aggregates with newAggregate.
func NewRepository[A Aggregate](store eventstore.Store, codec *Registry, newAggregate func() A, opts ...Option) *Repository[A] {
	o := repoOptions{maxRetries: 10}
	for _, opt := range opts {
		opt(&o)
	}
	r := &Repository[A]{store: store, codec: codec, newAggregate: newAggregate, snapshotEvery: o.snapshotEvery, maxRetries: o.maxRetries}
	// Streams with snapshots are long; the cache is for the short ones.
	if vt, ok := store.(VersionTeller); ok {
		if _, snaps := any(newAggregate()).(Snapshotter); !snaps {
			r.cache, r.versions = &streamCache{}, vt
		}
	}
	return r
}

// Load rebuilds the aggregate with the given id, from its latest snapshot
// when there is one. It returns ErrNotFound for a stream with no events.
func (r *Repository[A]) Load(ctx context.Context, id string) (A, error) {
	if r.cache != nil {
		return r.loadCached(ctx, id)
	}
	a := r.newAggregate()
	var base int64
	if snap, ok := any(a).(Snapshotter); ok && r.snapshotEvery > 0 {
		s, found, err := r.store.LoadSnapshot(ctx, id)
		if err != nil {
			return a, fmt.Errorf("load snapshot of %s: %w", id, err)
		}
		if found && s.Schema == snap.SnapshotSchema() {
			if err := snap.UnmarshalSnapshot(s.Schema, s.Data); err != nil {
				return a, fmt.Errorf("restore snapshot of %s at %d: %w", id, s.Version, err)
			}
			base = s.Version
		}
	}
	stored, err := r.store.ReadStream(ctx, id, base)
	if err != nil {
		return a, fmt.Errorf("read stream %s: %w", id, err)
	}
	if base == 0 && len(stored) == 0 {
		return a, fmt.Errorf("load %s %s: %w", a.StreamType(), id, ErrNotFound)
	}
	events := make([]Event, 0, len(stored))
	for _, se := range stored {
		e, err := r.codec.Decode(se.Type, se.Schema, se.Data)
		if err != nil {
			return a, fmt.Errorf("load %s at version %d: %w", id, se.StreamVersion, err)
		}
		events = append(events, e)
	}
	Replay(a, id, base, events...)
	return a, nil
}

// loadCached is Load through the stream cache: the payloads remembered,
// and whatever the store holds after them unless it says there is none.
func (r *Repository[A]) loadCached(ctx context.Context, id string) (A, error) {
	a := r.newAggregate()
	known := r.cache.get(id)
	payloads := known
	if v, ok := r.versions.StreamVersion(id); !ok || v != int64(len(known)) {
		stored, err := r.store.ReadStream(ctx, id, int64(len(known)))
		if err != nil {
			return a, fmt.Errorf("read stream %s: %w", id, err)
		}
		more := make([]storedPayload, len(stored))
		for i, se := range stored {
			more[i] = storedPayload{typ: se.Type, schema: se.Schema, data: se.Data}
		}
		if len(more) > 0 {
			r.cache.put(id, int64(len(known)), more)
			payloads = append(known[:len(known):len(known)], more...)
		}
	}
	if len(payloads) == 0 {
		return a, fmt.Errorf("load %s %s: %w", a.StreamType(), id, ErrNotFound)
	}
	events := make([]Event, 0, len(payloads))
	for i, p := range payloads {
		e, err := r.codec.Decode(p.typ, p.schema, p.data)
		if err != nil {
			return a, fmt.Errorf("load %s at version %d: %w", id, i+1, err)
		}
		events = append(events, e)
	}
	Replay(a, id, 0, events...)
	return a, nil
}

// Save appends the aggregate's pending events, expecting the stream to be at
// the version it was loaded at. A concurrent writer makes it fail with an
// error matching eventstore.ErrConcurrency and nothing written.
func (r *Repository[A]) Save(ctx context.Context, a A, meta Metadata) error {
	changes := Changes(a)
	if len(changes) == 0 && len(meta.Outbox) == 0 && meta.Processed == nil {
		return nil
	}
	id := a.root().id
	if id == "" {
		return fmt.Errorf("save %s: %w: aggregate has no id", a.StreamType(), eventstore.ErrInvalid)
	}
	expected := storedVersion(a)
	envs := make([]eventstore.Event, 0, len(changes))
	for i, e := range changes {
		name, schema, data, err := r.codec.Encode(e)
		if err != nil {
			return fmt.Errorf("save %s: %w", id, err)
		}
		envs = append(envs, eventstore.Event{
			EventID:       ids.New(),
			StreamID:      id,
			StreamType:    a.StreamType(),
			StreamVersion: expected + int64(i) + 1,
			Type:          name,
			Schema:        schema,
			Data:          data,
			CorrelationID: meta.CorrelationID,
			CausationID:   meta.CausationID,
		})
	}
	_, err := r.store.Commit(ctx, eventstore.Batch{
		Stream:          eventstore.Stream{ID: id, Type: a.StreamType()},
		ExpectedVersion: expected,
		Events:          envs,
		Outbox:          meta.Outbox,
		Processed:       meta.Processed,
	})
	if err != nil {
		return fmt.Errorf("save %s: %w", id, err)
	}
	if r.cache != nil && len(envs) > 0 {
		more := make([]storedPayload, len(envs))
		for i, e := range envs {
			more[i] = storedPayload{typ: e.Type, schema: e.Schema, data: e.Data}
		}
		r.cache.put(id, expected, more)
	}
	markSaved(a)
	r.maybeSnapshot(ctx, a, expected)
	return nil
}

// maybeSnapshot saves a snapshot when the stream crossed a multiple of
// snapshotEvery. Failure only costs replay time later, so it is not an error.
func (r *Repository[A]) maybeSnapshot(ctx context.Context, a A, before int64) {
	snap, ok := any(a).(Snapshotter)
	if !ok || r.snapshotEvery <= 0 {
		return
	}
	after := storedVersion(a)
	if after/r.snapshotEvery == before/r.snapshotEvery {
		return
	}
	data, err := snap.MarshalSnapshot()
	if err != nil {
		return
	}
	_ = r.store.SaveSnapshot(ctx, eventstore.Snapshot{StreamID: a.root().id, Version: after, Schema: snap.SnapshotSchema(), Data: data})
}

// Update loads the aggregate, lets decide change it and saves with meta,
// retrying from a fresh load when another writer got there first. decide must
// be free of side effects other than on the aggregate, since it may run more
// than once. A missing aggregate is handed to decide as a new, empty one with
// the id set.
func (r *Repository[A]) Update(ctx context.Context, id string, meta Metadata, decide func(A) error) error {
	return r.UpdateWith(ctx, id, func(a A) (Metadata, error) { return meta, decide(a) })
}

// UpdateWith is Update for callers whose metadata depends on the decision,
// such as a process manager whose outbox holds the commands it decided on.
func (r *Repository[A]) UpdateWith(ctx context.Context, id string, decide func(A) (Metadata, error)) error {
	for attempt := 0; ; attempt++ {
		a, err := r.Load(ctx, id)
		if errors.Is(err, ErrNotFound) {
			a = r.newAggregate()
			a.root().id = id
		} else if err != nil {
			return err
		}
		meta, err := decide(a)
		if err != nil {
			return err
		}
		err = r.Save(ctx, a, meta)
		if !errors.Is(err, eventstore.ErrConcurrency) || attempt >= r.maxRetries {
			return err
		}
		// Writers that collided would collide again if they all retried at
		// once: spread them with a jittered, growing pause.
		pause := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up retrying: %v)", err, ctx.Err())
		case <-time.After(pause):
		}
	}
}
