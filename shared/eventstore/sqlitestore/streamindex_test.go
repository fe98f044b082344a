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
	"conference/shared/sqldb"
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

// indexed counts the entries in the stream index and reads how far its
// checkpoint says it reaches.
func indexed(t *testing.T, db *sql.DB) (entries int, reach int64) {
	t.Helper()
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM stream_index),
		(SELECT position FROM checkpoints WHERE name = 'eventstore/stream_index')`).Scan(&entries, &reach); err != nil {
		t.Fatal(err)
	}
	return entries, reach
}

// appendBatch appends n events to stream in one append.
func appendBatch(t *testing.T, s *sqlitestore.Store, stream string, expected int64, n int) {
	t.Helper()
	evs := make([]eventstore.Event, n)
	for i := range evs {
		evs[i] = eventstore.Event{EventID: ids.New(), Type: "test.Happened", Schema: 1, Data: []byte(`{}`)}
	}
	if _, err := s.Append(context.Background(), eventstore.Stream{ID: stream, Type: "order"}, expected, evs); err != nil {
		t.Fatalf("append %d to %s at %d: %v", n, stream, expected, err)
	}
}

// wantWhole reads streams one by one and together and checks each is
// versions 1..to.
func wantWhole(t *testing.T, s *sqlitestore.Store, to map[string]int64) {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for stream, v := range to {
		ids = append(ids, stream)
		evs, err := s.ReadStream(ctx, stream, 0)
		must(t, err)
		wantVersions(t, stream, evs, 1, v)
		if v > 2 {
			evs, err = s.ReadStream(ctx, stream, v-2)
			must(t, err)
			wantVersions(t, stream, evs, v-1, v)
		}
	}
	all, err := s.ReadStreams(ctx, append(ids, "order-none"))
	must(t, err)
	for stream, v := range to {
		wantVersions(t, stream, all[stream], 1, v)
	}
	if len(all["order-none"]) != 0 {
		t.Fatalf("a stream with no events read %d", len(all["order-none"]))
	}
}

// A commit writes no index entries: the newest events wait unindexed,
// readers take them from memory (also after a restart, which loads them
// back), the writer knows their versions, and once a batch is full the
// writer indexes them all, each once.
func TestStreamsReadWholeWhileTheirNewestEventsAreUnindexed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	must(t, err)
	for v := range int64(6) {
		appendOne(t, s, "order-a", v)
		appendOne(t, s, "order-b", v)
	}
	if entries, reach := indexed(t, s.DB().DB); entries != 0 || reach != 0 {
		t.Fatalf("after 12 appends: %d entries indexed up to %d; want none", entries, reach)
	}
	wantWhole(t, s, map[string]int64{"order-a": 6, "order-b": 6})
	must(t, s.Close())

	s, err = sqlitestore.Open(ctx, path, sqlitestore.Options{})
	must(t, err)
	defer s.Close()
	wantWhole(t, s, map[string]int64{"order-a": 6, "order-b": 6})
	// The writer knows the unindexed versions: a stale expected version is
	// still a conflict, the right one appends.
	st := eventstore.Stream{ID: "order-b", Type: "order"}
	e := eventstore.Event{EventID: ids.New(), Type: "test.Happened", Schema: 1}
	var ce *eventstore.ConflictError
	if _, err := s.Append(ctx, st, 3, []eventstore.Event{e}); !errors.As(err, &ce) || ce.Actual != 6 {
		t.Fatalf("append at 3 to an unindexed stream at 6: %v, want a conflict naming 6", err)
	}
	appendOne(t, s, "order-b", 6)

	// When: a batch's worth more; then everything is indexed, each once.
	appendBatch(t, s, "order-c", 0, sqlitestore.IndexBatch)
	head, err := s.Head(ctx)
	must(t, err)
	entries, reach := indexed(t, s.DB().DB)
	if int64(entries) != head || reach != head {
		t.Fatalf("after a full batch: %d entries indexed up to %d; want %d up to %d", entries, reach, head, head)
	}
	var distinct int
	must(t, s.DB().QueryRow(`SELECT count(DISTINCT position) FROM stream_index`).Scan(&distinct))
	if int64(distinct) != head {
		t.Fatalf("stream index holds %d positions, want %d", distinct, head)
	}
	appendOne(t, s, "order-a", 6)
	wantWhole(t, s, map[string]int64{"order-a": 7, "order-b": 7, "order-c": int64(sqlitestore.IndexBatch)})
}

// Should the memory of the newest events ever lose track of them, readers
// find the unindexed events in the table instead.
func TestUnindexedEventsAreReadFromTheTableWhenMemoryLostThem(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	appendBatch(t, s, "order-a", 0, 3)
	appendBatch(t, s, "order-b", 0, 2)
	sqlitestore.ForgetRecent(s)
	appendBatch(t, s, "order-a", 3, 2)
	wantWhole(t, s, map[string]int64{"order-a": 5, "order-b": 2})
	if !sqlitestore.RecentLost(s) {
		t.Fatal("memory holds only the newest two events but claims every unindexed one")
	}
	// Once a batch is indexed the memory holds every unindexed event again.
	appendBatch(t, s, "order-c", 0, sqlitestore.IndexBatch)
	if sqlitestore.RecentLost(s) {
		t.Fatal("memory still defers to the table after an index batch")
	}
	appendBatch(t, s, "order-a", 5, 1)
	wantWhole(t, s, map[string]int64{"order-a": 6, "order-b": 2, "order-c": int64(sqlitestore.IndexBatch)})
}

// A database whose index checkpoint row is gone (and its origins table
// with it) opens all the same: the store indexes every event at once,
// in one transaction, rather than hold them all in memory, and takes
// the origin sequences from the events.
func TestOpenWithoutTheIndexCheckpointIndexesEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	must(t, err)
	appendBatch(t, s, "order-a", 0, sqlitestore.IndexBatch+500)
	appendBatch(t, s, "order-b", 0, 3)
	must(t, s.Close())
	db, err := sql.Open("sqlite", sqlitestore.DSN(path, ""))
	must(t, err)
	_, err = db.Exec(`DELETE FROM checkpoints WHERE name = 'eventstore/stream_index'; DELETE FROM origins`)
	must(t, err)
	must(t, db.Close())

	s, err = sqlitestore.Open(ctx, path, sqlitestore.Options{})
	must(t, err)
	defer s.Close()
	head := int64(sqlitestore.IndexBatch + 503)
	entries, reach := indexed(t, s.DB().DB)
	if int64(entries) != head || reach != head {
		t.Fatalf("reopened without a checkpoint: %d entries indexed up to %d; want %d up to %d", entries, reach, head, head)
	}
	if got, _ := s.OriginSeq(ctx, "hub"); got != head {
		t.Fatalf("origin_seq of hub %d, want %d", got, head)
	}
	wantWhole(t, s, map[string]int64{"order-a": int64(sqlitestore.IndexBatch + 500), "order-b": 3})
}

// Under load the events wait unindexed and are indexed in batches;
// readers see every stream whole and in order all the while.
func TestConcurrentAppendsAreReadWholeWhileTheIndexLags(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	defer s.Close()
	// Enough events for at least one batch to be indexed during the run.
	const writers, each, size = 32, 60, 3
	var wg sync.WaitGroup
	failed := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := eventstore.Stream{ID: fmt.Sprintf("order-%d", w), Type: "order"}
			for v := range int64(each) {
				evs := make([]eventstore.Event, size)
				for i := range evs {
					evs[i] = eventstore.Event{EventID: ids.New(), Type: "test.Happened", Schema: 1, Data: []byte(`{}`)}
				}
				if _, err := s.Append(ctx, st, v*size, evs); err != nil {
					failed <- fmt.Errorf("append %s at %d: %w", st.ID, v*size, err)
					return
				}
			}
		}()
	}
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
		stream := fmt.Sprintf("order-%d", int(head)%writers)
		evs, err := s.ReadStream(ctx, stream, 0)
		must(t, err)
		wantVersions(t, stream, evs, 1, int64(len(evs)))
	}
	close(failed)
	for err := range failed {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for w := range writers {
		want[fmt.Sprintf("order-%d", w)] = each * size
	}
	wantWhole(t, s, want)
	if entries, reach := indexed(t, s.DB().DB); entries == 0 || int64(entries) != reach {
		t.Fatalf("after %d events: %d entries indexed up to %d; want a batch indexed", writers*each*size, entries, reach)
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
	must(t, migrations.Apply(ctx, &sqldb.DB{DB: db, Dialect: sqldb.SQLite}, v1))
	for i := range 10 {
		id := ids.New()
		_, err := db.Exec(`INSERT INTO events (event_id, stream_id, stream_type, stream_version, type, schema, data,
			origin, origin_seq, seen, hlc, recorded_at) VALUES (?, ?, 'order', ?, 'test.Happened', 1, '{}', 'hub', ?, 0, 0, 0)`,
			id[:], fmt.Sprintf("order-%d", i%2), i/2+1, i+1)
		must(t, err)
	}
	must(t, db.Close())

	s := openMigrated(t, path, "events_stream")
	defer s.Close()
	evs, err := s.ReadStream(ctx, "order-1", 0)
	must(t, err)
	wantVersions(t, "order-1", evs, 1, 5)
	appendOne(t, s, "order-1", 5)
}

// A database whose index entries wait in the old stream_tail table (a
// store stopped between two batches) is migrated: they join stream_index,
// the table goes, and the checkpoint covers every event.
func TestMigrationIndexesTheOldTail(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	v2 := fstest.MapFS{}
	for _, name := range []string{"0001_events.sql", "0002_stream_index.sql"} {
		data, err := fs.ReadFile(migrations.EventStore.FS, name)
		must(t, err)
		v2[name] = &fstest.MapFile{Data: data}
	}
	db, err := sql.Open("sqlite", sqlitestore.DSN(path, ""))
	must(t, err)
	must(t, migrations.Apply(ctx, &sqldb.DB{DB: db, Dialect: sqldb.SQLite}, migrations.Component{Name: migrations.EventStore.Name, FS: v2}))
	for i := range 10 {
		id := ids.New()
		stream, version, table := fmt.Sprintf("order-%d", i%2), i/2+1, "stream_index"
		if i >= 6 {
			table = "stream_tail"
		}
		_, err := db.Exec(`INSERT INTO events (position, event_id, stream_id, stream_type, stream_version, type, schema, data,
			origin, origin_seq, seen, hlc, recorded_at) VALUES (?, ?, ?, 'order', ?, 'test.Happened', 1, '{}', 'hub', ?, 0, 0, 0)`,
			i+1, id[:], stream, version, i+1)
		must(t, err)
		_, err = db.Exec(`INSERT INTO `+table+` (stream_id, stream_version, position) VALUES (?, ?, ?)`, stream, version, i+1)
		must(t, err)
	}
	must(t, db.Close())

	s := openMigrated(t, path, "stream_tail")
	defer s.Close()
	wantWhole(t, s, map[string]int64{"order-0": 5, "order-1": 5})
	appendOne(t, s, "order-1", 5)
	wantWhole(t, s, map[string]int64{"order-0": 5, "order-1": 6})
}

// openMigrated opens a database of 10 events written by an older schema
// and checks that all 10 are indexed and that the old structure gone is.
func openMigrated(t *testing.T, path, gone string) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), path, sqlitestore.Options{})
	must(t, err)
	if entries, reach := indexed(t, s.DB().DB); entries != 10 || reach != 10 {
		s.Close()
		t.Fatalf("migrated: %d entries indexed up to %d; want 10 up to 10", entries, reach)
	}
	var left int
	must(t, s.DB().QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = ?`, gone).Scan(&left))
	if left != 0 {
		s.Close()
		t.Fatalf("%s is still there", gone)
	}
	return s
}

