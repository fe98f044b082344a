// Package storetest is the contract every eventstore.Store implementation
// must pass. An implementation's test calls Run with a factory returning a
// fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/hlc"
	"conference/shared/ids"
)

// Factory opens a fresh, empty store whose Node is "hub". The store is
// closed by the suite.
type Factory func(t *testing.T) eventstore.Store

// Run runs the whole contract suite.
func Run(t *testing.T, open Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, eventstore.Store)
	}{
		{"AppendThenReadStreamRoundTripsTheEnvelope", testRoundTrip},
		{"LocalEventsGetGapFreeOriginSeqAndIncreasingClock", testOriginSeq},
		{"ReplicatedEventsKeepTheirOrigin", testReplicated},
		{"WrongExpectedVersionIsATypedConflictAndWritesNothing", testConflict},
		{"ExpectedVersionAheadOfTheStreamIsAConflict", testConflictAhead},
		{"NoStreamExpectationFailsOnExistingStream", testNoStream},
		{"AppendingTheSameEventIDsAgainIsANoOp", testIdempotent},
		{"BatchMixingStoredAndNewIDsIsRefusedWhole", testMixedDuplicate},
		{"InvalidBatchIsRefusedBeforeStorage", testInvalid},
		{"ConcurrentAppendsGetTheirOwnResults", testConcurrentConflicts},
		{"GlobalLogIsTotallyOrderedAndPaged", testLogOrder},
		{"WaitForAppendWakesSubscribers", testSubscribe},
		{"SnapshotsKeepTheNewest", testSnapshots},
		{"ProcessedMessagesAreRemembered", testProcessed},
		{"OutboxIsWrittenWithTheEventsAndDispatchedOnce", testOutbox},
		{"FailingMessageIsDeadLetteredAfterMaxAttempts", testDeadLetter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

// NewEvents returns n fresh events of type "test.Happened" for stream.
func NewEvents(stream eventstore.Stream, n int, payload string) []eventstore.Event {
	out := make([]eventstore.Event, n)
	for i := range out {
		out[i] = eventstore.Event{
			EventID: ids.New(), StreamID: stream.ID, StreamType: stream.Type,
			Type: "test.Happened", Schema: 1,
			Data: []byte(fmt.Sprintf(`{"payload":%q,"i":%d}`, payload, i)),
		}
	}
	return out
}

func stream(name string) eventstore.Stream { return eventstore.Stream{ID: name, Type: "test"} }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func mustAppend(t *testing.T, s eventstore.Store, st eventstore.Stream, expected int64, evs []eventstore.Event) eventstore.Result {
	t.Helper()
	res, err := s.Append(ctx(t), st, expected, evs)
	if err != nil {
		t.Fatalf("append to %s at %d: %v", st.ID, expected, err)
	}
	return res
}

func readAll(t *testing.T, s eventstore.Store) []eventstore.Event {
	t.Helper()
	var all []eventstore.Event
	var after int64
	for {
		page, err := s.ReadLog(ctx(t), after, 100)
		if err != nil {
			t.Fatalf("read log after %d: %v", after, err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Position
	}
}

func testRoundTrip(t *testing.T, s eventstore.Store) {
	st := stream("order-1")
	in := NewEvents(st, 3, "hello")
	corr, cause := ids.New(), ids.New()
	for i := range in {
		in[i].CorrelationID, in[i].CausationID = corr, cause
	}
	res := mustAppend(t, s, st, eventstore.NoStream, in)
	if res.Version != 3 || res.Duplicate {
		t.Fatalf("got result %+v, want version 3, not duplicate", res)
	}
	got, err := s.ReadStream(ctx(t), st.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d events, want 3", len(got))
	}
	for i, e := range got {
		want := in[i]
		if e.EventID != want.EventID || e.StreamID != st.ID || e.StreamType != st.Type || e.StreamVersion != int64(i+1) ||
			e.Type != want.Type || e.Schema != 1 || string(e.Data) != string(want.Data) ||
			e.CorrelationID != corr || e.CausationID != cause || e.Position == 0 || e.RecordedAt.IsZero() {
			t.Fatalf("event %d: got %+v, want %+v at version %d", i, e, want, i+1)
		}
	}
	if res.LastPosition != got[2].Position {
		t.Fatalf("got last position %d, want %d", res.LastPosition, got[2].Position)
	}
	tail, err := s.ReadStream(ctx(t), st.ID, 2)
	if err != nil || len(tail) != 1 || tail[0].StreamVersion != 3 {
		t.Fatalf("read after version 2: got %d events (err %v), want only version 3", len(tail), err)
	}
	head, _ := s.Head(ctx(t))
	if head != got[2].Position {
		t.Fatalf("got head %d, want %d", head, got[2].Position)
	}
}

func testOriginSeq(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, stream("a"), 0, NewEvents(stream("a"), 2, "x"))
	mustAppend(t, s, stream("b"), 0, NewEvents(stream("b"), 3, "y"))
	all := readAll(t, s)
	for i, e := range all {
		if e.Origin != "hub" || e.OriginSeq != int64(i+1) {
			t.Fatalf("event %d: got origin %s/%d, want hub/%d", i, e.Origin, e.OriginSeq, i+1)
		}
		if i > 0 && e.HLC <= all[i-1].HLC {
			t.Fatalf("event %d: hlc %v not after %v", i, e.HLC, all[i-1].HLC)
		}
		if e.Seen >= e.Position {
			t.Fatalf("event %d: seen %d must be before its own position %d", i, e.Seen, e.Position)
		}
	}
}

func testReplicated(t *testing.T, s eventstore.Store) {
	st := stream("checkin-1")
	evs := NewEvents(st, 2, "kiosk")
	for i := range evs {
		evs[i].Origin, evs[i].OriginSeq, evs[i].Seen, evs[i].HLC = "kiosk-7", int64(41+i), 12, hlc.New(1_700_000_000_000, uint16(i))
	}
	mustAppend(t, s, st, eventstore.AnyVersion, evs)
	got, _ := s.ReadStream(ctx(t), st.ID, 0)
	for i, e := range got {
		if e.Origin != "kiosk-7" || e.OriginSeq != int64(41+i) || e.Seen != 12 || e.HLC != evs[i].HLC {
			t.Fatalf("got %s/%d seen %d hlc %v, want kiosk-7/%d seen 12 hlc %v", e.Origin, e.OriginSeq, e.Seen, e.HLC, 41+i, evs[i].HLC)
		}
	}
	// The hub's own counter is unaffected by replicated events.
	mustAppend(t, s, stream("local"), 0, NewEvents(stream("local"), 1, "hub"))
	local, _ := s.ReadStream(ctx(t), "local", 0)
	if local[0].Origin != "hub" || local[0].OriginSeq != 1 {
		t.Fatalf("got %s/%d, want hub/1", local[0].Origin, local[0].OriginSeq)
	}
}

func testConflict(t *testing.T, s eventstore.Store) {
	st := stream("order-2")
	mustAppend(t, s, st, 0, NewEvents(st, 2, "first"))
	_, err := s.Append(ctx(t), st, 1, NewEvents(st, 1, "stale"))
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("got %v, want *ConflictError matching ErrConcurrency", err)
	}
	if ce.Expected != 1 || ce.Actual != 2 || ce.StreamID != st.ID {
		t.Fatalf("got %+v, want expected 1 actual 2", ce)
	}
	if n := len(readAll(t, s)); n != 2 {
		t.Fatalf("got %d events in log, want 2 (nothing written)", n)
	}
}

// A writer expecting more than the stream has (a store that wrote from
// the expectation without reading would leave a gap) is refused with the
// stream's real version.
func testConflictAhead(t *testing.T, s eventstore.Store) {
	st := stream("order-ahead")
	mustAppend(t, s, st, 0, NewEvents(st, 2, "first"))
	for _, c := range []struct {
		stream           eventstore.Stream
		expected, actual int64
	}{{st, 5, 2}, {st, 3, 2}, {stream("order-none"), 1, 0}} {
		_, err := s.Append(ctx(t), c.stream, c.expected, NewEvents(c.stream, 1, "ahead"))
		var ce *eventstore.ConflictError
		if !errors.As(err, &ce) || ce.Expected != c.expected || ce.Actual != c.actual || ce.StreamID != c.stream.ID {
			t.Fatalf("append to %s at %d: got %v, want a conflict: expected %d, actual %d", c.stream.ID, c.expected, err, c.expected, c.actual)
		}
	}
	if n := len(readAll(t, s)); n != 2 {
		t.Fatalf("got %d events in log, want 2 (nothing written)", n)
	}
	res := mustAppend(t, s, st, 2, NewEvents(st, 1, "next"))
	if res.Version != 3 {
		t.Fatalf("append at the real version: got version %d, want 3", res.Version)
	}
}

func testNoStream(t *testing.T, s eventstore.Store) {
	st := stream("seats-1")
	mustAppend(t, s, st, eventstore.NoStream, NewEvents(st, 1, "a"))
	if _, err := s.Append(ctx(t), st, eventstore.NoStream, NewEvents(st, 1, "b")); !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("got %v, want a concurrency conflict", err)
	}
	res := mustAppend(t, s, st, eventstore.AnyVersion, NewEvents(st, 1, "c"))
	if res.Version != 2 {
		t.Fatalf("any-version append: got version %d, want 2", res.Version)
	}
}

func testIdempotent(t *testing.T, s eventstore.Store) {
	st := stream("order-3")
	evs := NewEvents(st, 2, "once")
	first := mustAppend(t, s, st, 0, evs)
	mustAppend(t, s, st, 2, NewEvents(st, 1, "later"))
	// A retry after a lost reply carries the old expected version.
	again := mustAppend(t, s, st, 0, evs)
	if !again.Duplicate || again.LastPosition != first.LastPosition || again.Version != 2 {
		t.Fatalf("got %+v, want duplicate of %+v", again, first)
	}
	anyAgain := mustAppend(t, s, st, eventstore.AnyVersion, evs)
	if !anyAgain.Duplicate {
		t.Fatalf("any-version retry: got %+v, want duplicate", anyAgain)
	}
	if n := len(readAll(t, s)); n != 3 {
		t.Fatalf("got %d events, want 3", n)
	}
}

func testMixedDuplicate(t *testing.T, s eventstore.Store) {
	st := stream("order-4")
	evs := NewEvents(st, 1, "stored")
	mustAppend(t, s, st, 0, evs)
	mixed := append(NewEvents(st, 1, "new"), evs[0])
	_, err := s.Append(ctx(t), st, 1, mixed)
	if !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	if n := len(readAll(t, s)); n != 1 {
		t.Fatalf("got %d events, want 1 (nothing of the mixed batch)", n)
	}
}

func testInvalid(t *testing.T, s eventstore.Store) {
	st := stream("x")
	noID := NewEvents(st, 1, "a")
	noID[0].EventID = uuid.Nil
	noType := NewEvents(st, 1, "a")
	noType[0].Type = ""
	cases := map[string]eventstore.Batch{
		"no stream":        {Events: NewEvents(st, 1, "a")},
		"no event id":      {Stream: st, Events: noID},
		"no type":          {Stream: st, Events: noType},
		"other stream":     {Stream: stream("y"), Events: NewEvents(st, 1, "a")},
		"version below -1": {Stream: st, ExpectedVersion: -5, Events: NewEvents(st, 1, "a")},
	}
	for name, b := range cases {
		if _, err := s.Commit(ctx(t), b); !errors.Is(err, eventstore.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
	if n := len(readAll(t, s)); n != 0 {
		t.Fatalf("got %d events, want none", n)
	}
}

func testConcurrentConflicts(t *testing.T, s eventstore.Store) {
	const writers = 64
	// Every writer races for version 1 of one shared stream and also
	// appends to a stream of its own: exactly one shared append may win,
	// and the losers' own appends must still commit.
	shared := stream("contended")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			own := stream(fmt.Sprintf("own-%d", w))
			if _, err := s.Append(ctx(t), own, 0, NewEvents(own, 1, "own")); err != nil {
				t.Errorf("own append %d: %v", w, err)
			}
			_, err := s.Append(ctx(t), shared, 0, NewEvents(shared, 1, "race"))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, eventstore.ErrConcurrency):
				conflicts++
			default:
				t.Errorf("shared append %d: %v", w, err)
			}
		}(w)
	}
	wg.Wait()
	if wins != 1 || conflicts != writers-1 {
		t.Fatalf("got %d wins and %d conflicts, want 1 and %d", wins, conflicts, writers-1)
	}
	if n := len(readAll(t, s)); n != writers+1 {
		t.Fatalf("got %d events, want %d", n, writers+1)
	}
}

