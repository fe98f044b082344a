package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"conference/shared/eventstore"
	"conference/shared/eventstore/internal/appendplan"
)

// CommitAll commits batches of several streams in the given order in one
// transaction: all of them or none. Each batch keeps the rules of Commit
// (expected version, duplicate event ids, origin order); the first batch
// that breaks one fails the whole call with its error, and nothing is
// written.
//
// Sync needs it: a page of replicated events touches many small streams,
// and committing them one by one costs a transaction each, while handing
// them to the group writer separately could reorder an origin's events.
func (s *Store) CommitAll(ctx context.Context, batches []eventstore.Batch) ([]eventstore.Result, error) {
	if len(batches) == 0 {
		return nil, nil
	}
	chain := make([]eventstore.Batch, len(batches))
	copy(chain, batches)
	for i := range chain {
		if err := appendplan.Validate(&chain[i]); err != nil {
			return nil, fmt.Errorf("batch %d of %d: %w", i+1, len(chain), err)
		}
	}
	r := &request{ctx: ctx, chain: chain, done: make(chan outcome, 1)}
	select {
	case s.reqs <- r:
	case <-s.quit:
		return nil, eventstore.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case o := <-r.done:
		return o.results, o.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// writeChain runs one CommitAll in a transaction of its own.
func (s *Store) writeChain(ctx context.Context, r *request) {
	reqs := make([]*request, len(r.chain))
	for i, b := range r.chain {
		reqs[i] = &request{ctx: r.ctx, batch: b}
	}
	outs := make([]outcome, len(reqs))
	start := time.Now()
	st, err := s.tryGroup(ctx, reqs, outs, false, true)
	if errors.Is(err, errSlowPath) {
		outs = make([]outcome, len(reqs))
		st, err = s.tryGroup(ctx, reqs, outs, true, true)
	}
	s.opts.Observe.Observe(eventstore.Commit{Events: len(st.rows), Duration: time.Since(start), Err: err})
	if err != nil {
		r.done <- outcome{err: err}
		return
	}
	st.requests = len(reqs)
	s.publish(st)
	results := make([]eventstore.Result, len(outs))
	for i, o := range outs {
		results[i] = o.res
	}
	r.done <- outcome{results: results}
}
