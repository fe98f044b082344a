package registrationsapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/registrations"
)

// ProcessHandler is the name the process manager marks messages processed
// under, and its checkpoint's name. Keep it stable across releases.
const ProcessHandler = "registration-process"

// ProcessManager drives the RegistrationProcess from the event log. Domain
// events are stored in the log, not the outbox, so the manager follows the
// log from its checkpoint: each event RouteToProcess accepts is handed to
// the order's process, and the process's new events, the commands it
// returns (outbox) and the processed mark of the event are saved in one
// batch. A crash anywhere is therefore harmless:
//
//   - before that save, nothing happened; the event is read again;
//   - after it, the commands are in the outbox and the bus sends them;
//   - the checkpoint is saved after each page, so a crash before it only
//     replays events whose processed marks turn them into no-ops.
//
// The process also keeps the ids of the messages it handled in its own
// state, so a lost processed mark is harmless too.
//
// Run it from one goroutine (Run, or Step in tests).
type ProcessManager struct {
	app         *App
	checkpoints Checkpoints
	pageSize    int
	position    int64
	loaded      bool
	saved       lazyCheckpoint

	// beforeSave, when set (tests), runs after the process decided and
	// before the batch is saved; an error aborts the save like a crash.
	beforeSave func(msgID uuid.UUID, cmds []registrations.Command) error
}

// Position is the log position the manager has handled up to.
func (pm *ProcessManager) Position() int64 { return pm.position }

// Run follows the log until ctx ends, waiting for appends without polling.
// A failing step is logged and retried after a pause.
func (pm *ProcessManager) Run(ctx context.Context) error {
	defer func() { pm.saved.flush(ctx, pm.app.log, pm.checkpoints, ProcessHandler, pm.position) }()
	for {
		n, err := pm.Step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			pm.app.log.Error("registration process manager", "err", err, "position", pm.position)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		if n > 0 {
			continue
		}
		if err := pm.app.store.WaitForAppend(ctx, pm.position); err != nil && ctx.Err() == nil {
			return fmt.Errorf("wait for events after %d: %w", pm.position, err)
		}
	}
}

// Step handles one page of the log after the checkpoint and reports how
// many events it read. It stops at the first event that fails for a reason
// other than the domain refusing it, leaving the checkpoint just before.
func (pm *ProcessManager) Step(ctx context.Context) (int, error) {
	if !pm.loaded {
		pos, err := pm.checkpoints.Load(ctx, ProcessHandler)
		if err != nil {
			return 0, wrap(err, "load %s checkpoint", ProcessHandler)
		}
		pm.position, pm.loaded = pos, true
		pm.saved = lazyCheckpoint{position: pos}
	}
	evs, err := pm.app.store.ReadLog(ctx, pm.position, pm.pageSize)
	if err != nil {
		return 0, wrap(err, "read log after %d", pm.position)
	}
	if len(evs) == 0 {
		return 0, nil
	}
	switch done, err := pm.handlePage(ctx, evs); {
	case err != nil:
		return 0, err
	case done:
		pm.position = evs[len(evs)-1].Position
		return len(evs), pm.saveCheckpoint(ctx, len(evs), false)
	}
	// The page could not be handled as a whole (a domain refusal that
	// changed the process, a race with the timeout handler): handle it
	// event by event, which stops at the first failure.
	handled := 0
	for _, e := range evs {
		if err := pm.HandleEvent(ctx, e); err != nil {
			pm.saveCheckpoint(ctx, handled, true)
			return handled, err
		}
		pm.position = e.Position
		handled++
	}
	return handled, pm.saveCheckpoint(ctx, handled, false)
}

// saveCheckpoint stores the position now and then (see checkpointEvery),
// and at once when the step stopped at a failure.
func (pm *ProcessManager) saveCheckpoint(ctx context.Context, handled int, failed bool) error {
	if handled == 0 {
		return nil
	}
	return pm.saved.save(ctx, pm.checkpoints, ProcessHandler, pm.position, failed)
}

// HubOrigin is the origin of the events the hub records itself.
const HubOrigin = "hub"

// recordedAtKiosk tells facts a kiosk recorded (a walk-up sale) from the
// hub's own events. sync/merge applies a kiosk's facts to availability in
// the kiosk's order as they arrive; the process reacting to them too would
// apply them a second time, in whatever order the bus delivers, and could
// turn a sale inside the kiosk's allocation into a conflict.
func recordedAtKiosk(e eventstore.Event) bool {
	return e.Origin != "" && e.Origin != HubOrigin
}