func testLogOrder(t *testing.T, s eventstore.Store) {
	const writers, perWriter = 16, 20
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st := stream(fmt.Sprintf("s-%d", w))
			for i := 0; i < perWriter; i++ {
				if _, err := s.Append(ctx(t), st, int64(i), NewEvents(st, 1, "x")); err != nil {
					t.Errorf("writer %d append %d: %v", w, i, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	all := readAll(t, s)
	if len(all) != writers*perWriter {
		t.Fatalf("got %d events, want %d", len(all), writers*perWriter)
	}
	lastVersion := map[string]int64{}
	for i, e := range all {
		if i > 0 && e.Position <= all[i-1].Position {
			t.Fatalf("position %d follows %d", e.Position, all[i-1].Position)
		}
		if e.StreamVersion != lastVersion[e.StreamID]+1 {
			t.Fatalf("stream %s: version %d after %d in log order", e.StreamID, e.StreamVersion, lastVersion[e.StreamID])
		}
		lastVersion[e.StreamID] = e.StreamVersion
	}
	mid := all[len(all)/2].Position
	page, err := s.ReadLog(ctx(t), mid, 7)
	if err != nil || len(page) != 7 || page[0].Position <= mid {
		t.Fatalf("page after %d: got %d events (err %v), want 7 starting after it", mid, len(page), err)
	}
}

func testSubscribe(t *testing.T, s eventstore.Store) {
	head, _ := s.Head(ctx(t))
	woke := make(chan error, 1)
	go func() { woke <- s.WaitForAppend(ctx(t), head) }()
	select {
	case err := <-woke:
		t.Fatalf("woke before any append: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	mustAppend(t, s, stream("sub"), 0, NewEvents(stream("sub"), 1, "wake"))
	select {
	case err := <-woke:
		if err != nil {
			t.Fatalf("wait: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscriber not woken by the append")
	}
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	head, _ = s.Head(ctx(t))
	if err := s.WaitForAppend(short, head); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want deadline exceeded with no append", err)
	}
}

func testSnapshots(t *testing.T, s eventstore.Store) {
	if _, ok, err := s.LoadSnapshot(ctx(t), "agg"); ok || err != nil {
		t.Fatalf("got ok=%v err=%v, want no snapshot", ok, err)
	}
	for _, v := range []int64{100, 300, 200} {
		if err := s.SaveSnapshot(ctx(t), eventstore.Snapshot{StreamID: "agg", Version: v, Schema: 1, Data: []byte(fmt.Sprint(v))}); err != nil {
			t.Fatal(err)
		}
	}
	snap, ok, err := s.LoadSnapshot(ctx(t), "agg")
	if err != nil || !ok || snap.Version != 300 || string(snap.Data) != "300" {
		t.Fatalf("got %+v ok=%v err=%v, want version 300 kept over the older 200", snap, ok, err)
	}
}

func testProcessed(t *testing.T, s eventstore.Store) {
	id := ids.New()
	if done, _ := s.IsProcessed(ctx(t), "pm", id); done {
		t.Fatal("new message reported processed")
	}
	if _, err := s.Commit(ctx(t), eventstore.Batch{Stream: stream("p"), Events: NewEvents(stream("p"), 1, "x"),
		Processed: &eventstore.Processed{Handler: "pm", MessageID: id}}); err != nil {
		t.Fatal(err)
	}
	if done, _ := s.IsProcessed(ctx(t), "pm", id); !done {
		t.Fatal("message marked in the commit not reported processed")
	}
	if done, _ := s.IsProcessed(ctx(t), "other", id); done {
		t.Fatal("processed mark leaked to another handler")
	}
	if err := s.MarkProcessed(ctx(t), "pm", id); err != nil {
		t.Fatalf("marking twice: %v", err)
	}
}

func testOutbox(t *testing.T, s eventstore.Store) {
	now := time.Now()
	due := eventstore.Message{ID: ids.New(), Kind: eventstore.KindCommand, Type: "test.Do", Data: []byte(`{}`)}
	later := eventstore.Message{ID: ids.New(), Kind: eventstore.KindCommand, Type: "test.Later", Data: []byte(`{}`), NotBefore: now.Add(time.Hour)}
	st := stream("o")
	if _, err := s.Commit(ctx(t), eventstore.Batch{Stream: st, Events: NewEvents(st, 1, "x"), Outbox: []eventstore.Message{due, later}}); err != nil {
		t.Fatal(err)
	}
	// A conflicting batch writes none of its messages.
	lost := eventstore.Message{ID: ids.New(), Kind: eventstore.KindCommand, Type: "test.Lost", Data: []byte(`{}`)}
	if _, err := s.Commit(ctx(t), eventstore.Batch{Stream: st, ExpectedVersion: 0, Events: NewEvents(st, 1, "y"), Outbox: []eventstore.Message{lost}}); err == nil {
		t.Fatal("conflicting batch committed")
	}
	pending, err := s.PendingMessages(ctx(t), now.Add(time.Second), 10)
	if err != nil || len(pending) != 1 || pending[0].ID != due.ID {
		t.Fatalf("got %+v (err %v), want only the due message", pending, err)
	}
	if err := s.MarkDispatched(ctx(t), due.ID); err != nil {
		t.Fatal(err)
	}
	if pending, _ = s.PendingMessages(ctx(t), now.Add(time.Second), 10); len(pending) != 0 {
		t.Fatalf("dispatched message still pending: %+v", pending)
	}
	if pending, _ = s.PendingMessages(ctx(t), now.Add(2*time.Hour), 10); len(pending) != 1 || pending[0].ID != later.ID {
		t.Fatalf("got %+v, want the delayed message once due", pending)
	}
}

func testDeadLetter(t *testing.T, s eventstore.Store) {
	m := eventstore.Message{ID: ids.New(), Kind: eventstore.KindEvent, Type: "test.Poison", Data: []byte(`{}`)}
	if _, err := s.Commit(ctx(t), eventstore.Batch{Outbox: []eventstore.Message{m}}); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 3; attempt++ {
		dead, err := s.RecordFailure(ctx(t), m.ID, errors.New("handler exploded"), 3, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if dead != (attempt == 3) {
			t.Fatalf("attempt %d: dead=%v", attempt, dead)
		}
	}
	if pending, _ := s.PendingMessages(ctx(t), time.Now().Add(time.Minute), 10); len(pending) != 0 {
		t.Fatalf("dead letter still pending: %+v", pending)
	}
	dl, err := s.DeadLetters(ctx(t), 10)
	if err != nil || len(dl) != 1 || dl[0].Message.ID != m.ID || dl[0].Attempts != 3 || dl[0].Error != "handler exploded" {
		t.Fatalf("got %+v (err %v), want the poison message with 3 attempts and its error", dl, err)
	}

	// Redelivered, it is due again with a fresh count of attempts, and no
	// longer a dead letter; redelivering it again changes nothing.
	at := time.Now().Add(time.Second)
	if ok, err := s.Redeliver(ctx(t), m.ID, at); err != nil || !ok {
		t.Fatalf("redeliver: %v, %v; want it put back", ok, err)
	}
	if ok, err := s.Redeliver(ctx(t), m.ID, at); err != nil || ok {
		t.Fatalf("redeliver twice: %v, %v; want false, it is no dead letter any more", ok, err)
	}
	if ok, err := s.Redeliver(ctx(t), ids.New(), at); err != nil || ok {
		t.Fatalf("redeliver an unknown message: %v, %v; want false", ok, err)
	}
	if dl, err := s.DeadLetters(ctx(t), 10); err != nil || len(dl) != 0 {
		t.Fatalf("dead letters after redelivery: %+v (err %v), want none", dl, err)
	}
	if pending, _ := s.PendingMessages(ctx(t), at.Add(-time.Millisecond), 10); len(pending) != 0 {
		t.Fatalf("redelivered message due before its time: %+v", pending)
	}
	if pending, _ := s.PendingMessages(ctx(t), at, 10); len(pending) != 1 || pending[0].ID != m.ID {
		t.Fatalf("pending after redelivery: %+v, want the message", pending)
	}
	for attempt := 1; attempt <= 3; attempt++ {
		dead, err := s.RecordFailure(ctx(t), m.ID, errors.New("handler exploded again"), 3, time.Now())
		if err != nil || dead != (attempt == 3) {
			t.Fatalf("attempt %d after redelivery: dead=%v, %v; want the attempts counted from zero", attempt, dead, err)
		}
	}
}
