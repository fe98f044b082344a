package eventsourcing_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore/sqlitestore"
)

// Tally has no snapshots, so its repository remembers its streams. It
// keeps a slice of what it applied, as real aggregates keep their events'
// maps and slices, to show that loads do not share state.
type Tally struct {
	eventsourcing.Root
	steps []int
}

func (*Tally) StreamType() string { return "test.Tally" }

func (t *Tally) Apply(e eventsourcing.Event) {
	if inc, ok := e.(Incremented); ok {
		t.steps = append(t.steps, inc.By)
	}
}

func (t *Tally) total() int {
	n := 0
	for _, s := range t.steps {
		n += s
	}
	return n
}

// Two repositories over one store (two processes' worth of caches in one):
// each sees the other's appends, including after it cached the stream, and
// concurrent updates through both lose nothing.
func TestRepositoryCacheFollowsTheStore(t *testing.T) {
	ctx := context.Background()
	store, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "events.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	repo := func() *eventsourcing.Repository[*Tally] {
		return eventsourcing.NewRepository(store, registry(), func() *Tally { return &Tally{} })
	}
	a, b := repo(), repo()
	inc := func(r *eventsourcing.Repository[*Tally], by int) {
		t.Helper()
		err := r.Update(ctx, "tally-1", eventsourcing.Metadata{}, func(t *Tally) error {
			t.Record(t, Incremented{By: by})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	total := func(r *eventsourcing.Repository[*Tally]) int {
		t.Helper()
		x, err := r.Load(ctx, "tally-1")
		if err != nil {
			t.Fatal(err)
		}
		return x.total()
	}
	inc(a, 1)
	if got := total(a); got != 1 {
		t.Fatalf("a reads %d, want 1", got)
	}
	inc(b, 10) // b appends after a cached the stream
	if got := total(a); got != 11 {
		t.Fatalf("a reads %d after b's append, want 11", got)
	}
	// A loaded aggregate changed in memory leaves the next load alone.
	x, _ := a.Load(ctx, "tally-1")
	x.steps[0] = 1000
	if got := total(a); got != 11 {
		t.Fatalf("a reads %d after a caller changed its copy, want 11", got)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := a
			if i%2 == 1 {
				r = b
			}
			if err := r.Update(ctx, "tally-1", eventsourcing.Metadata{}, func(t *Tally) error {
				t.Record(t, Incremented{By: 100})
				return nil
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	fresh := repo()
	for name, r := range map[string]*eventsourcing.Repository[*Tally]{"a": a, "b": b, "fresh": fresh} {
		if got := total(r); got != 2011 {
			t.Errorf("%s reads %d, want 2011", name, got)
		}
	}
	if _, err := a.Load(ctx, "tally-unknown"); err == nil {
		t.Error("loading a stream with no events succeeded")
	}
}
