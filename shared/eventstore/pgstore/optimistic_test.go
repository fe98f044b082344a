package pgstore_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"conference/shared/eventstore"
	"conference/shared/eventstore/pgstore"
	"conference/shared/ids"
	"conference/shared/pgtest"
)

// A group planned without the lock that another replica overtakes is
// planned again under the lock and answered as if it had been there all
// along: a conflict for an expected version taken meanwhile, the original's
// result for an event stored meanwhile. Nothing of it is written twice, and
// the hub's origin_seq stays gap-free.
func TestAnAppendOvertakenByAnotherReplicaIsPlannedAgainUnderTheLock(t *testing.T) {
	url := pgtest.NewDatabase(t)
	slow, fast := openURL(t, url), openURL(t, url)
	// The slow replica's next group stops between its read and its
	// write until the test has written on the fast one.
	planned, proceed := make(chan struct{}, 1), make(chan struct{})
	var hold atomic.Bool
	pgstore.SetBetweenPlanAndWrite(slow, func() {
		if hold.CompareAndSwap(true, false) {
			planned <- struct{}{}
			<-proceed
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream := eventstore.Stream{ID: "order-1", Type: "order"}

	// Expected version 0 on both: the slow one read version 0, the fast
	// one writes version 1 while it sleeps.
	type answer struct {
		res eventstore.Result
		err error
	}
	// overtaken starts append on the slow replica and returns once it
	// has planned; its answer comes on the channel after proceed.
	overtaken := func(append func() (eventstore.Result, error)) <-chan answer {
		hold.Store(true)
		ch := make(chan answer, 1)
		go func() {
			res, err := append()
			ch <- answer{res, err}
		}()
		select {
		case <-planned:
		case <-ctx.Done():
			t.Fatal("the slow replica never planned its group")
		}
		return ch
	}
	first := overtaken(func() (eventstore.Result, error) {
		return slow.Append(ctx, stream, 0, []eventstore.Event{{EventID: ids.New(), Type: "test.Placed", Schema: 1}})
	})
	won, err := fast.Append(ctx, stream, 0, []eventstore.Event{{EventID: ids.New(), Type: "test.Placed", Schema: 1}})
	if err != nil || won.LastPosition != 1 {
		t.Fatalf("the fast replica's append: %+v, %v", won, err)
	}
	proceed <- struct{}{}
	a := <-first
	var conflict *eventstore.ConflictError
	if !errors.As(a.err, &conflict) || conflict.Actual != 1 {
		t.Fatalf("the overtaken append answered %+v, %v; want a conflict at version 1", a.res, a.err)
	}

	// The same event appended on both (a redelivery): the overtaken one
	// answers the stored event's position, as a duplicate.
	again := eventstore.Event{EventID: ids.New(), Type: "test.Paid", Schema: 1}
	second := overtaken(func() (eventstore.Result, error) {
		return slow.Append(ctx, stream, eventstore.AnyVersion, []eventstore.Event{again})
	})
	stored, err := fast.Append(ctx, stream, eventstore.AnyVersion, []eventstore.Event{again})
	if err != nil {
		t.Fatal(err)
	}
	proceed <- struct{}{}
	b := <-second
	if b.err != nil || !b.res.Duplicate || b.res.LastPosition != stored.LastPosition || b.res.Version != 2 {
		t.Fatalf("the overtaken redelivery answered %+v, %v; want the duplicate at position %d, version 2", b.res, b.err, stored.LastPosition)
	}
	if st := slow.Stats(); st.Raced != 2 {
		t.Fatalf("the slow replica planned %d groups again under the lock, want 2", st.Raced)
	}

	// And a plain append on the slow replica still lands where the
	// counters say, after the others.
	last, err := slow.Append(ctx, stream, 2, []eventstore.Event{{EventID: ids.New(), Type: "test.Confirmed", Schema: 1}})
	if err != nil || last.LastPosition != 3 || last.Version != 3 {
		t.Fatalf("append after the races: %+v, %v; want position 3, version 3", last, err)
	}
	evs, err := fast.ReadStream(ctx, stream.ID, 0)
	if err != nil || len(evs) != 3 {
		t.Fatalf("stream after the races: %d events, %v", len(evs), err)
	}
	for i, e := range evs {
		if e.Position != int64(i+1) || e.StreamVersion != int64(i+1) || e.OriginSeq != int64(i+1) || e.Seen != int64(i) {
			t.Fatalf("event %d: position %d, version %d, origin_seq %d, seen %d; want %d, %d, %d, %d",
				i, e.Position, e.StreamVersion, e.OriginSeq, e.Seen, i+1, i+1, i+1, i)
		}
	}
}
