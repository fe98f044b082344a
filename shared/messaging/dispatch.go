package messaging

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
)

// dispatch is the bus's delivery machinery: the messages taken from the
// outbox and not yet marked (in flight), the lanes delivering them, and
// the deliveries waiting for their marks to be written.
//
// A message stays in flight from the moment it is taken until its marks
// (or its failure) are written, so no round takes it twice while its
// outcome is not in the outbox yet.
type dispatch struct {
	mu       sync.Mutex
	inflight map[uuid.UUID]struct{}
	lanes    map[string]*lane
	finished []delivery
	attempts map[uuid.UUID]int // per message, in memory, to pace retries
	active   int               // lane goroutines running
	idle     *sync.Cond        // signalled when active drops to 0

	workers  chan struct{} // one token per running handler
	progress chan struct{} // capacity 1: a delivery finished
	flushMu  sync.Mutex    // one flush at a time
}

type lane struct {
	queue []job
}

type job struct {
	ctx   context.Context
	m     eventstore.Message
	known map[string]bool // handlers that processed m already, if read
	done  func()
}

func (d *dispatch) init(workers int) {
	d.inflight = map[uuid.UUID]struct{}{}
	d.lanes = map[string]*lane{}
	d.attempts = map[uuid.UUID]int{}
	d.idle = sync.NewCond(&d.mu)
	d.workers = make(chan struct{}, workers)
	d.progress = make(chan struct{}, 1)
}

// take claims the messages not in flight yet and returns them.
func (b *Bus) take(msgs []eventstore.Message) []eventstore.Message {
	b.d.mu.Lock()
	defer b.d.mu.Unlock()
	out := msgs[:0:0]
	for _, m := range msgs {
		if _, busy := b.d.inflight[m.ID]; busy {
			continue
		}
		b.d.inflight[m.ID] = struct{}{}
		out = append(out, m)
	}
	return out
}

// enqueue hands a claimed message to its lane, starting the lane's
// goroutine if it is idle.
func (b *Bus) enqueue(ctx context.Context, m eventstore.Message, known map[string]bool, done func()) {
	key := b.opts.Lane(m)
	b.d.mu.Lock()
	l := b.d.lanes[key]
	start := l == nil
	if start {
		l = &lane{}
		b.d.lanes[key] = l
		b.d.active++
	}
	l.queue = append(l.queue, job{ctx: ctx, m: m, known: known, done: done})
	b.d.mu.Unlock()
	if start {
		go b.runLane(key, l)
	}
}

// runLane delivers a lane's messages one at a time until it is empty.
func (b *Bus) runLane(key string, l *lane) {
	for {
		b.d.mu.Lock()
		if len(l.queue) == 0 {
			delete(b.d.lanes, key)
			b.d.active--
			if b.d.active == 0 {
				b.d.idle.Broadcast()
			}
			b.d.mu.Unlock()
			return
		}
		j := l.queue[0]
		l.queue = l.queue[1:]
		b.d.mu.Unlock()

		b.d.workers <- struct{}{}
		out := b.deliver(j.ctx, j.m, j.known)
		<-b.d.workers

		b.d.mu.Lock()
		b.d.finished = append(b.d.finished, out)
		b.d.mu.Unlock()
		select {
		case b.d.progress <- struct{}{}:
		default:
		}
		if j.done != nil {
			j.done()
		}
	}
}

// DispatchDue delivers every message due now that no other round has in
// flight, waits for them, writes their marks and reports how many it
// delivered. Tests call it; Run keeps delivering without waiting.
func (b *Bus) DispatchDue(ctx context.Context) (int, error) {
	msgs, err := b.store.PendingMessages(ctx, b.opts.Now(), b.opts.MaxInFlight)
	if err != nil {
		return 0, err
	}
	msgs = b.take(msgs)
	known, err := b.processedMarks(ctx, msgs)
	if err != nil {
		b.release(msgs)
		return 0, err
	}
	var wg sync.WaitGroup
	wg.Add(len(msgs))
	for _, m := range msgs {
		b.enqueue(ctx, m, known[m.ID], wg.Done)
	}
	wg.Wait()
	return len(msgs), b.flush(ctx)
}

// release puts claimed messages back, undelivered.
func (b *Bus) release(msgs []eventstore.Message) {
	b.d.mu.Lock()
	defer b.d.mu.Unlock()
	for _, m := range msgs {
		delete(b.d.inflight, m.ID)
	}
}

