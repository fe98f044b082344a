package registrationsapp

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/messaging"
	"conference/shared/registrations"
)

// availabilityDesk serves the commands of every SeatsAvailability stream.
// One conference's reservations all change one stream, so handling them
// concurrently the ordinary way (load, decide, append) makes every writer
// but one fail its optimistic check and start again. The desk instead
// queues the commands of a stream and has one goroutine at a time decide
// them in order on an in-memory copy of the aggregate, committing each
// group in one transaction (CommitAll): one batch per command, each with
// its command's processed mark, so handling and marking stay atomic per
// command.
//
// The copy is checked against the stream's version before each group: a
// change made elsewhere (quota updates, kiosk allocations) throws it away
// and the stream is loaded again; a concurrent append that slips in
// between fails the group's expected versions and the group is decided
// again on a fresh load.
type availabilityDesk struct {
	app *App
	// committer commits the group; a store without CommitAll is served
	// command by command through the repository.
	committer committer

	mu      sync.Mutex
	streams map[string]*deskStream
}

// committer is the part of sqlitestore.Store the desk and the process
// manager use to commit several streams' batches at once.
type committer interface {
	CommitAll(ctx context.Context, batches []eventstore.Batch) ([]eventstore.Result, error)
}

type deskStream struct {
	mu    sync.Mutex // guards queue and busy
	queue []*deskCommand
	busy  bool

	// Owned by the goroutine serving the stream.
	agg     *registrations.SeatsAvailability
	snapped int64 // version of the last snapshot saved or loaded
}

type deskCommand struct {
	ctx  context.Context
	msg  eventstore.Message
	cmd  registrations.Command
	do   func(registrations.Command, *registrations.SeatsAvailability) error
	err  error
	done chan struct{}
}

// deskSnapshotEvery is how many events the desk lets the stream grow
// between snapshots. Its copy makes loads rare, so snapshots (a full
// marshal of the inventory, which grows with the orders sold) can be rarer
// than the repository's; each one also replaces the copy, dropping the
// events it accumulated.
const deskSnapshotEvery = 500

// deskMaxRetries bounds how often a group is decided again after losing a
// race with another writer.
const deskMaxRetries = 10

func newAvailabilityDesk(a *App) *availabilityDesk {
	d := &availabilityDesk{app: a, streams: map[string]*deskStream{}}
	d.committer, _ = a.store.(committer)
	return d
}

// handler returns the bus handler of one availability command type.
func (d *availabilityDesk) handler(commandType string) messaging.Handler {
	do := availabilityRules[commandType]
	return func(ctx context.Context, m eventstore.Message) error {
		cmd, err := d.app.commands.Decode(m)
		if err != nil {
			return err
		}
		if d.committer == nil {
			return wrap(d.app.updateAvailability(ctx, m, cmd, do), "handle %s %s", m.Type, m.ID)
		}
		c := &deskCommand{ctx: ctx, msg: m, cmd: cmd, do: do, done: make(chan struct{})}
		d.submit(streamOf(cmd), c)
		return d.wait(ctx, c)
	}
}

// batchHandler serves a batch of availability commands, in order: the bus
// hands it every command of one inventory's lane queued at once.
func (d *availabilityDesk) batchHandler(ctx context.Context, batch []messaging.Delivery) []error {
	errs := make([]error, len(batch))
	cmds := make([]*deskCommand, len(batch))
	byStream := map[string][]*deskCommand{}
	var order []string
	for i, dl := range batch {
		cmd, err := d.app.commands.Decode(dl.Message)
		if err != nil {
			errs[i] = err
			continue
		}
		do, ok := availabilityRules[dl.Message.Type]
		if !ok {
			errs[i] = fmt.Errorf("%s is not an availability command", dl.Message.Type)
			continue
		}
		if d.committer == nil {
			errs[i] = wrap(d.app.updateAvailability(dl.Ctx, dl.Message, cmd, do), "handle %s %s", dl.Message.Type, dl.Message.ID)
			continue
		}
		c := &deskCommand{ctx: dl.Ctx, msg: dl.Message, cmd: cmd, do: do, done: make(chan struct{})}
		cmds[i] = c
		id := streamOf(cmd)
		if _, seen := byStream[id]; !seen {
			order = append(order, id)
		}
		byStream[id] = append(byStream[id], c)
	}
	for _, id := range order {
		d.submit(id, byStream[id]...)
	}
	for i, c := range cmds {
		if c != nil {
			errs[i] = d.wait(ctx, c)
		}
	}
	return errs
}

