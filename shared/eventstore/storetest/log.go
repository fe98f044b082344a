package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/sqldb"
)

// LogStore is a store with every port: the event and message logs, the
// adapters' tables beside them, notices between processes.
type LogStore interface {
	sqldb.Store
	eventstore.Notifier
}

// LogFactory opens a fresh, empty LogStore whose Node is "hub".
type LogFactory func(t *testing.T) LogStore

// RunLog runs the contract of the ports beyond eventstore.Store: what the
// process manager, the bus, log followers, sync and the adapters rely on.
func RunLog(t *testing.T, open LogFactory) {
	tests := []struct {
		name string
		fn   func(*testing.T, LogStore)
	}{
		{"CommitAllStoresEveryBatchOrNone", testCommitAll},
		{"ReadStreamsReturnsEachStreamInVersionOrder", testReadStreams},
		{"ReadLogWindowFiltersByTypeAndRange", testReadLogWindow},
		{"WatchStreamWakesOnlyForItsStream", testWatchStream},
		{"OriginSeqsFollowLocalAndReplicatedEvents", testOriginSeqs},
		{"StreamVersionIsNeverWrong", testStreamVersion},
		{"MessageLogIsReadInOrderByPrefix", testMessageLog},
		{"PendingMessagesAfterAndNextDue", testPendingAfter},
		{"MarkDeliveredAndProcessedAmong", testMarkDelivered},
		{"MessagesWrittenWakesOnCommitAndEnqueue", testMessagesWritten},
		{"WriteCommitsOrUndoesTheAdaptersStatements", testWrite},
		{"EnqueueTxIsAtomicWithTheAdaptersChange", testEnqueueTx},
		{"CheckpointsAreSavedInTheWritersTransaction", testCheckpoints},
		{"NotifyReachesSubscribers", testNotify},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

func testCommitAll(t *testing.T, s LogStore) {
	a, b := stream("all-a"), stream("all-b")
	mustAppend(t, s, b, eventstore.NoStream, NewEvents(b, 1, "first"))
	head, _ := s.Head(ctx(t))
	// The second batch conflicts: nothing of the first is written either.
	_, err := s.CommitAll(ctx(t), []eventstore.Batch{
		{Stream: a, Events: NewEvents(a, 2, "a")},
		{Stream: b, ExpectedVersion: 0, Events: NewEvents(b, 1, "b")},
	})
	if !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("got %v, want a conflict", err)
	}
	if after, _ := s.Head(ctx(t)); after != head {
		t.Fatalf("head moved from %d to %d: a failed CommitAll wrote something", head, after)
	}
	// A wrong expectation is reported for the batch that holds it, not
	// for a later batch of the stream that would follow from it.
	_, err = s.CommitAll(ctx(t), []eventstore.Batch{
		{Stream: b, ExpectedVersion: 5, Events: NewEvents(b, 1, "b")},
		{Stream: b, ExpectedVersion: 1, Events: NewEvents(b, 1, "b")},
	})
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || ce.Expected != 5 || ce.Actual != 1 {
		t.Fatalf("got %v, want the first batch's conflict: expected 5, actual 1", err)
	}
	if after, _ := s.Head(ctx(t)); after != head {
		t.Fatalf("head moved from %d to %d: a failed CommitAll wrote something", head, after)
	}
	res, err := s.CommitAll(ctx(t), []eventstore.Batch{
		{Stream: a, Events: NewEvents(a, 2, "a")},
		{Stream: b, ExpectedVersion: 1, Events: NewEvents(b, 1, "b")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Version != 2 || res[1].Version != 2 || res[1].LastPosition != res[0].LastPosition+1 {
		t.Fatalf("results %+v: want versions 2 and 2, in order", res)
	}
}

func testReadStreams(t *testing.T, s LogStore) {
	a, b := stream("rs-a"), stream("rs-b")
	mustAppend(t, s, a, eventstore.NoStream, NewEvents(a, 2, "a"))
	mustAppend(t, s, b, eventstore.NoStream, NewEvents(b, 1, "b"))
	mustAppend(t, s, a, 2, NewEvents(a, 1, "a2"))
	got, err := s.ReadStreams(ctx(t), []string{"rs-a", "rs-b", "rs-none"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got["rs-a"]) != 3 || len(got["rs-b"]) != 1 || len(got["rs-none"]) != 0 {
		t.Fatalf("got %d, %d, %d events", len(got["rs-a"]), len(got["rs-b"]), len(got["rs-none"]))
	}
	for i, e := range got["rs-a"] {
		if e.StreamVersion != int64(i+1) {
			t.Fatalf("rs-a event %d has version %d", i, e.StreamVersion)
		}
	}
}

func testReadLogWindow(t *testing.T, s LogStore) {
	st := stream("win")
	evs := NewEvents(st, 6, "w")
	for i := range evs {
		if i%2 == 1 {
			evs[i].Type = "test.Other"
		}
	}
	res := mustAppend(t, s, st, eventstore.NoStream, evs)
	first := res.LastPosition - 5
	got, err := s.ReadLogWindow(ctx(t), first, res.LastPosition-1, []string{"test.Happened"})
	if err != nil {
		t.Fatal(err)
	}
	// Positions first+1 .. last-1 hold events 1..4; the Happened ones are 2 and 4.
	if len(got) != 2 || got[0].Position != first+2 || got[1].Position != first+4 || got[0].Type != "test.Happened" {
		t.Fatalf("got %+v", got)
	}
	if string(got[0].Data) != string(evs[2].Data) || got[0].Schema != 1 {
		t.Fatalf("window entry lost its payload: %+v", got[0])
	}
}

func testWatchStream(t *testing.T, s LogStore) {
	mine, stop := s.WatchStream("watched")
	defer stop()
	other := stream("not-watched")
	mustAppend(t, s, other, eventstore.NoStream, NewEvents(other, 1, "x"))
	select {
	case <-mine:
		t.Fatal("woken by another stream's append")
	case <-time.After(100 * time.Millisecond):
	}
	st := stream("watched")
	mustAppend(t, s, st, eventstore.NoStream, NewEvents(st, 1, "x"))
	select {
	case <-mine:
	case <-time.After(10 * time.Second):
		t.Fatal("not woken by an append to the watched stream")
	}
}

func testOriginSeqs(t *testing.T, s LogStore) {
	st := stream("origins")
	mustAppend(t, s, st, eventstore.NoStream, NewEvents(st, 3, "local"))
	rep := NewEvents(stream("from-k1"), 2, "k1")
	for i := range rep {
		rep[i].Origin, rep[i].OriginSeq = "k1", int64(i+1)
	}
	mustAppend(t, s, stream("from-k1"), eventstore.NoStream, rep)
	if seq, err := s.OriginSeq(ctx(t), "hub"); err != nil || seq != 3 {
		t.Fatalf("hub origin_seq %d (%v), want 3", seq, err)
	}
	if seq, err := s.OriginSeq(ctx(t), "nobody"); err != nil || seq != 0 {
		t.Fatalf("unknown origin %d (%v), want 0", seq, err)
	}
	all, err := s.OriginSeqs(ctx(t))
	if err != nil || all["hub"] != 3 || all["k1"] != 2 {
		t.Fatalf("origin sequences %v (%v)", all, err)
	}
}

func testStreamVersion(t *testing.T, s LogStore) {
	st := stream("sv")
	mustAppend(t, s, st, eventstore.NoStream, NewEvents(st, 2, "x"))
	if v, ok := s.StreamVersion("sv"); ok && v != 2 {
		t.Fatalf("StreamVersion says %d, the stream is at 2", v)
	}
	if v, ok := s.StreamVersion("never"); ok && v != 0 {
		t.Fatalf("StreamVersion of an empty stream says %d", v)
	}
}

func msg(typ string) eventstore.Message {
	return eventstore.Message{ID: ids.New(), Kind: eventstore.KindEvent, Type: typ, Data: []byte(`{"t":"` + typ + `"}`)}
}

func testMessageLog(t *testing.T, s LogStore) {
	var want []uuid.UUID
	for i := 0; i < 5; i++ {
		typ := "conferences.Changed"
		if i%2 == 1 {
			typ = "payments.Accepted"
		}
		m := msg(typ)
		if typ == "conferences.Changed" {
			want = append(want, m.ID)
		}
		if _, err := s.Commit(ctx(t), eventstore.Batch{Outbox: []eventstore.Message{m}}); err != nil {
			t.Fatal(err)
		}
	}
	head, err := s.MessagesHead(ctx(t))
	if err != nil || head < 5 {
		t.Fatalf("messages head %d (%v)", head, err)
	}
	got, covered, err := s.ReadMessages(ctx(t), 0, 100, "conferences.")
	if err != nil {
		t.Fatal(err)
	}
	if covered != head || len(got) != len(want) {
		t.Fatalf("read %d messages covering %d; want %d covering %d", len(got), covered, len(want), head)
	}
	for i, m := range got {
		if m.ID != want[i] || (i > 0 && m.Seq <= got[i-1].Seq) {
			t.Fatalf("message %d: %+v, want %s in seq order", i, m, want[i])
		}
	}
	page, covered, err := s.ReadMessages(ctx(t), 0, 1, "")
	if err != nil || len(page) != 1 || covered != page[0].Seq {
		t.Fatalf("a full page covers up to its last message: %+v, %d, %v", page, covered, err)
	}
	if rest, covered, err := s.ReadMessages(ctx(t), head, 10, ""); err != nil || len(rest) != 0 || covered != head {
		t.Fatalf("past the head: %d messages, covered %d, %v", len(rest), covered, err)
	}
}

func testPendingAfter(t *testing.T, s LogStore) {
	now := time.Now()
	a, b := msg("test.A"), msg("test.B")
	late := msg("test.Late")
	late.NotBefore = now.Add(time.Hour)
	if _, err := s.Commit(ctx(t), eventstore.Batch{Outbox: []eventstore.Message{a, late, b}}); err != nil {
		t.Fatal(err)
	}
	first, last, err := s.PendingMessagesAfter(ctx(t), now.Add(time.Second), 0, 1)
	if err != nil || len(first) != 1 || first[0].ID != a.ID {
		t.Fatalf("first page %+v (%v)", first, err)
	}
	rest, _, err := s.PendingMessagesAfter(ctx(t), now.Add(time.Second), last, 10)
	if err != nil || len(rest) != 1 || rest[0].ID != b.ID {
		t.Fatalf("after %d: %+v (%v), want only b (the late one is not due)", last, rest, err)
	}
	due, ok, err := s.NextDue(ctx(t))
	if err != nil || !ok || due.After(now.Add(time.Second)) {
		t.Fatalf("next due %v %v %v: a and b are due now", due, ok, err)
	}
	if err := s.MarkDelivered(ctx(t), nil, []uuid.UUID{a.ID, b.ID}); err != nil {
		t.Fatal(err)
	}
	due, ok, err = s.NextDue(ctx(t))
	if err != nil || !ok || due.UnixMilli() != late.NotBefore.UnixMilli() {
		t.Fatalf("next due %v %v %v, want the late message's time", due, ok, err)
	}
}

func testMarkDelivered(t *testing.T, s LogStore) {
	a, b, c := msg("test.A"), msg("test.B"), msg("test.C")
	if _, err := s.Commit(ctx(t), eventstore.Batch{Outbox: []eventstore.Message{a, b, c}}); err != nil {
		t.Fatal(err)
	}
	marks := []eventstore.Processed{{Handler: "h1", MessageID: a.ID}, {Handler: "h1", MessageID: b.ID}, {Handler: "h2", MessageID: c.ID}}
	for i := 0; i < 2; i++ { // twice: a no-op the second time
		if err := s.MarkDelivered(ctx(t), marks, []uuid.UUID{a.ID}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ProcessedAmong(ctx(t), "h1", []uuid.UUID{a.ID, b.ID, c.ID})
	if err != nil || len(got) != 2 || !got[a.ID] || !got[b.ID] {
		t.Fatalf("h1 processed %v (%v), want a and b", got, err)
	}
	pending, err := s.PendingMessages(ctx(t), time.Now().Add(time.Second), 10)
	if err != nil || len(pending) != 2 {
		t.Fatalf("pending %+v (%v): a was dispatched, b and c not", pending, err)
	}
}

func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("not woken: %s", what)
	}
}

func testMessagesWritten(t *testing.T, s LogStore) {
	wake := s.MessagesWritten()
	if _, err := s.Commit(ctx(t), eventstore.Batch{Outbox: []eventstore.Message{msg("test.A")}}); err != nil {
		t.Fatal(err)
	}
	within(t, wake, "a commit with a message")
	if _, err := s.DB().ExecContext(ctx(t), `CREATE TABLE enqueue_wake (v TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	wake = s.MessagesWritten()
	tx, err := s.DB().BeginTx(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnqueueTx(ctx(t), tx, msg("test.B")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	s.NotifyMessages()
	within(t, wake, "EnqueueTx and NotifyMessages")
}

func count(t *testing.T, s LogStore, table string) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRowContext(ctx(t), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testWrite(t *testing.T, s LogStore) {
	if _, err := s.DB().ExecContext(ctx(t), `CREATE TABLE adapter_rows (v TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	err := s.Write(ctx(t), func(tx sqldb.Tx) error {
		_, err := tx.ExecContext(ctx(t), `INSERT INTO adapter_rows (v) VALUES ($1)`, "kept")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("adapter refuses")
	err = s.Write(ctx(t), func(tx sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx(t), `INSERT INTO adapter_rows (v) VALUES ($1)`, "undone"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the function's own error", err)
	}
	if n := count(t, s, "adapter_rows"); n != 1 {
		t.Fatalf("%d rows, want only the committed one", n)
	}
	// An append in flight alongside is not affected by a failing write.
	st := stream("beside")
	mustAppend(t, s, st, eventstore.NoStream, NewEvents(st, 1, "x"))
}

func testEnqueueTx(t *testing.T, s LogStore) {
	if _, err := s.DB().ExecContext(ctx(t), `CREATE TABLE confs (slug TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	before, _ := s.MessagesHead(ctx(t))
	m := msg("conferences.Created")
	err := s.Write(ctx(t), func(tx sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx(t), `INSERT INTO confs (slug) VALUES ($1)`, "gophercon"); err != nil {
			return err
		}
		if err := s.EnqueueTx(ctx(t), tx, m); err != nil {
			return err
		}
		return fmt.Errorf("then changes its mind")
	})
	if err == nil {
		t.Fatal("write that failed reported success")
	}
	if n := count(t, s, "confs"); n != 0 {
		t.Fatalf("rolled-back change left %d rows", n)
	}
	if pending, _ := s.PendingMessages(ctx(t), time.Now().Add(time.Second), 10); len(pending) != 0 {
		t.Fatalf("rolled-back change left %d messages", len(pending))
	}
	if err := s.Write(ctx(t), func(tx sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx(t), `INSERT INTO confs (slug) VALUES ($1)`, "gophercon"); err != nil {
			return err
		}
		return s.EnqueueTx(ctx(t), tx, m)
	}); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.ReadMessages(ctx(t), before, 10, "")
	if err != nil || len(got) != 1 || got[0].ID != m.ID || string(got[0].Data) != string(m.Data) {
		t.Fatalf("message log after the change: %+v (%v)", got, err)
	}
	if bad := s.EnqueueTx(ctx(t), nil, eventstore.Message{}); !errors.Is(bad, eventstore.ErrInvalid) {
		t.Fatalf("a message without id: %v, want ErrInvalid", bad)
	}
}

func testCheckpoints(t *testing.T, s LogStore) {
	if pos, err := sqldb.Checkpoint(ctx(t), s.DB(), "follower"); err != nil || pos != 0 {
		t.Fatalf("new checkpoint %d (%v), want 0", pos, err)
	}
	for _, pos := range []int64{7, 42} {
		if err := s.Write(ctx(t), func(tx sqldb.Tx) error { return sqldb.SaveCheckpoint(ctx(t), tx, "follower", pos) }); err != nil {
			t.Fatal(err)
		}
	}
	if pos, err := sqldb.Checkpoint(ctx(t), s.DB(), "follower"); err != nil || pos != 42 {
		t.Fatalf("checkpoint %d (%v), want 42", pos, err)
	}
}

func testNotify(t *testing.T, s LogStore) {
	got, stop := s.Subscribe("kiosk")
	defer stop()
	other, stopOther := s.Subscribe("else")
	defer stopOther()
	if err := s.Notify(ctx(t), "kiosk", "revoked:k1"); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != "revoked:k1" {
			t.Fatalf("payload %q", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("notice not delivered")
	}
	select {
	case p := <-other:
		t.Fatalf("another topic got %q", p)
	case <-time.After(50 * time.Millisecond):
	}
}
