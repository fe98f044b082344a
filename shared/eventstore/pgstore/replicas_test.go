package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"conference/shared/eventstore"
	"conference/shared/eventstore/pgstore"
	"conference/shared/eventstore/storetest"
	"conference/shared/pgtest"
)

func openURL(t *testing.T, url string) *pgstore.Store {
	t.Helper()
	return openWith(t, url, pgstore.Options{})
}

func openWith(t *testing.T, url string, opts pgstore.Options) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// follow reads the log of s from 0 until it has want events or ctx ends,
// page by page as a kiosk or projection would, and reports any position it
// saw twice or skipped.
func follow(ctx context.Context, s *pgstore.Store, want int) ([]eventstore.Event, error) {
	var got []eventstore.Event
	var after int64
	for len(got) < want {
		page, err := s.ReadLog(ctx, after, 500)
		if err != nil {
			return got, err
		}
		if len(page) == 0 {
			if err := s.WaitForAppend(ctx, after); err != nil {
				return got, fmt.Errorf("after %d of %d events: %w", len(got), want, err)
			}
			continue
		}
		for _, e := range page {
			if e.Position != after+1 {
				return got, fmt.Errorf("position %d follows %d", e.Position, after)
			}
			after = e.Position
			got = append(got, e)
		}
	}
	return got, nil
}

func TestReplicasShareOneGapFreeLogThatFollowersReadWhole(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := openURL(t, url), openURL(t, url)
	const writers, perWriter = 16, 40
	total := writers * perWriter
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	type result struct {
		evs []eventstore.Event
		err error
	}
	followers := make(chan result, 2)
	for _, s := range []*pgstore.Store{a, b} {
		go func() {
			evs, err := follow(ctx, s, total)
			followers <- result{evs, err}
		}()
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := eventstore.Stream{ID: fmt.Sprintf("replica-writer-%d", w), Type: "test"}
			for i := 0; i < perWriter; i++ {
				if _, err := s.Append(ctx, st, int64(i), storetest.NewEvents(st, 1, "x")); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var logs [2][]eventstore.Event
	for i := range logs {
		r := <-followers
		if r.err != nil {
			t.Fatalf("follower: %v", r.err)
		}
		logs[i] = r.evs
	}
	seq := map[int64]bool{}
	for i, e := range logs[0] {
		if other := logs[1][i]; other.EventID != e.EventID {
			t.Fatalf("followers disagree at position %d", e.Position)
		}
		if e.Origin != "hub" || seq[e.OriginSeq] {
			t.Fatalf("event %d: origin %s seq %d (twice?)", e.Position, e.Origin, e.OriginSeq)
		}
		seq[e.OriginSeq] = true
	}
	for i := 1; i <= total; i++ {
		if !seq[int64(i)] {
			t.Fatalf("hub origin_seq %d missing: not gap-free across replicas", i)
		}
	}
}

func TestAnAppendOnOneReplicaWakesWaitersOnTheOther(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := openURL(t, url), openURL(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	head, err := b.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	watch, stop := b.WatchStream("cross")
	defer stop()
	notices, unsub := b.Subscribe("kiosks")
	defer unsub()
	woke := make(chan error, 1)
	go func() { woke <- b.WaitForAppend(ctx, head) }()

	st := eventstore.Stream{ID: "cross", Type: "test"}
	if _, err := a.Append(ctx, st, eventstore.NoStream, storetest.NewEvents(st, 1, "x")); err != nil {
		t.Fatal(err)
	}
	if err := <-woke; err != nil {
		t.Fatalf("WaitForAppend on the other replica: %v", err)
	}
	select {
	case <-watch:
	case <-ctx.Done():
		t.Fatal("WatchStream on the other replica not woken")
	}
	if evs, err := b.ReadLog(ctx, head, 10); err != nil || len(evs) != 1 || evs[0].StreamID != "cross" {
		t.Fatalf("the other replica reads %+v (%v)", evs, err)
	}
	if err := a.Notify(ctx, "kiosks", "revoked:k7"); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-notices:
		if p != "revoked:k7" {
			t.Fatalf("notice %q", p)
		}
	case <-ctx.Done():
		t.Fatal("notice from one replica never reached the other")
	}
}

// The database going away fails appends with ErrUnavailable, loses none
// that was acknowledged, and the store recovers by itself once the server
// is back, its followers too.
func TestTheStoreRidesOutADatabaseRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := pgtest.Start(ctx, pgtest.Options{})
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	defer c.Stop()
	url := c.NewDatabase(t)
	s, other := openURL(t, url), openURL(t, url)
	st := eventstore.Stream{ID: "restart", Type: "test"}
	if _, err := s.Append(ctx, st, eventstore.NoStream, storetest.NewEvents(st, 1, "before")); err != nil {
		t.Fatal(err)
	}
	if err := c.Crash(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = s.Append(ctx, st, 1, storetest.NewEvents(st, 1, "while down"))
	if !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("append while the database is down: %v, want ErrUnavailable", err)
	}
	if err := c.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	head, _ := other.Head(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err = s.Append(ctx, st, 1, storetest.NewEvents(st, 1, "after"))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store never recovered: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The other replica's listener reconnected and hears of it.
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := other.WaitForAppend(wctx, head); err != nil {
		t.Fatalf("the other replica never heard of the append after the restart: %v", err)
	}
	evs, err := other.ReadStream(ctx, "restart", 0)
	if err != nil || len(evs) != 2 {
		t.Fatalf("stream after the restart: %d events (%v), want the acknowledged 2", len(evs), err)
	}
}