// HandleEvent hands one stored event to its process, if the process
// consumes it. An event already marked processed is skipped; one the
// domain refuses (a *registrations.Error) is logged and skipped, since
// handling it again would fail again.
func (pm *ProcessManager) HandleEvent(ctx context.Context, e eventstore.Event) error {
	ev, err := pm.app.events.Decode(e.Type, e.Schema, e.Data)
	if errors.Is(err, eventsourcing.ErrUnknownEvent) {
		return nil // another context's event
	}
	if err != nil {
		return wrap(err, "decode event %s at %d", e.EventID, e.Position)
	}
	if _, ok := registrations.RouteToProcess(ev); !ok || recordedAtKiosk(e) {
		return nil
	}
	if r, ok := ev.(registrations.SeatsReserved); ok && e.CorrelationID == WaitlistConversation(r.ConferenceID) {
		return nil // seats held for a waitlist offer, not for an order
	}
	done, err := pm.app.store.IsProcessed(ctx, ProcessHandler, e.EventID)
	if err != nil {
		return err
	}
	if done {
		return nil
	}
	err = pm.handle(ctx, e.EventID, ev, &eventstore.Processed{Handler: ProcessHandler, MessageID: e.EventID})
	if registrations.ErrorCode(err) != "" {
		pm.app.log.Warn("registration process refused an event", "event", e.EventID, "type", e.Type, "err", err)
		return pm.app.store.MarkProcessed(ctx, ProcessHandler, e.EventID)
	}
	return wrap(err, "process %s %s", e.Type, e.EventID)
}

// handle loads the process msg routes to, lets it decide and saves its
// events with the commands and the processed mark in one batch, retrying
// from a fresh load on a concurrency conflict.
func (pm *ProcessManager) handle(ctx context.Context, msgID uuid.UUID, msg eventsourcing.Event, processed *eventstore.Processed) error {
	orderID, ok := registrations.RouteToProcess(msg)
	if !ok {
		return nil
	}
	return pm.app.processes.UpdateWith(ctx, registrations.ProcessStreamID(orderID), func(p *registrations.RegistrationProcess) (eventsourcing.Metadata, error) {
		cmds, err := p.Handle(msgID, msg, pm.app.now())
		if err != nil {
			return eventsourcing.Metadata{}, err
		}
		outbox, err := pm.app.commands.EncodeAll(cmds, orderID, msgID)
		if err != nil {
			return eventsourcing.Metadata{}, err
		}
		if pm.beforeSave != nil {
			if err := pm.beforeSave(msgID, cmds); err != nil {
				return eventsourcing.Metadata{}, err
			}
		}
		return eventsourcing.Metadata{CorrelationID: orderID, CausationID: msgID, Outbox: outbox, Processed: processed}, nil
	})
}

// streamsReader is the part of sqlitestore.Store that loads several
// streams in one query.
type streamsReader interface {
	ReadStreams(ctx context.Context, streamIDs []string) (map[string][]eventstore.Event, error)
}

// processedReader is the part of sqlitestore.Store that reads the
// processed marks of a page of messages in one query.
type processedReader interface {
	ProcessedAmong(ctx context.Context, handler string, ids []uuid.UUID) (map[uuid.UUID]bool, error)
}

// pageEvent is an event of the page the process consumes.
type pageEvent struct {
	e       eventstore.Event
	ev      eventsourcing.Event
	orderID uuid.UUID
}

// handlePage handles a page of the log at once: the processes it touches
// are loaded in one query, decide in log order in memory, and everything
// they decided (events, commands, processed marks: one batch per event)
// is committed in one transaction. It reports false, with nothing
// written, when the page must be handled event by event instead. An error
// means nothing was written either (a crash simulated by beforeSave, or
// the store failing).
func (pm *ProcessManager) handlePage(ctx context.Context, evs []eventstore.Event) (bool, error) {
	commit, ok := pm.app.store.(committer)
	if !ok {
		return false, nil
	}
	page, err := pm.consumed(ctx, evs)
	if err != nil || len(page) == 0 {
		return err == nil, err
	}
	procs, err := pm.loadProcesses(ctx, page)
	if err != nil {
		return false, err
	}
	batches := make([]eventstore.Batch, 0, len(page))
	for _, pe := range page {
		b, ok, err := pm.decide(procs[registrations.ProcessStreamID(pe.orderID)], pe)
		if err != nil || !ok {
			return false, err
		}
		batches = append(batches, b)
	}
	if _, err := commit.CommitAll(ctx, batches); err != nil {
		if errors.Is(err, eventstore.ErrConcurrency) {
			return false, nil
		}
		return false, wrap(err, "commit %d process decisions", len(batches))
	}
	return true, nil
}

