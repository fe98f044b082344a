package messaging

import (
	"context"
	"fmt"

	"conference/shared/eventstore"
)

// Delivery is one message handed to a BatchHandler. Its Ctx carries the
// message's processed mark (see Processed), for the handler to store with
// the message's effects.
type Delivery struct {
	Ctx     context.Context
	Message eventstore.Message
}

// BatchHandler handles consecutive messages of one lane at once, in their
// outbox order, and returns one error per message (nil when handled); a
// message whose error is not nil is retried on its own schedule.
type BatchHandler func(ctx context.Context, batch []Delivery) []error

// batchRoute is a BatchHandler with the lane its commands travel in.
type batchRoute struct {
	lane func(eventstore.Message) string
	h    BatchHandler
}

// maxBatch bounds how many queued messages one BatchHandler call gets.
const maxBatch = 256

// HandleCommandBatch registers h as the one handler of the command types.
// lane names the sequence each command belongs to (typically the
// aggregate it changes): commands of one lane are handed to h one batch
// at a time, in outbox order, a batch being every command of that lane
// queued when the previous batch finished; different lanes run
// concurrently. A hot aggregate thus takes its commands in order while
// committing many of them together.
func (b *Bus) HandleCommandBatch(commandTypes []string, lane func(eventstore.Message) string, h BatchHandler) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := &batchRoute{lane: lane, h: h}
	for _, t := range commandTypes {
		if _, dup := b.commands[t]; dup {
			return fmt.Errorf("command %s already has a handler", t)
		}
		if _, dup := b.batches[t]; dup {
			return fmt.Errorf("command %s already has a handler", t)
		}
	}
	for _, t := range commandTypes {
		b.batches[t] = r
	}
	return nil
}

// batchRouteOf returns the batch route of m, if it is a command that has one.
func (b *Bus) batchRouteOf(m eventstore.Message) *batchRoute {
	if m.Kind != eventstore.KindCommand {
		return nil
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.batches[m.Type]
}

// laneOf is the lane m travels in.
func (b *Bus) laneOf(m eventstore.Message) string {
	if r := b.batchRouteOf(m); r != nil {
		return "batch:" + r.lane(m)
	}
	return b.opts.Lane(m)
}

// deliverBatch hands jobs (all of route r, in lane order) to r's handler,
// skipping those processed already, and reports each one's delivery.
func (b *Bus) deliverBatch(r *batchRoute, jobs []job) []delivery {
	out := make([]delivery, len(jobs))
	var (
		batch []Delivery
		index []int
	)
	for i, j := range jobs {
		out[i] = delivery{m: j.m, ctx: j.ctx}
		name := "command:" + j.m.Type
		done := j.known[name]
		if j.known == nil {
			var err error
			if done, err = b.store.IsProcessed(j.ctx, name, j.m.ID); err != nil {
				out[i].storeErr = err
				continue
			}
		}
		if done {
			continue
		}
		batch = append(batch, Delivery{Ctx: WithDelivery(j.ctx, name, j.m), Message: j.m})
		index = append(index, i)
	}
	if len(batch) == 0 {
		return out
	}
	errs := r.h(jobs[0].ctx, batch)
	if len(errs) != len(batch) {
		err := fmt.Errorf("batch handler answered %d results for %d messages", len(errs), len(batch))
		errs = make([]error, len(batch))
		for i := range errs {
			errs[i] = err
		}
	}
	for k, i := range index {
		name := "command:" + jobs[i].m.Type
		if err := errs[k]; err != nil {
			out[i].handlerErr = fmt.Errorf("%s: %w", name, err)
			continue
		}
		out[i].processed = append(out[i].processed, eventstore.Processed{Handler: name, MessageID: jobs[i].m.ID})
	}
	return out
}
