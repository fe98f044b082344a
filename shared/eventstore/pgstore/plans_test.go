package pgstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/pgtest"
)

// A plan PostgreSQL made while the log was empty (a new database) and kept
// for the session scanned the whole table at every append once the log had
// grown. Appends of every kind must look events up through the indexes
// however small the log was when their connection first ran them: a
// sequential scan of the events table is counted by the server, and none
// may come from appending to a log of 20,000 events.
func TestAppendsNeverScanTheLogHoweverSmallItWasWhenTheyStarted(t *testing.T) {
	url := pgtest.NewDatabase(t)
	s := openURL(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stats, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer stats.Close(context.Background())
	// No ANALYZE may come and replace a bad plan meanwhile.
	if _, err := stats.Exec(ctx, `ALTER TABLE events SET (autovacuum_enabled = off)`); err != nil {
		t.Fatal(err)
	}

	// Every way an append is written: expected versions (no read), any
	// version (a snapshot read), a kiosk's replicated event (under the
	// lock), and a conflict (planned again under the lock); with outbox
	// messages and processed marks.
	round := 0
	everyKind := func() {
		round++
		st := eventstore.Stream{ID: fmt.Sprintf("kinds-%d", round), Type: "test"}
		ev := func() eventstore.Event { return eventstore.Event{EventID: ids.New(), Type: "test.Happened", Schema: 1} }
		if _, err := s.Commit(ctx, eventstore.Batch{Stream: st, Events: []eventstore.Event{ev()},
			Outbox:    []eventstore.Message{{ID: ids.New(), Kind: eventstore.KindCommand, Type: "test.Do"}},
			Processed: &eventstore.Processed{Handler: "test", MessageID: ids.New()}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append(ctx, st, eventstore.AnyVersion, []eventstore.Event{ev()}); err != nil {
			t.Fatal(err)
		}
		kiosk := ev()
		kiosk.Origin, kiosk.OriginSeq = "kiosk-1", int64(round)
		if _, err := s.Append(ctx, st, eventstore.AnyVersion, []eventstore.Event{kiosk}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append(ctx, st, 1, []eventstore.Event{ev()}); err == nil {
			t.Fatal("an append at a stale version was taken")
		}
	}
	everyKind()

	for i := range 40 {
		st := eventstore.Stream{ID: fmt.Sprintf("bulk-%d", i), Type: "test"}
		evs := make([]eventstore.Event, 500)
		for j := range evs {
			evs[j] = eventstore.Event{EventID: ids.New(), Type: "test.Happened", Schema: 1}
		}
		if _, err := s.Append(ctx, st, 0, evs); err != nil {
			t.Fatal(err)
		}
	}
	before := seqScansOfEvents(ctx, t, s, stats)
	for range 20 {
		everyKind()
	}
	// A last write, so that the connections report the reads of the
	// conflict before it with their inserts.
	if _, err := s.Append(ctx, eventstore.Stream{ID: "last", Type: "test"}, 0,
		[]eventstore.Event{{EventID: ids.New(), Type: "test.Happened", Schema: 1}}); err != nil {
		t.Fatal(err)
	}
	if after := seqScansOfEvents(ctx, t, s, stats); after != before {
		t.Fatalf("appending to a log of 20,000 events scanned the events table %d times", after-before)
	}
}

// seqScansOfEvents waits until the server's statistics count every event
// inserted so far (backends report them a while after their transactions),
// then returns the sequential scans of the events table.
func seqScansOfEvents(ctx context.Context, t *testing.T, s interface {
	Head(context.Context) (int64, error)
}, conn *pgx.Conn) int64 {
	t.Helper()
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for {
		var inserted, scans int64
		if _, err := conn.Exec(ctx, `SELECT pg_stat_clear_snapshot()`); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, `SELECT n_tup_ins, seq_scan FROM pg_stat_user_tables WHERE relname = 'events'`).Scan(&inserted, &scans); err != nil {
			t.Fatal(err)
		}
		if inserted >= head {
			return scans
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the server's statistics count %d inserted events of %d", inserted, head)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