// consumed returns the events of evs the process consumes and has not
// processed yet, decoded.
func (pm *ProcessManager) consumed(ctx context.Context, evs []eventstore.Event) ([]pageEvent, error) {
	var page []pageEvent
	for _, e := range evs {
		ev, err := pm.app.events.Decode(e.Type, e.Schema, e.Data)
		if errors.Is(err, eventsourcing.ErrUnknownEvent) {
			continue // another context's event
		}
		if err != nil {
			return nil, wrap(err, "decode event %s at %d", e.EventID, e.Position)
		}
		orderID, ok := registrations.RouteToProcess(ev)
		if !ok || recordedAtKiosk(e) {
			continue
		}
		if r, ok := ev.(registrations.SeatsReserved); ok && e.CorrelationID == WaitlistConversation(r.ConferenceID) {
			continue // seats held for a waitlist offer, not for an order
		}
		page = append(page, pageEvent{e: e, ev: ev, orderID: orderID})
	}
	if len(page) == 0 {
		return nil, nil
	}
	ids := make([]uuid.UUID, len(page))
	for i, pe := range page {
		ids[i] = pe.e.EventID
	}
	var done map[uuid.UUID]bool
	if pr, ok := pm.app.store.(processedReader); ok {
		var err error
		if done, err = pr.ProcessedAmong(ctx, ProcessHandler, ids); err != nil {
			return nil, err
		}
	} else {
		done = map[uuid.UUID]bool{}
		for _, id := range ids {
			ok, err := pm.app.store.IsProcessed(ctx, ProcessHandler, id)
			if err != nil {
				return nil, err
			}
			done[id] = ok
		}
	}
	out := page[:0]
	for _, pe := range page {
		if !done[pe.e.EventID] {
			out = append(out, pe)
		}
	}
	return out, nil
}

// loadProcesses loads the process of every order of page.
func (pm *ProcessManager) loadProcesses(ctx context.Context, page []pageEvent) (map[string]*registrations.RegistrationProcess, error) {
	procs := map[string]*registrations.RegistrationProcess{}
	var ids []string
	for _, pe := range page {
		id := registrations.ProcessStreamID(pe.orderID)
		if _, seen := procs[id]; !seen {
			procs[id] = nil
			ids = append(ids, id)
		}
	}
	sr, ok := pm.app.store.(streamsReader)
	if !ok {
		for _, id := range ids {
			p, err := pm.app.processes.Load(ctx, id)
			if errors.Is(err, eventsourcing.ErrNotFound) {
				p = registrations.NewRegistrationProcess()
				p.SetID(id)
			} else if err != nil {
				return nil, err
			}
			procs[id] = p
		}
		return procs, nil
	}
	stored, err := sr.ReadStreams(ctx, ids)
	if err != nil {
		return nil, wrap(err, "load %d processes", len(ids))
	}
	for _, id := range ids {
		p := registrations.NewRegistrationProcess()
		evs := make([]eventsourcing.Event, 0, len(stored[id]))
		for _, se := range stored[id] {
			e, err := pm.app.events.Decode(se.Type, se.Schema, se.Data)
			if err != nil {
				return nil, wrap(err, "load %s at version %d", id, se.StreamVersion)
			}
			evs = append(evs, e)
		}
		eventsourcing.Replay(p, id, 0, evs...)
		procs[id] = p
	}
	return procs, nil
}

// decide lets p handle one event of the page and returns what to commit
// for it. It reports false when the event must be handled alone: the
// domain refused it after changing p.
func (pm *ProcessManager) decide(p *registrations.RegistrationProcess, pe pageEvent) (eventstore.Batch, bool, error) {
	processed := &eventstore.Processed{Handler: ProcessHandler, MessageID: pe.e.EventID}
	version, before := p.Version(), len(p.Changes())
	cmds, err := p.Handle(pe.e.EventID, pe.ev, pm.app.now())
	changes := p.Changes()[before:]
	if err != nil {
		if registrations.ErrorCode(err) == "" || len(changes) > 0 {
			return eventstore.Batch{}, false, nil
		}
		pm.app.log.Warn("registration process refused an event", "event", pe.e.EventID, "type", pe.e.Type, "err", err)
		return eventstore.Batch{Processed: processed}, true, nil
	}
	outbox, err := pm.app.commands.EncodeAll(cmds, pe.orderID, pe.e.EventID)
	if err != nil {
		return eventstore.Batch{}, false, err
	}
	if pm.beforeSave != nil {
		if err := pm.beforeSave(pe.e.EventID, cmds); err != nil {
			return eventstore.Batch{}, false, err
		}
	}
	stream := eventstore.Stream{ID: registrations.ProcessStreamID(pe.orderID), Type: p.StreamType()}
	meta := eventsourcing.Metadata{CorrelationID: pe.orderID, CausationID: pe.e.EventID}
	envs, err := envelopes(pm.app.events, stream, version, changes, meta)
	if err != nil {
		return eventstore.Batch{}, false, err
	}
	return eventstore.Batch{Stream: stream, ExpectedVersion: version, Events: envs, Outbox: outbox, Processed: processed}, true, nil
}
