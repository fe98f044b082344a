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
	released chan struct{} // capacity 1: messages left flight
	flushMu  sync.Mutex    // one flush at a time

	// Owned by Run: the sequence number up to which the outbox was read,
	// and whether a message may have gone back behind it.
	cursor int64
	rescan bool // guarded by mu
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
	d.released = make(chan struct{}, 1)
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
	key := b.laneOf(m)
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
		jobs := l.queue[:1]
		route := b.batchRouteOf(jobs[0].m)
		if route != nil {
			// Every queued command of the same route goes in one batch.
			n := 1
			for n < len(l.queue) && n < maxBatch && b.batchRouteOf(l.queue[n].m) == route {
				n++
			}
			jobs = l.queue[:n]
		}
		l.queue = l.queue[len(jobs):]
		b.d.mu.Unlock()

		b.d.workers <- struct{}{}
		var outs []delivery
		if route != nil {
			outs = b.deliverBatch(route, jobs)
		} else {
			outs = []delivery{b.deliver(jobs[0].ctx, jobs[0].m, jobs[0].known)}
		}
		<-b.d.workers

		b.d.mu.Lock()
		b.d.finished = append(b.d.finished, outs...)
		b.d.mu.Unlock()
		select {
		case b.d.progress <- struct{}{}:
		default:
		}
		for _, j := range jobs {
			if j.done != nil {
				j.done()
			}
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
// deliveries it started have finished and their marks are written.
//
// Run reads only the messages written since its last read when an outbox
// write wakes it, and the whole outbox (delayed messages falling due,
// retries) when it wakes by the clock. A second goroutine, owned by Run,
// writes the marks of finished deliveries, so a slow write never holds up
// taking new messages.
func (b *Bus) Run(ctx context.Context) error {
	marks := make(chan struct{})
	go func() {
		defer close(marks)
		b.writeMarks(ctx)
	}()
	defer func() {
		<-marks
		b.drain(ctx)
	}()
	all := true // read the whole outbox next
	var lastAll time.Time
	for {
		wake := b.store.MessagesWritten()
		// Delayed messages and retries fall due behind the cursor: read
		// the whole outbox at least every Poll, busy or not.
		if all || time.Since(lastAll) >= b.opts.Poll {
			all, lastAll = true, time.Now()
		}
		full, err := b.fill(ctx, all)
		if err != nil && ctx.Err() == nil {
			b.opts.Logger.Error("dispatch outbox", "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if full && err == nil {
			continue // more is due than one read returned
		}
		all = false
		sleep := b.opts.Poll
		if _, flying := b.load(); flying == 0 {
			sleep = b.sleep(ctx)
		}
		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-wake:
		case <-b.d.released:
		case <-timer.C:
			all = true
		}
		timer.Stop()
	}
}

// flushEvery is how long a running bus lets finished deliveries gather
// before writing their marks in one transaction: a delivery's effects are
// committed already, and until its mark is written the message simply
// stays in flight.
const flushEvery = 20 * time.Millisecond

// writeMarks writes the marks of finished deliveries until ctx ends.
func (b *Bus) writeMarks(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.d.progress:
		}
		if err := b.flush(ctx); err != nil && ctx.Err() == nil {
			b.opts.Logger.Error("record message deliveries", "err", err)
			b.d.mu.Lock()
			b.d.rescan = true // a message may be back in the outbox behind the cursor
			b.d.mu.Unlock()
		}
		select {
		case b.d.released <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(flushEvery):
		}
	}
}

// load reports how many deliveries wait for their marks, and how many
// messages are in flight.
func (b *Bus) load() (finished, flying int) {
	b.d.mu.Lock()
	defer b.d.mu.Unlock()
	return len(b.d.finished), len(b.d.inflight)
}

// CursorReader is implemented by stores that read the due messages
// written after a sequence number (sqlitestore does), so a running bus
// does not read again the messages it has in flight.
type CursorReader interface {
	PendingMessagesAfter(ctx context.Context, now time.Time, afterSeq int64, limit int) ([]eventstore.Message, int64, error)
}

// fill takes due messages into flight up to MaxInFlight and reports
// whether the outbox may hold more due messages than it took. With all
// false it reads only past its cursor.
func (b *Bus) fill(ctx context.Context, all bool) (bool, error) {
	b.d.mu.Lock()
	flying := len(b.d.inflight)
	all = all || b.d.rescan
	b.d.rescan = false
	b.d.mu.Unlock()
	room := b.opts.MaxInFlight - flying
	if room <= 0 {
		return false, nil // a flush of finished deliveries wakes Run
	}
	var (
		msgs  []eventstore.Message
		limit int
		err   error
	)
	if cr, ok := b.store.(CursorReader); ok && !all {
		limit = min(room, 256)
		var last int64
		msgs, last, err = cr.PendingMessagesAfter(ctx, b.opts.Now(), b.d.cursor, limit)
		if err == nil {
			b.d.cursor = last
		}
	} else {
		// Messages in flight come back from the read too (they are
		// pending until marked), so read past them.
		limit = flying + min(room, 256)
		// Everything up to the head is read now or by the next full read
		// (when this one is full), so the cursor may move to it.
		head, headErr := b.headSeq(ctx)
		msgs, err = b.store.PendingMessages(ctx, b.opts.Now(), limit)
		if err == nil && headErr == nil {
			b.d.cursor = max(b.d.cursor, head)
		}
	}
	if err != nil {
		b.d.mu.Lock()
		b.d.rescan = true
		b.d.mu.Unlock()
		return false, err
	}
	taken := b.take(msgs)
	known, err := b.processedMarks(ctx, taken)
	if err != nil {
		b.release(taken)
		b.d.mu.Lock()
		b.d.rescan = true
		b.d.mu.Unlock()
		return false, err
	}
	for _, m := range taken {
		b.enqueue(ctx, m, known[m.ID], nil)
	}
	return len(msgs) == limit, nil
}

// headSeq is the sequence number of the newest message, where a cursor
// reading only new messages may start; 0 (start from the beginning) when
// the store cannot tell.
func (b *Bus) headSeq(ctx context.Context) (int64, error) {
	hr, ok := b.store.(interface {
		MessagesHead(ctx context.Context) (int64, error)
	})
	if !ok {
		return 0, nil
	}
	return hr.MessagesHead(ctx)
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
	retry := b.retryOf(d.m)
	dead, err := b.store.RecordFailure(ctx, d.m.ID, d.handlerErr, retry.MaxAttempts, b.opts.Now().Add(retry.Backoff(attempt)))
	if err != nil {
		return err
	}
	log := b.opts.Logger.With("message", d.m.ID, "type", d.m.Type, "kind", d.m.Kind, "err", d.handlerErr)
	if dead {
		b.d.mu.Lock()
		delete(b.d.attempts, d.m.ID)
		b.d.mu.Unlock()
		log.Error("message dead-lettered after repeated failures", "attempts", retry.MaxAttempts)
	} else {
		log.Warn("message handler failed; will retry", "attempt", attempt)
	}
	return nil
}