// wait returns c's outcome once served.
func (d *availabilityDesk) wait(ctx context.Context, c *deskCommand) error {
	select {
	case <-c.done:
		return wrap(c.err, "handle %s %s", c.msg.Type, c.msg.ID)
	case <-ctx.Done():
		// The command may still be committed with its processed mark;
		// the redelivery then finds it processed.
		return ctx.Err()
	}
}

// availabilityLane is the bus lane of an availability command: its
// inventory's stream, so the commands of one conference reach the desk in
// outbox order (first come, first served) while other conferences and
// other messages go on concurrently.
func (a *App) availabilityLane(m eventstore.Message) string {
	cmd, err := a.commands.Decode(m)
	if err != nil {
		return "" // delivered, and failing, with the other undecodable ones
	}
	return streamOf(cmd)
}

// updateAvailability handles one command the ordinary way.
func (a *App) updateAvailability(ctx context.Context, m eventstore.Message, cmd registrations.Command,
	do func(registrations.Command, *registrations.SeatsAvailability) error) error {
	id := streamOf(cmd)
	return a.availability.Update(ctx, id, metaFor(ctx, m), func(s *registrations.SeatsAvailability) error {
		if s.Version() == 0 {
			// Never create an inventory by accident: conferences
			// without seat types reserve nothing.
			return fmt.Errorf("%s: %w", id, eventsourcing.ErrNotFound)
		}
		return do(cmd, s)
	})
}

// submit queues cs, in order, for their stream and starts the stream's
// server if idle.
func (d *availabilityDesk) submit(id string, cs ...*deskCommand) {
	d.mu.Lock()
	st := d.streams[id]
	if st == nil {
		st = &deskStream{}
		d.streams[id] = st
	}
	d.mu.Unlock()
	st.mu.Lock()
	st.queue = append(st.queue, cs...)
	start := !st.busy
	st.busy = true
	st.mu.Unlock()
	if start {
		go d.serve(id, st)
	}
}

// serve decides and commits the queued commands of one stream, a group at
// a time, until the queue is empty.
func (d *availabilityDesk) serve(id string, st *deskStream) {
	for {
		st.mu.Lock()
		group := st.queue
		st.queue = nil
		if len(group) == 0 {
			st.busy = false
			st.mu.Unlock()
			return
		}
		st.mu.Unlock()
		d.serveGroup(id, st, group)
	}
}

