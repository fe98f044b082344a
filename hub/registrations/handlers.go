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

// Bus is the part of messaging.Bus the handlers register on.
type Bus interface {
	HandleCommand(commandType string, h messaging.Handler) error
}

var _ Bus = (*messaging.Bus)(nil)

// RegisterHandlers registers a handler on bus for every command the
// RegistrationProcess sends.
func (a *App) RegisterHandlers(bus Bus) error {
	for name, h := range a.CommandHandlers() {
		if err := bus.HandleCommand(name, h); err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	return nil
}

// CommandHandlers returns the handler of every command the process sends,
// by command type. Aggregate handlers save their effect with the bus's
// processed mark (messaging.Processed) in one batch, so handling and
// marking are atomic; port handlers (payments, notifications) rely on the
// port being idempotent.
func (a *App) CommandHandlers() map[string]messaging.Handler {
	desk := newAvailabilityDesk(a)
	return map[string]messaging.Handler{
		registrations.MakeSeatReservation{}.CommandType(): desk.handler(func(c registrations.Command, s *registrations.SeatsAvailability) error {
			m := c.(registrations.MakeSeatReservation)
			return s.MakeReservation(m.ReservationID, m.Seats)
		}),
		registrations.CommitSeatReservation{}.CommandType(): desk.handler(func(c registrations.Command, s *registrations.SeatsAvailability) error {
			return s.CommitReservation(c.(registrations.CommitSeatReservation).ReservationID)
		}),
		registrations.CancelSeatReservation{}.CommandType(): desk.handler(func(c registrations.Command, s *registrations.SeatsAvailability) error {
			return s.CancelReservation(c.(registrations.CancelSeatReservation).ReservationID)
		}),
		registrations.CancelSoldSeats{}.CommandType(): desk.handler(func(c registrations.Command, s *registrations.SeatsAvailability) error {
			return s.CancelSoldSeats(c.(registrations.CancelSoldSeats).OrderID)
		}),
		registrations.RecordOnSiteSale{}.CommandType(): desk.handler(func(c registrations.Command, s *registrations.SeatsAvailability) error {
			m := c.(registrations.RecordOnSiteSale)
			return s.RecordOnSiteSale(m.KioskID, m.OrderID, m.Seats)
		}),
		registrations.MarkSeatsAsReserved{}.CommandType(): a.onOrder(func(c registrations.Command, o *registrations.Order) error {
			m := c.(registrations.MarkSeatsAsReserved)
			return o.MarkSeatsReserved(m.Seats, m.ExpiresAt)
		}),
		registrations.ReinstateOrder{}.CommandType(): a.onOrder(func(c registrations.Command, o *registrations.Order) error {
			m := c.(registrations.ReinstateOrder)
			return o.Reinstate(m.Seats, m.ExpiresAt)
		}),
		registrations.ConfirmOrder{}.CommandType(): a.onOrder(func(_ registrations.Command, o *registrations.Order) error {
			return o.Confirm(a.now())
		}),
		registrations.ExpireOrder{}.CommandType(): a.onOrder(func(_ registrations.Command, o *registrations.Order) error {
			return o.Expire(a.now())
		}),
		registrations.RejectOrder{}.CommandType(): a.onOrder(func(c registrations.Command, o *registrations.Order) error {
			return o.Reject(c.(registrations.RejectOrder).Reason, a.now())
		}),
		registrations.InitiatePayment{}.CommandType(): a.onPort(func(ctx context.Context, c registrations.Command) error {
			return a.payments.Initiate(ctx, c.(registrations.InitiatePayment))
		}),
		registrations.RefundPayment{}.CommandType(): a.onPort(func(ctx context.Context, c registrations.Command) error {
			return a.payments.Refund(ctx, c.(registrations.RefundPayment))
		}),
		registrations.NotifyRegistrant{}.CommandType(): a.onPort(func(ctx context.Context, c registrations.Command) error {
			return a.notifier.Notify(ctx, c.(registrations.NotifyRegistrant))
		}),
		registrations.ReservationTimeout{}.CommandType(): a.onTimeout,
		WaitlistOfferDue{}.CommandType():                 a.onOfferDue,
		RefundSeats{}.CommandType():                      a.onRefundSeats,
		WaitlistSeats{}.CommandType():                    a.onWaitlistSeats,
	}
}

// streamOf names the aggregate a command targets.
func streamOf(c registrations.Command) string {
	switch m := c.(type) {
	case registrations.MakeSeatReservation:
		return registrations.AvailabilityStreamID(m.ConferenceID)
	case registrations.CommitSeatReservation:
		return registrations.AvailabilityStreamID(m.ConferenceID)
	case registrations.CancelSeatReservation:
		return registrations.AvailabilityStreamID(m.ConferenceID)
	case registrations.CancelSoldSeats:
		return registrations.AvailabilityStreamID(m.ConferenceID)
	case registrations.RecordOnSiteSale:
		return registrations.AvailabilityStreamID(m.ConferenceID)
	case registrations.MarkSeatsAsReserved:
		return registrations.OrderStreamID(m.OrderID)
	case registrations.ReinstateOrder:
		return registrations.OrderStreamID(m.OrderID)
	case registrations.ConfirmOrder:
		return registrations.OrderStreamID(m.OrderID)
	case registrations.ExpireOrder:
		return registrations.OrderStreamID(m.OrderID)
	case registrations.RejectOrder:
		return registrations.OrderStreamID(m.OrderID)
	}
	return ""
}

func (a *App) onOrder(do func(registrations.Command, *registrations.Order) error) messaging.Handler {
	return func(ctx context.Context, m eventstore.Message) error {
		cmd, err := a.commands.Decode(m)
		if err != nil {
			return err
		}
		err = a.orders.Update(ctx, streamOf(cmd), metaFor(ctx, m), func(o *registrations.Order) error { return do(cmd, o) })
		return wrap(err, "handle %s %s", m.Type, m.ID)
	}
}

func (a *App) onPort(do func(context.Context, registrations.Command) error) messaging.Handler {
	return func(ctx context.Context, m eventstore.Message) error {
		cmd, err := a.commands.Decode(m)
		if err != nil {
			return err
		}
		return wrap(do(ctx, cmd), "handle %s %s", m.Type, m.ID)
	}
}

// onTimeout delivers a due ReservationTimeout back to its process, with the
// bus's processed mark in the process's batch.
func (a *App) onTimeout(ctx context.Context, m eventstore.Message) error {
	cmd, err := a.commands.Decode(m)
	if err != nil {
		return err
	}
	err = a.Process.handle(ctx, m.ID, cmd.(registrations.ReservationTimeout), messaging.Processed(ctx))
	return wrap(err, "handle %s %s", m.Type, m.ID)
}

func metaFor(ctx context.Context, m eventstore.Message) eventsourcing.Metadata {
	return eventsourcing.Metadata{CorrelationID: m.CorrelationID, CausationID: m.ID, Processed: messaging.Processed(ctx)}
}

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

// handler returns the bus handler of one availability command.
func (d *availabilityDesk) handler(do func(registrations.Command, *registrations.SeatsAvailability) error) messaging.Handler {
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
		select {
		case <-c.done:
			return wrap(c.err, "handle %s %s", m.Type, m.ID)
		case <-ctx.Done():
			// The command may still be committed with its processed
			// mark; the redelivery then finds it processed.
			return ctx.Err()
		}
	}
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

// submit queues c for its stream and starts the stream's server if idle.
func (d *availabilityDesk) submit(id string, c *deskCommand) {
	d.mu.Lock()
	st := d.streams[id]
	if st == nil {
		st = &deskStream{}
		d.streams[id] = st
	}
	d.mu.Unlock()
	st.mu.Lock()
	st.queue = append(st.queue, c)
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

// refresh makes st.agg the stream's current state: the copy if nothing
// was appended after it, else a fresh load.
func (d *availabilityDesk) refresh(ctx context.Context, id string, st *deskStream) error {
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