// The origins table is written with the index checkpoint, not at every
// commit; the store knows the current sequences all the same, and after a
// restart it takes the rest from the unindexed events: its own events
// continue their sequence, and a replicated event it holds is still
// recognised, one it does not is still out of order.
func TestOriginSequencesSurviveARestartBetweenIndexBatches(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	must(t, err)
	appendBatch(t, s, "order-a", 0, 3)
	kioskEvent := func(seq int64) eventstore.Event {
		return eventstore.Event{EventID: ids.New(), Type: "test.Happened", Schema: 1, Origin: "k1", OriginSeq: seq}
	}
	walkup := eventstore.Stream{ID: "walkup-1", Type: "order"}
	replicated := []eventstore.Event{kioskEvent(1), kioskEvent(2)}
	_, err = s.Append(ctx, walkup, eventstore.AnyVersion, replicated)
	must(t, err)
	if got, _ := s.OriginSeqs(ctx); got["hub"] != 3 || got["k1"] != 2 {
		t.Fatalf("origin sequences %v, want hub 3 and k1 2", got)
	}
	var stored int
	must(t, s.DB().QueryRow(`SELECT count(*) FROM origins`).Scan(&stored))
	if stored != 0 {
		t.Fatalf("%d origins rows written before any index batch, want none", stored)
	}
	must(t, s.Close())

	s, err = sqlitestore.Open(ctx, path, sqlitestore.Options{})
	must(t, err)
	defer s.Close()
	hubSeq, _ := s.OriginSeq(ctx, "hub")
	k1Seq, _ := s.OriginSeq(ctx, "k1")
	if hubSeq != 3 || k1Seq != 2 {
		t.Fatalf("after a restart: hub %d, k1 %d; want 3 and 2", hubSeq, k1Seq)
	}
	appendOne(t, s, "order-b", 0)
	evs, err := s.ReadStream(ctx, "order-b", 0)
	must(t, err)
	if evs[0].OriginSeq != 4 {
		t.Fatalf("the first event after a restart has origin_seq %d, want 4", evs[0].OriginSeq)
	}
	if res, err := s.Append(ctx, walkup, eventstore.AnyVersion, replicated); err != nil || !res.Duplicate {
		t.Fatalf("replicated events redelivered after a restart: %+v, %v; want a duplicate", res, err)
	}
	if _, err := s.Append(ctx, walkup, eventstore.AnyVersion, []eventstore.Event{kioskEvent(2)}); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("a new event reusing k1's origin_seq 2 after a restart: %v, want ErrInvalid", err)
	}
	// A full batch writes the table.
	appendBatch(t, s, "order-c", 0, sqlitestore.IndexBatch)
	var hub, k1 int64
	must(t, s.DB().QueryRow(`SELECT (SELECT last_seq FROM origins WHERE origin = 'hub'), (SELECT last_seq FROM origins WHERE origin = 'k1')`).Scan(&hub, &k1))
	if hub != 4+int64(sqlitestore.IndexBatch) || k1 != 2 {
		t.Fatalf("origins table after an index batch: hub %d, k1 %d; want %d and 2", hub, k1, 4+sqlitestore.IndexBatch)
	}
}
