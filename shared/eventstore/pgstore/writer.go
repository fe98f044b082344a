package pgstore

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"conference/shared/eventstore/internal/appendplan"
)

// The replica's writer loop, its flusher, and how a group waits for the
// callers that are about to append again. What a group writes is in
// write.go and optimistic.go.

// run is the replica's writer: it takes one request, then every request
// already waiting, and commits them in one transaction. It does not wait
// for the commit to reach the disk: the flusher makes it durable and
// answers the callers while the writer goes on with the next group
// (durable.go).
func (s *Store) run() {
	defer s.wg.Done()
	flushes := make(chan *pending, s.opts.MaxGroup)
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		s.flusher(flushes)
	}()
	defer func() {
		close(flushes)
		<-flushed
	}()
	group := make([]*request, 0, s.opts.MaxGroup)
	for {
		select {
		case r := <-s.reqs:
			group = append(group[:0], r)
		collect:
			for len(group) < s.opts.MaxGroup {
				select {
				case r := <-s.reqs:
					group = append(group, r)
				default:
					// One yield lets callers just answered submit again
					// and share this transaction.
					if len(group) > 1 {
						runtime.Gosched()
						select {
						case r := <-s.reqs:
							group = append(group, r)
							continue
						default:
						}
					}
					break collect
				}
			}
			group = s.waitForAnswered(group)
			p := s.writeGroup(group)
			s.awaiting.Add(int64(len(p.answers)))
			flushes <- p
		case <-s.quit:
			return
		}
	}
}

// pending is what one writeGroup committed and the answers it owes, held
// until the commits are durable.
type pending struct {
	groups  []committed // in commit order
	answers []answer
}

// committed is one transaction of a writeGroup, to publish to this
// replica's waiters once durable.
type committed struct {
	g        *appendplan.Group
	rows     []appendplan.Row
	msgHead  int64
	requests int
}

// answer is one caller's outcome; durable says it reports a write, which
// fails if the flush does.
type answer struct {
	r       *request
	o       outcome
	durable bool
}

func (p *pending) answer(r *request, o outcome) {
	p.answers = append(p.answers, answer{r: r, o: o, durable: o.err == nil})
}

// flusher makes the writer's groups durable and then, in the order they
// were committed, publishes them and answers their callers.
//
// It takes every set waiting into one flush, and starts that flush at once
// even while earlier ones are still waiting for the disk (up to
// maxFlushes): PostgreSQL writes the WAL in order and one fsync covers
// every record before it, so a flush that began after a set committed makes
// that set durable, whichever flush returns first. Waiting for the
// previous flush before starting the next cost a second fsync of latency
// to every append that committed during it.
//
// Every set is flushed, even one that wrote nothing: a duplicate it
// reports may be another group's commit, not yet durable. A set whose own
// flush fails and that no later flush covered is answered with the error
// (its durability is unknown; a retry is recognized as a duplicate) and
// not published; the follower finds what survived in the table.
func (s *Store) flusher(in <-chan *pending) {
	type unit struct {
		sets []*pending
		done bool
		err  error
	}
	type result struct {
		u   *unit
		err error
	}
	results := make(chan result)
	var order []*unit // started, not yet answered, in commit order
	inFlight := 0
	open := true
	for open || inFlight > 0 {
		var take <-chan *pending
		if open && inFlight < maxFlushes {
			take = in
		}
		select {
		case p, ok := <-take:
			if !ok {
				open = false
				continue
			}
			u := &unit{sets: []*pending{p}}
		drain:
			for {
				select {
				case p, ok := <-in:
					if !ok {
						open = false
						break drain
					}
					u.sets = append(u.sets, p)
				default:
					break drain
				}
			}
			order = append(order, u)
			inFlight++
			var events, messages int64
			for _, p := range u.sets {
				for _, c := range p.groups {
					if c.g.Events {
						events = max(events, c.g.Head)
					}
					messages = max(messages, c.msgHead)
				}
			}
			go func() {
				if s.flushDelay > 0 { // tests widen the window a crash may fall into
					time.Sleep(s.flushDelay)
				}
				results <- result{u, s.flushAll(events, messages)}
			}()
		case r := <-results:
			inFlight--
			r.u.done, r.u.err = true, r.err
			// A successful flush covers every unit started before it.
			if r.err == nil {
				for _, u := range order {
					if u == r.u {
						break
					}
					if !u.done || u.err != nil {
						u.done, u.err = true, nil
					}
				}
			}
			for len(order) > 0 && order[0].done {
				u := order[0]
				order = order[1:]
				s.answerFlushed(u.sets, u.err)
			}
		}
	}
}

// maxFlushes bounds the flushes a replica has waiting for the disk at once.
const maxFlushes = 4

// answerFlushed publishes the sets' groups (unless the flush failed) and
// answers their callers.
func (s *Store) answerFlushed(sets []*pending, err error) {
	for _, p := range sets {
		if err == nil {
			for _, c := range p.groups {
				s.published(c.g, c.rows, c.msgHead, c.requests)
			}
		}
		for _, a := range p.answers {
			if err != nil && a.durable {
				a.o = outcome{err: fmt.Errorf("commit: make it durable: %w", err)}
			}
			a.r.done <- a.o
		}
		s.awaiting.Add(-int64(len(p.answers)))
		s.returned.Add(int64(len(p.answers)))
	}
	s.answeredMu.Lock()
	close(s.answered)
	s.answered = make(chan struct{})
	s.answeredMu.Unlock()
}

// waitForAnswered lets a group wait, briefly, for callers that are about
// to append again: those the flusher answered since the last group
// (expected back at once: most append again as soon as they are
// answered), and those of a group before it still waiting for their flush
// when they outnumber this group's (it waits for that flush to answer
// them, then for them to come back). Without the wait a replica's writers
// split into cohorts out of step: a group took the callers that happened
// to be back, and every group paid the round trip and the commit for a
// fraction of the appends; with 32 writers, one of every two groups had a
// single append.
//
// The wait for callers to come back ends after maxReturnWait, and the
// whole wait after maxGroupWait, so callers that do not come back cost a
// group that much latency and no more.
func (s *Store) waitForAnswered(group []*request) []*request {
	expect := int(s.returned.Swap(0))
	total := time.NewTimer(maxGroupWait)
	defer total.Stop()
	back := time.NewTimer(maxReturnWait)
	defer back.Stop()
	for len(group) < s.opts.MaxGroup {
		if len(group) < expect {
			select {
			case r := <-s.reqs:
				group = append(group, r)
			case <-back.C:
				expect = 0
			case <-total.C:
				return group
			case <-s.quit:
				return group
			}
			continue
		}
		if out := s.awaiting.Load(); out == 0 || out < int64(len(group)) {
			return group
		}
		s.answeredMu.Lock()
		answered := s.answered
		s.answeredMu.Unlock()
		select {
		case <-answered:
		case <-total.C:
			return group
		case <-s.quit:
			return group
		}
		expect = len(group) + int(s.returned.Swap(0))
		back.Reset(maxReturnWait)
	}
	return group
}

// maxGroupWait bounds how long a group waits for callers (a flush takes
// about a millisecond); maxReturnWait how long it waits for answered
// callers to append again.
const (
	maxGroupWait  = 2 * time.Millisecond
	maxReturnWait = 250 * time.Microsecond
)

// flushAll flushes on a connection of its own: the writer's may hold the
// next group's lock already.
func (s *Store) flushAll(events, messages int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return Classify(err)
	}
	defer conn.Release()
	return flush(ctx, conn.Conn(), events, messages)
}
