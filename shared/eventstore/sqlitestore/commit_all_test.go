package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"conference/shared/eventstore"
	"conference/shared/ids"
)

// replicated builds a batch of one kiosk event for its own stream.
func replicated(stream string, version, seq int64) eventstore.Batch {
	st := eventstore.Stream{ID: stream, Type: "test.Stream"}
	return eventstore.Batch{Stream: st, ExpectedVersion: version - 1, Events: []eventstore.Event{{
		EventID: ids.New(), Type: "test.Happened", Schema: 1, Data: []byte(`{}`),
		Origin: "kiosk-1", OriginSeq: seq,
	}}}
}

func TestCommitAllWritesEveryBatchInOrderInOneTransaction(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	var batches []eventstore.Batch
	for i := int64(1); i <= 50; i++ {
		batches = append(batches, replicated(fmt.Sprintf("s-%d", i%7), i/7+1, i))
	}
	// Versions per stream must follow the order above.
	versions := map[string]int64{}
	for i := range batches {
		b := &batches[i]
		versions[b.Stream.ID]++
		b.ExpectedVersion = versions[b.Stream.ID] - 1
	}
	res, err := s.CommitAll(ctx, batches)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 50 || res[49].LastPosition != 50 {
		t.Fatalf("results: %d, last position %d; want 50 and 50", len(res), res[len(res)-1].LastPosition)
	}
	log, _ := s.ReadLog(ctx, 0, 100)
	for i, e := range log {
		if e.OriginSeq != int64(i+1) || e.EventID != batches[i].Events[0].EventID {
			t.Fatalf("log[%d] = seq %d; want the batches' order", i, e.OriginSeq)
		}
	}

	// Sent again (a retried page): every batch is a duplicate, nothing new.
	res, err = s.CommitAll(ctx, batches)
	if err != nil {
		t.Fatalf("re-sent page: %v", err)
	}
	if !res[0].Duplicate || !res[49].Duplicate {
		t.Fatalf("re-sent page not reported as duplicate: %+v", res[0])
	}
	if head, _ := s.Head(ctx); head != 50 {
		t.Fatalf("head after re-send = %d, want 50", head)
	}
}

func TestCommitAllWritesNothingWhenOneBatchFails(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	good1, good2 := replicated("a", 1, 1), replicated("b", 1, 2)
	stale := replicated("a", 1, 3) // expects version 0 again: a conflict
	_, err := s.CommitAll(ctx, []eventstore.Batch{good1, good2, stale})
	if !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("err = %v, want a concurrency conflict", err)
	}
	if head, _ := s.Head(ctx); head != 0 {
		t.Fatalf("head = %d after a failed CommitAll, want 0", head)
	}
	// The origin's counter did not move either: the same page, fixed, goes in.
	if _, err := s.CommitAll(ctx, []eventstore.Batch{good1, good2}); err != nil {
		t.Fatalf("fixed page: %v", err)
	}
	if head, _ := s.Head(ctx); head != 2 {
		t.Fatalf("head = %d, want 2", head)
	}
}

func TestCommitAllDoesNotFailConcurrentCommits(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for w := 0; w < 20; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				st := eventstore.Stream{ID: fmt.Sprintf("own-%d", w), Type: "test.Stream"}
				_, err := s.Append(ctx, st, int64(i), []eventstore.Event{{EventID: ids.New(), Type: "test.Happened", Schema: 1}})
				errs <- err
			}
		}(w)
	}
	// A failing chain in the middle of that traffic fails alone.
	_, chainErr := s.CommitAll(ctx, []eventstore.Batch{replicated("x", 1, 1), replicated("x", 1, 2)})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent append failed: %v", err)
		}
	}
	if !errors.Is(chainErr, eventstore.ErrConcurrency) {
		t.Fatalf("chain err = %v, want conflict", chainErr)
	}
	if head, _ := s.Head(ctx); head != 200 {
		t.Fatalf("head = %d, want the 200 appends only", head)
	}
}
