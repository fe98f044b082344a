// Package eventsourcing connects aggregates to the event store: the domain
// event interface, the bookkeeping every aggregate embeds, the codec registry
// that turns events into envelopes and back (with upcasters for old schema
// versions), and a repository that loads, decides and appends with optimistic
// concurrency.
//
// Domain packages import only the small part of this package they need
// (Event, Root); they never see SQL or the store.
package eventsourcing

// Event is a domain event: a fact an aggregate recorded. Its type name is
// stable across releases ("registrations.OrderPlaced"); renaming it needs an
// upcaster, not a code change.
type Event interface {
	EventType() string
}

// Aggregate is implemented by every event-sourced aggregate. Apply evolves
// state from one event and must not fail: validation belongs in the behaviour
// methods that decide which events to record.
//
// The unexported root method is promoted from an embedded Root, so an
// aggregate is any struct that embeds Root and defines Apply and StreamType.
type Aggregate interface {
	StreamType() string
	Apply(Event)
	root() *Root
}

// Root keeps the identity, version and not-yet-saved events of an aggregate.
// Embed it by value.
type Root struct {
	id      string
	version int64
	changes []Event
}

func (r *Root) root() *Root { return r }

// ID is the aggregate's stream id.
func (r *Root) ID() string { return r.id }

// SetID names a new aggregate. Behaviour methods that create one call it
// before recording the creating event.
func (r *Root) SetID(id string) { r.id = id }

// Version is the stream version including unsaved changes.
func (r *Root) Version() int64 { return r.version + int64(len(r.changes)) }

// Changes are the events recorded since the aggregate was loaded or saved.
func (r *Root) Changes() []Event { return r.changes }

// Record applies e to a and queues it for saving. Behaviour methods call it
// with the aggregate itself: o.Record(o, OrderPlaced{...}).
func (r *Root) Record(a Aggregate, e Event) {
	a.Apply(e)
	r.changes = append(r.changes, e)
}

// Replay rebuilds an aggregate from stored events, as the repository does
// and as given-events tests do.
func Replay(a Aggregate, id string, baseVersion int64, events ...Event) {
	r := a.root()
	r.id = id
	r.version = baseVersion
	for _, e := range events {
		a.Apply(e)
		r.version++
	}
}

// Changes returns the events a recorded since it was loaded, for tests and
// for the repository.
func Changes(a Aggregate) []Event { return a.root().changes }

// markSaved moves pending changes into the persisted version.
func markSaved(a Aggregate) {
	r := a.root()
	r.version += int64(len(r.changes))
	r.changes = nil
}

// storedVersion is the version the aggregate was loaded at.
func storedVersion(a Aggregate) int64 { return a.root().version }
