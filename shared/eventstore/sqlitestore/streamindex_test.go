package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"

	"conference/migrations"
	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
)

func appendOne(t *testing.T, s *sqlitestore.Store, stream string, expected int64) {
	t.Helper()
	st := eventstore.Stream{ID: stream, Type: "order"}
	e := eventstore.Event{EventID: ids.New(), Type: "test.Happened", Schema: 1, Data: []byte(`{}`)}
	if _, err := s.Append(context.Background(), st, expected, []eventstore.Event{e}); err != nil {
		t.Fatalf("append %s at %d: %v", stream, expected, err)
	}
}

// wantVersions checks that events are the versions from..to of stream, in
// order, each once.
func wantVersions(t *testing.T, stream string, events []eventstore.Event, from, to int64) {
	t.Helper()
	if int64(len(events)) != to-from+1 {
		t.Fatalf("%s: %d events, want versions %d..%d", stream, len(events), from, to)
	}
	for i, e := range events {
		if e.StreamID != stream || e.StreamVersion != from+int64(i) {
			t.Fatalf("%s: event %d is %s v%d, want v%d", stream, i, e.StreamID, e.StreamVersion, from+int64(i))
		}
	}
}

// indexed counts the entries in the big stream index and in its tail.
func indexed(t *testing.T, db *sql.DB) (index, tail int) {
	t.Helper()
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM stream_index), (SELECT count(*) FROM stream_tail)`).Scan(&index, &tail); err != nil {
		t.Fatal(err)
	}
	return index, tail
}

// A stream's newest events may wait in the index's tail; readers get them
// from there, and the writer moves the tail into the big index later
// without indexing any event twice.
func TestStreamsReadWholeWhileTheirTailIsNotIndexedYet(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for v := range int64(6) {
		appendOne(t, s, "order-a", v)
		appendOne(t, s, "order-b", v)
	}
	must(t, s.Close())

	// Given: the last 7 events (order-b v3..6, order-a v4..6) wait in the
	// tail, as when a store under load stops between two index batches.
	db, err := sql.Open("sqlite", sqlitestore.DSN(path, ""))
	must(t, err)
	_, err = db.Exec(`INSERT INTO stream_tail SELECT * FROM stream_index WHERE position > 5; DELETE FROM stream_index WHERE position > 5`)
	must(t, err)
	must(t, db.Close())

	s, err = sqlitestore.Open(ctx, path, sqlitestore.Options{})
	must(t, err)
	defer s.Close()
	for _, stream := range []string{"order-a", "order-b"} {
		evs, err := s.ReadStream(ctx, stream, 0)
		must(t, err)
		wantVersions(t, stream, evs, 1, 6)
		evs, err = s.ReadStream(ctx, stream, 4)
		must(t, err)
		wantVersions(t, stream, evs, 5, 6)
	}
	both, err := s.ReadStreams(ctx, []string{"order-b", "order-a", "order-none"})
	must(t, err)
	wantVersions(t, "order-a", both["order-a"], 1, 6)
	wantVersions(t, "order-b", both["order-b"], 1, 6)
	if len(both["order-none"]) != 0 {
		t.Fatalf("a stream with no events read %d", len(both["order-none"]))
	}
	// The writer knows the tail's versions: a stale expected version is
	// still a conflict, the right one appends.
	st := eventstore.Stream{ID: "order-b", Type: "order"}
	e := eventstore.Event{EventID: ids.New(), Type: "test.Happened", Schema: 1}
	var ce *eventstore.ConflictError
	if _, err := s.Append(ctx, st, 3, []eventstore.Event{e}); !errors.As(err, &ce) || ce.Actual != 6 {
		t.Fatalf("append at 3 to a stream at 6 in the tail: %v, want a conflict naming 6", err)
	}
	// When: a quiet append; then the tail is in the big index, nothing twice.
	appendOne(t, s, "order-b", 6)
	if index, tail := indexed(t, s.DB()); index != 13 || tail != 0 {
		t.Fatalf("after a quiet append: %d entries indexed, %d in the tail; want 13 and 0", index, tail)
	}
	var distinct int
	must(t, s.DB().QueryRow(`SELECT count(DISTINCT position) FROM stream_index`).Scan(&distinct))
	if distinct != 13 {
		t.Fatalf("stream index holds %d positions, want 13", distinct)
	}
	evs, err := s.ReadStream(ctx, "order-b", 0)
	must(t, err)
	wantVersions(t, "order-b", evs, 1, 7)
}

// Under load the writer lets the tail grow and indexes it in batches;
// readers see every stream whole and in order all the while.
func TestConcurrentAppendsAreReadWholeWhileTheIndexLags(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	defer s.Close()
	const writers, each = 32, 60
	var wg sync.WaitGroup
	failed := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := eventstore.Stream{ID: fmt.Sprintf("order-%d", w), Type: "order"}
			for v := range int64(each) {
				e := eventstore.Event{EventID: ids.New(), Type: "test.Happened", Schema: 1, Data: []byte(`{}`)}
				if _, err := s.Append(ctx, st, v, []eventstore.Event{e}); err != nil {
					failed <- fmt.Errorf("append %s at %d: %w", st.ID, v, err)
					return
				}
			}
		}()
	}
	lagged := false
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		head, err := s.Head(ctx)
		must(t, err)
		if _, tail := indexed(t, s.DB()); tail > 0 {
			lagged = true
		}
		stream := fmt.Sprintf("order-%d", int(head)%writers)
		evs, err := s.ReadStream(ctx, stream, 0)
		must(t, err)
		wantVersions(t, stream, evs, 1, int64(len(evs)))
	}
	close(failed)
	for err := range failed {
		t.Fatal(err)
	}
	for w := range writers {
		stream := fmt.Sprintf("order-%d", w)
		evs, err := s.ReadStream(ctx, stream, 0)
		must(t, err)
		wantVersions(t, stream, evs, 1, each)
	}
	if !lagged {
		t.Log("the index never lagged the log in this run (groups stayed small)")
	}
}

// A database written before the stream index had its own table is
// migrated: every event is indexed and read by stream as before.
func TestMigrationMovesTheStreamIndexOutOfTheEventsTable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	first, err := fs.ReadFile(migrations.EventStore.FS, "0001_events.sql")
	must(t, err)
	v1 := migrations.Component{Name: migrations.EventStore.Name, FS: fstest.MapFS{"0001_events.sql": {Data: first}}}
	db, err := sql.Open("sqlite", sqlitestore.DSN(path, ""))
	must(t, err)
	must(t, migrations.Apply(ctx, db, v1))
	for i := range 10 {
		id := ids.New()
		_, err := db.Exec(`INSERT INTO events (event_id, stream_id, stream_type, stream_version, type, schema, data,
			origin, origin_seq, seen, hlc, recorded_at) VALUES (?, ?, 'order', ?, 'test.Happened', 1, '{}', 'hub', ?, 0, 0, 0)`,
			id[:], fmt.Sprintf("order-%d", i%2), i/2+1, i+1)
		must(t, err)
	}
	must(t, db.Close())

	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	must(t, err)
	defer s.Close()
	if index, tail := indexed(t, s.DB()); index != 10 || tail != 0 {
		t.Fatalf("migrated: %d entries indexed, %d in the tail; want 10 and 0", index, tail)
	}
	var oldIndex int
	must(t, s.DB().QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'events_stream'`).Scan(&oldIndex))
	if oldIndex != 0 {
		t.Fatal("the events table still carries its stream index")
	}
	evs, err := s.ReadStream(ctx, "order-1", 0)
	must(t, err)
	wantVersions(t, "order-1", evs, 1, 5)
	appendOne(t, s, "order-1", 5)
}