func (d *availabilityDesk) serveGroup(id string, st *deskStream, group []*deskCommand) {
	live := group[:0:0]
	for _, c := range group {
		if err := c.ctx.Err(); err != nil {
			c.err = err
			close(c.done)
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	defer func() {
		for _, c := range live {
			close(c.done)
		}
	}()
	// The group runs under its first command's context: the bus's, which
	// ends only when the bus stops.
	ctx := live[0].ctx
	for attempt := 0; ; attempt++ {
		err := d.decide(ctx, id, st, live)
		if err == nil {
			return
		}
		st.agg = nil
		if errors.Is(err, errTainted) {
			// A command failed halfway through changing the copy: the
			// copy cannot be trusted, so each command goes alone.
			for _, c := range live {
				c.err = d.app.updateAvailability(c.ctx, c.msg, c.cmd, c.do)
			}
			return
		}
		if !errors.Is(err, eventstore.ErrConcurrency) || attempt >= deskMaxRetries {
			for _, c := range live {
				c.err = err
			}
			return
		}
	}
}

// errTainted reports a command that failed after recording events.
var errTainted = errors.New("command failed after changing the aggregate")

// decide runs the group's commands on the stream's copy and commits their
// events, one batch per command in order. A command the domain refuses
// gets its error and commits nothing; the others go on.
func (d *availabilityDesk) decide(ctx context.Context, id string, st *deskStream, group []*deskCommand) error {
	if err := d.refresh(ctx, id, st); err != nil {
		return err
	}
	a := st.agg
	if a.Version() == 0 {
		st.agg = nil // never create an inventory by accident
		for _, c := range group {
			c.err = fmt.Errorf("%s: %w", id, eventsourcing.ErrNotFound)
		}
		return nil
	}
	stream := eventstore.Stream{ID: id, Type: a.StreamType()}
	batches := make([]eventstore.Batch, 0, len(group))
	for _, c := range group {
		version, before := a.Version(), len(a.Changes())
		c.err = c.do(c.cmd, a)
		changes := a.Changes()[before:]
		if c.err != nil {
			if len(changes) > 0 {
				return errTainted
			}
			continue
		}
		meta := metaFor(c.ctx, c.msg)
		envs, err := envelopes(d.app.events, stream, version, changes, meta)
		if err != nil {
			return err
		}
		batches = append(batches, eventstore.Batch{Stream: stream, ExpectedVersion: version, Events: envs, Processed: meta.Processed})
	}
	if len(batches) == 0 {
		return nil
	}
	if _, err := d.committer.CommitAll(ctx, batches); err != nil {
		return fmt.Errorf("commit %d commands to %s: %w", len(batches), id, err)
	}
	d.maybeSnapshot(ctx, id, st)
	return nil
}

// versionCache is the part of eventstore.Log that tells a stream's
// version without a query.
type versionCache interface {
	StreamVersion(streamID string) (int64, bool)
}

// refresh makes st.agg the stream's current state: the copy if nothing
// was appended after it, else a fresh load.
func (d *availabilityDesk) refresh(ctx context.Context, id string, st *deskStream) error {
	if st.agg != nil {
		if vc, ok := d.app.store.(versionCache); ok {
			if v, known := vc.StreamVersion(id); known {
				if v == st.agg.Version() {
					return nil
				}
				st.agg = nil
			}
		}
	}
	if st.agg != nil {
		newer, err := d.app.store.ReadStream(ctx, id, st.agg.Version())
		if err != nil {
			return fmt.Errorf("check %s: %w", id, err)
		}
		if len(newer) == 0 {
			return nil
		}
		st.agg = nil
	}
	a, err := d.app.availability.Load(ctx, id)
	if err != nil && !errors.Is(err, eventsourcing.ErrNotFound) {
		return err
	}
	st.agg, st.snapped = a, a.Version()
	return nil
}

// maybeSnapshot saves a snapshot every deskSnapshotEvery events and
// restarts the copy from it. Failing costs only replay time later.
func (d *availabilityDesk) maybeSnapshot(ctx context.Context, id string, st *deskStream) {
	a := st.agg
	if a.Version()-st.snapped < deskSnapshotEvery {
		return
	}
	data, err := a.MarshalSnapshot()
	if err != nil {
		st.agg = nil
		return
	}
	snap := eventstore.Snapshot{StreamID: id, Version: a.Version(), Schema: a.SnapshotSchema(), Data: data}
	if err := d.app.store.SaveSnapshot(ctx, snap); err != nil {
		d.app.log.Warn("save availability snapshot", "stream", id, "err", err)
	}
	fresh := registrations.NewSeatsAvailability()
	if err := fresh.UnmarshalSnapshot(snap.Schema, data); err != nil {
		st.agg = nil
		return
	}
	eventsourcing.Replay(fresh, id, snap.Version)
	st.agg, st.snapped = fresh, snap.Version
}

// envelopes encodes changes recorded on a stream at version as events to
// append, the way eventsourcing.Repository.Save does.
func envelopes(codec *eventsourcing.Registry, stream eventstore.Stream, version int64, changes []eventsourcing.Event, meta eventsourcing.Metadata) ([]eventstore.Event, error) {
	out := make([]eventstore.Event, 0, len(changes))
	for i, e := range changes {
		name, schema, data, err := codec.Encode(e)
		if err != nil {
			return nil, fmt.Errorf("save %s: %w", stream.ID, err)
		}
		out = append(out, eventstore.Event{
			EventID: ids.New(), StreamID: stream.ID, StreamType: stream.Type, StreamVersion: version + int64(i) + 1,
			Type: name, Schema: schema, Data: data, CorrelationID: meta.CorrelationID, CausationID: meta.CausationID,
		})
	}
	return out, nil
}
