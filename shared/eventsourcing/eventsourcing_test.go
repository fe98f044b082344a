package eventsourcing_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
)

// Counter is a minimal aggregate: the rules under test are the repository's.
type Counter struct {
	eventsourcing.Root
	total int
}

type Incremented struct {
	By int `json:"by"`
}

func (Incremented) EventType() string { return "test.Incremented" }

func (*Counter) StreamType() string { return "test.Counter" }

func (c *Counter) Apply(e eventsourcing.Event) {
	if inc, ok := e.(Incremented); ok {
		c.total += inc.By
	}
}

func (c *Counter) Increment(by int) error {
	if by <= 0 {
		return errors.New("increment must be positive")
	}
	c.Record(c, Incremented{By: by})
	return nil
}

func (c *Counter) SnapshotSchema() int              { return 1 }
func (c *Counter) MarshalSnapshot() ([]byte, error) { return json.Marshal(c.total) }
func (c *Counter) UnmarshalSnapshot(_ int, data []byte) error {
	return json.Unmarshal(data, &c.total)
}

func registry() *eventsourcing.Registry {
	r := eventsourcing.NewRegistry()
	r.Register(Incremented{}, 2)
	// Schema 1 called the field "amount".
	r.RegisterUpcaster("test.Incremented", 1, func(data []byte) ([]byte, error) {
		var v1 struct {
			Amount int `json:"amount"`
		}
		if err := json.Unmarshal(data, &v1); err != nil {
			return nil, err
		}
		return json.Marshal(Incremented{By: v1.Amount})
	})
	return r
}

func TestDecodeUpcastsOldSchema(t *testing.T) {
	e, err := registry().Decode("test.Incremented", 1, []byte(`{"amount":7}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e, (Incremented{By: 7}); got != want {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

func TestDecodeErrorsNameTypeAndVersion(t *testing.T) {
	cases := []struct {
		name   string
		schema int
		want   string
	}{
		{"test.Unheard", 1, "test.Unheard schema 1"},
		{"test.Incremented", 3, "test.Incremented schema 3"},
	}
	for _, tc := range cases {
		_, err := registry().Decode(tc.name, tc.schema, []byte(`{}`))
		if !errors.Is(err, eventsourcing.ErrUnknownEvent) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("decode %s/%d: got %v, want ErrUnknownEvent naming %q", tc.name, tc.schema, err, tc.want)
		}
	}
}

func open(t *testing.T) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "es.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRepositoryRoundTripAndNotFound(t *testing.T) {
	s := open(t)
	repo := eventsourcing.NewRepository(s, registry(), func() *Counter { return &Counter{} })
	ctx := context.Background()
	if _, err := repo.Load(ctx, "counter-1"); !errors.Is(err, eventsourcing.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	for _, by := range []int{2, 3} {
		if err := repo.Update(ctx, "counter-1", eventsourcing.Metadata{}, func(c *Counter) error { return c.Increment(by) }); err != nil {
			t.Fatal(err)
		}
	}
	c, err := repo.Load(ctx, "counter-1")
	if err != nil || c.total != 5 || c.Version() != 2 {
		t.Fatalf("got total %d version %d (err %v), want 5 at version 2", c.total, c.Version(), err)
	}
	// A rejected command records nothing.
	err = repo.Update(ctx, "counter-1", eventsourcing.Metadata{}, func(c *Counter) error { return c.Increment(-1) })
	if err == nil {
		t.Fatal("negative increment accepted")
	}
	if evs, _ := s.ReadStream(ctx, "counter-1", 0); len(evs) != 2 {
		t.Fatalf("got %d events, want 2", len(evs))
	}
}

func TestStaleSaveIsAConflictAndUpdateRetries(t *testing.T) {
	s := open(t)
	repo := eventsourcing.NewRepository(s, registry(), func() *Counter { return &Counter{} })
	ctx := context.Background()
	repo.Update(ctx, "c", eventsourcing.Metadata{}, func(c *Counter) error { return c.Increment(1) })
	stale, _ := repo.Load(ctx, "c")
	repo.Update(ctx, "c", eventsourcing.Metadata{}, func(c *Counter) error { return c.Increment(1) })
	stale.Increment(10)
	if err := repo.Save(ctx, stale, eventsourcing.Metadata{}); !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("got %v, want a concurrency conflict", err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := repo.Update(ctx, "c", eventsourcing.Metadata{}, func(c *Counter) error { return c.Increment(1) }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	c, _ := repo.Load(ctx, "c")
	if c.total != 18 {
		t.Fatalf("got %d, want 18: no increment lost to a conflict", c.total)
	}
}

func TestSnapshotShortensReplayAndMatchesFullReplay(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	snapRepo := eventsourcing.NewRepository(s, registry(), func() *Counter { return &Counter{} }, eventsourcing.WithSnapshotEvery(10))
	for i := 0; i < 25; i++ {
		if err := snapRepo.Update(ctx, "big", eventsourcing.Metadata{}, func(c *Counter) error { return c.Increment(1) }); err != nil {
			t.Fatal(err)
		}
	}
	snap, ok, _ := s.LoadSnapshot(ctx, "big")
	if !ok || snap.Version != 20 {
		t.Fatalf("got snapshot %+v ok=%v, want one at version 20", snap, ok)
	}
	fromSnap, _ := snapRepo.Load(ctx, "big")
	plain := eventsourcing.NewRepository(s, registry(), func() *Counter { return &Counter{} })
	full, _ := plain.Load(ctx, "big")
	if fromSnap.total != 25 || full.total != 25 || fromSnap.Version() != full.Version() {
		t.Fatalf("snapshot load %d@%d, full replay %d@%d: want both 25@25", fromSnap.total, fromSnap.Version(), full.total, full.Version())
	}
}
