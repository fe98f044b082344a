package eventsourcing

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
)

// ErrUnknownEvent is matched by errors decoding a type or schema version the
// registry does not know.
var ErrUnknownEvent = errors.New("unknown event type or schema")

// Upcaster lifts a payload from one schema version to the next.
type Upcaster func(data []byte) ([]byte, error)

type registration struct {
	typ    reflect.Type
	schema int
}

type upcastKey struct {
	name string
	from int
}

// Registry maps event type names to Go types and current schema versions,
// and holds the upcasters that lift older payloads. Register everything at
// start-up; lookups are safe for concurrent use afterwards.
type Registry struct {
	mu        sync.RWMutex
	byName    map[string]registration
	upcasters map[upcastKey]Upcaster
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byName: map[string]registration{}, upcasters: map[upcastKey]Upcaster{}}
}

// Register records e's concrete type under e.EventType() at schema version
// schema (1 for a new event). e must be a struct value, not a pointer.
func (r *Registry) Register(e Event, schema int) {
	t := reflect.TypeOf(e)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byName[e.EventType()] = registration{typ: t, schema: schema}
}

// RegisterUpcaster installs the step that lifts name from schema from to from+1.
func (r *Registry) RegisterUpcaster(name string, from int, up Upcaster) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.upcasters[upcastKey{name, from}] = up
}

// Encode returns the type name, current schema version and JSON payload of e.
func (r *Registry) Encode(e Event) (name string, schema int, data []byte, err error) {
	name = e.EventType()
	r.mu.RLock()
	reg, ok := r.byName[name]
	r.mu.RUnlock()
	if !ok {
		return "", 0, nil, fmt.Errorf("encode %s: %w", name, ErrUnknownEvent)
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", 0, nil, fmt.Errorf("encode %s: %w", name, err)
	}
	return name, reg.schema, data, nil
}

// Decode turns a stored payload back into its event, upcasting older schema
// versions step by step. Unknown names, newer schemas and missing upcasters
// are errors naming the type and version.
func (r *Registry) Decode(name string, schema int, data []byte) (Event, error) {
	r.mu.RLock()
	reg, ok := r.byName[name]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("decode %s schema %d: %w", name, schema, ErrUnknownEvent)
	}
	if schema > reg.schema {
		return nil, fmt.Errorf("decode %s schema %d (this build knows up to %d): %w", name, schema, reg.schema, ErrUnknownEvent)
	}
	for v := schema; v < reg.schema; v++ {
		r.mu.RLock()
		up, ok := r.upcasters[upcastKey{name, v}]
		r.mu.RUnlock()
		if !ok {
			return nil, fmt.Errorf("decode %s schema %d: no upcaster from %d: %w", name, schema, v, ErrUnknownEvent)
		}
		var err error
		if data, err = up(data); err != nil {
			return nil, fmt.Errorf("upcast %s from schema %d: %w", name, v, err)
		}
	}
	ptr := reflect.New(reg.typ)
	if err := json.Unmarshal(data, ptr.Interface()); err != nil {
		return nil, fmt.Errorf("decode %s schema %d: %w", name, schema, err)
	}
	return ptr.Elem().Interface().(Event), nil
}