// Run dispatches until ctx ends. The caller owns it; it returns once the
// deliveries it started have finished.
func (b *Bus) Run(ctx context.Context) error {
	defer b.drain(ctx)
	var flushed time.Time
	for {
		wake := b.store.MessagesWritten()
		finished, flying := b.load()
		// Marks wait a moment to be written together: a delivery's effects
		// are committed already, and until its mark is written the message
		// simply stays in flight.
		if finished > 0 && (time.Since(flushed) >= flushEvery || flying >= b.opts.MaxInFlight) {
			if err := b.flush(ctx); err != nil && ctx.Err() == nil {
				b.opts.Logger.Error("record message deliveries", "err", err)
			}
			flushed = time.Now()
			finished = 0
		}
		full, err := b.fill(ctx)
		if err != nil && ctx.Err() == nil {
			b.opts.Logger.Error("dispatch outbox", "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if full && err == nil {
			continue // more is due than one read returned
		}
		var sleep time.Duration
		switch {
		case finished > 0:
			sleep = max(time.Millisecond, flushEvery-time.Since(flushed))
		case flying > 0:
			sleep = b.opts.Poll // a finishing delivery wakes Run
		default:
			sleep = b.sleep(ctx)
		}
		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-wake:
		case <-b.d.progress:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// flushEvery is how long a running bus lets finished deliveries gather
// before writing their marks in one transaction.
const flushEvery = 10 * time.Millisecond

// load reports how many deliveries wait for their marks, and how many
// messages are in flight.
func (b *Bus) load() (finished, flying int) {
	b.d.mu.Lock()
	defer b.d.mu.Unlock()
	return len(b.d.finished), len(b.d.inflight)
}

// fill takes due messages into flight up to MaxInFlight and reports
// whether the outbox may hold more due messages than it took.
func (b *Bus) fill(ctx context.Context) (bool, error) {
	b.d.mu.Lock()
	flying := len(b.d.inflight)
	b.d.mu.Unlock()
	room := b.opts.MaxInFlight - flying
	if room <= 0 {
		return false, nil // a finishing delivery wakes Run
	}
	// Messages in flight come back from the read too (they are pending
	// until marked), so read past them.
	limit := flying + min(room, 256)
	msgs, err := b.store.PendingMessages(ctx, b.opts.Now(), limit)
	if err != nil {
		return false, err
	}
	taken := b.take(msgs)
	known, err := b.processedMarks(ctx, taken)
	if err != nil {
		b.release(taken)
		return false, err
	}
	for _, m := range taken {
		b.enqueue(ctx, m, known[m.ID], nil)
	}
	return len(msgs) == limit, nil
}

// sleep is how long Run may sleep: until the next message is due if the
// store can tell, at most Poll.
func (b *Bus) sleep(ctx context.Context) time.Duration {
	dt, ok := b.store.(DueTeller)
	if !ok {
		return b.opts.Poll
	}
	next, found, err := dt.NextDue(ctx)
	if err != nil || !found {
		return b.opts.Poll
	}
	wait := next.Sub(b.opts.Now())
	if wait <= 0 {
		// Due already: in flight (its end wakes Run) or taken by a round
		// right after this one.
		return b.opts.Poll
	}
	return min(wait+time.Millisecond, b.opts.Poll)
}

// drain waits for the deliveries in flight and records what they did, so
// a stopped bus leaves nothing half-marked that it could have marked.
func (b *Bus) drain(ctx context.Context) {
	b.d.mu.Lock()
	for b.d.active > 0 {
		b.d.idle.Wait()
	}
	b.d.mu.Unlock()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := b.flush(fctx); err != nil {
		b.opts.Logger.Warn("record message deliveries at stop", "err", err)
	}
}

// flush writes the marks of the finished deliveries in one transaction,
// records the failures and releases the messages from flight.
func (b *Bus) flush(ctx context.Context) error {
	b.d.flushMu.Lock()
	defer b.d.flushMu.Unlock()
	b.d.mu.Lock()
	done := b.d.finished
	b.d.finished = nil
	b.d.mu.Unlock()
	if len(done) == 0 {
		return nil
	}
	var (
		marks      []eventstore.Processed
		dispatched []uuid.UUID
		errs       []error
	)
	for _, d := range done {
		marks = append(marks, d.processed...)
		switch {
		case d.storeErr != nil:
			errs = append(errs, d.storeErr)
		case d.handlerErr == nil:
			dispatched = append(dispatched, d.m.ID)
		}
	}
	err := b.markDelivered(ctx, marks, dispatched)
	if err == nil {
		for _, d := range done {
			if d.storeErr == nil && d.handlerErr != nil {
				if ferr := b.recordFailure(ctx, d); ferr != nil {
					errs = append(errs, ferr)
				}
			}
		}
	}
	b.d.mu.Lock()
	for _, d := range done {
		delete(b.d.inflight, d.m.ID)
		if err == nil && d.storeErr == nil && d.handlerErr == nil {
			delete(b.d.attempts, d.m.ID)
		}
	}
	b.d.mu.Unlock()
	return errors.Join(append([]error{err}, errs...)...)
}

func (b *Bus) markDelivered(ctx context.Context, marks []eventstore.Processed, dispatched []uuid.UUID) error {
	if dm, ok := b.store.(DeliveryMarker); ok {
		return dm.MarkDelivered(ctx, marks, dispatched)
	}
	for _, p := range marks {
		if err := b.store.MarkProcessed(ctx, p.Handler, p.MessageID); err != nil {
			return err
		}
	}
	for _, id := range dispatched {
		if err := b.store.MarkDispatched(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// recordFailure counts a failed delivery and schedules its retry, or
// dead-letters it. A failure caused by the bus stopping is not counted:
// the message is simply delivered again after the restart.
func (b *Bus) recordFailure(ctx context.Context, d delivery) error {
	if d.ctx.Err() != nil {
		return nil
	}
	b.d.mu.Lock()
	b.d.attempts[d.m.ID]++
	attempt := b.d.attempts[d.m.ID]
	b.d.mu.Unlock()
	dead, err := b.store.RecordFailure(ctx, d.m.ID, d.handlerErr, b.opts.MaxAttempts, b.opts.Now().Add(b.opts.Backoff(attempt)))
	if err != nil {
		return err
	}
	log := b.opts.Logger.With("message", d.m.ID, "type", d.m.Type, "kind", d.m.Kind, "err", d.handlerErr)
	if dead {
		b.d.mu.Lock()
		delete(b.d.attempts, d.m.ID)
		b.d.mu.Unlock()
		log.Error("message dead-lettered after repeated failures", "attempts", b.opts.MaxAttempts)
	} else {
		log.Warn("message handler failed; will retry", "attempt", attempt)
	}
	return nil
}
