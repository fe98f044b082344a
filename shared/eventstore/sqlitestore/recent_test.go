package sqlitestore_test

import (
	"context"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
)

// ReadLog answers the newest events from memory. What it answers must be
// what the table holds, field for field: read everything back through a
// freshly opened store, its memory cleared, and compare.
func TestReadLogFromMemoryEqualsTheTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(data string) eventstore.Event {
		e := eventstore.Event{EventID: ids.New(), Type: "test.Happened", Schema: 2, CorrelationID: ids.New()}
		if data != "" {
			e.Data = []byte(data)
		}
		return e
	}
	// Concurrent appends (shared groups), a chain, a replicated event, an
	// idempotent retry (a duplicate group takes the slow path) and an
	// event without payload.
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := eventstore.Stream{ID: "order-" + string(rune('a'+i%8)), Type: "order"}
			if _, err := s.Append(ctx, st, eventstore.AnyVersion, []eventstore.Event{ev(`{"n":1}`), ev("")}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := s.CommitAll(ctx, []eventstore.Batch{
		{Stream: eventstore.Stream{ID: "p-1", Type: "process"}, ExpectedVersion: eventstore.NoStream, Events: []eventstore.Event{ev(`{"chain":1}`)}},
		{Stream: eventstore.Stream{ID: "p-2", Type: "process"}, ExpectedVersion: eventstore.NoStream, Events: []eventstore.Event{ev(`{"chain":2}`)}},
	}); err != nil {
		t.Fatal(err)
	}
	kiosk := ev(`{"kiosk":true}`)
	kiosk.Origin, kiosk.OriginSeq, kiosk.Seen, kiosk.CausationID = "k1", 1, 3, ids.New()
	retry := []eventstore.Event{kiosk}
	for range 2 {
		if _, err := s.Append(ctx, eventstore.Stream{ID: "walkup-1", Type: "order"}, eventstore.AnyVersion, retry); err != nil {
			t.Fatal(err)
		}
	}
	fromMemory, err := s.ReadLog(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	streams := []string{"p-1", "p-2", "walkup-1"}
	for i := range 8 {
		streams = append(streams, "order-"+string(rune('a'+i)))
	}
	streamsFromMemory, err := s.ReadStreams(ctx, append(streams, "never-written"))
	if err != nil {
		t.Fatal(err)
	}
	streamFromMemory := map[string][]eventstore.Event{}
	for _, id := range streams {
		if streamFromMemory[id], err = s.ReadStream(ctx, id, 1); err != nil {
			t.Fatal(err)
		}
	}
	if want := 40*2 + 2 + 1; len(fromMemory) != want {
		t.Fatalf("read %d events, want %d", len(fromMemory), want)
	}
	// A page from the middle, as a follower reads it.
	page, err := s.ReadLog(ctx, 10, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(page, fromMemory[10:15]) {
		t.Fatalf("page after 10: %+v, want %+v", page, fromMemory[10:15])
	}
	s.Close()

	s, err = sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sqlitestore.ForgetRecent(s) // it loaded the unindexed events back
	fromTable, err := s.ReadLog(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromTable) != len(fromMemory) {
		t.Fatalf("table holds %d events, memory answered %d", len(fromTable), len(fromMemory))
	}
	for i := range fromTable {
		if !reflect.DeepEqual(fromTable[i], fromMemory[i]) {
			t.Fatalf("event %d:\nmemory %+v\ntable  %+v", i, fromMemory[i], fromTable[i])
		}
	}
	streamsFromTable, err := s.ReadStreams(ctx, append(streams, "never-written"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(streamsFromTable, streamsFromMemory) {
		t.Fatalf("ReadStreams:\nmemory %+v\ntable  %+v", streamsFromMemory, streamsFromTable)
	}
	for _, id := range streams {
		fromTable, err := s.ReadStream(ctx, id, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(fromTable) == 0 && id != "p-1" && id != "p-2" && id != "walkup-1" {
			t.Fatalf("stream %s has no events after version 1", id)
		}
		if !reflect.DeepEqual(fromTable, streamFromMemory[id]) && (len(fromTable) > 0 || len(streamFromMemory[id]) > 0) {
			t.Fatalf("stream %s:\nmemory %+v\ntable  %+v", id, streamFromMemory[id], fromTable)
		}
	}
}

// More events than the memory holds: the older ones come from the table,
// the log stays whole and in order.
func TestReadLogPastTheMemory(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	const n = 5000 // more than the store keeps in memory
	for i := 0; i < n; i += 100 {
		batch := make([]eventstore.Event, 100)
		for j := range batch {
			batch[j] = eventstore.Event{EventID: ids.New(), Type: "test.Happened", Schema: 1, Data: []byte(`{}`)}
		}
		if _, err := s.Append(ctx, eventstore.Stream{ID: "bulk", Type: "t"}, eventstore.AnyVersion, batch); err != nil {
			t.Fatal(err)
		}
	}
	// The stream's older half has left the memory: it comes from the table.
	for _, from := range []int64{0, n - 10, n} {
		evs, err := s.ReadStream(ctx, "bulk", from)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(evs)) != n-from || (len(evs) > 0 && evs[0].StreamVersion != from+1) {
			t.Fatalf("stream after %d: %d events, want %d", from, len(evs), n-from)
		}
	}
	var after int64
	for after < n {
		evs, err := s.ReadLog(ctx, after, 700)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			t.Fatalf("log ends at %d, want %d", after, n)
		}
		for _, e := range evs {
			if e.Position != after+1 || e.StreamVersion != e.Position {
				t.Fatalf("after %d came position %d version %d", after, e.Position, e.StreamVersion)
			}
			after = e.Position
		}
	}
}
