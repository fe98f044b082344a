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

	// beforeSave, when set (tests), runs after the process decided and
	// before the batch is saved; an error aborts the save like a crash.
	beforeSave func(msgID uuid.UUID, cmds []registrations.Command) error
}

// Position is the log position the manager has handled up to.
func (pm *ProcessManager) Position() int64 { return pm.position }

// Run follows the log until ctx ends, waiting for appends without polling.
// A failing step is logged and retried after a pause.
func (pm *ProcessManager) Run(ctx context.Context) error {
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
	}
	evs, err := pm.app.store.ReadLog(ctx, pm.position, pm.pageSize)
	if err != nil {
		return 0, wrap(err, "read log after %d", pm.position)
	}
	handled := 0
	for _, e := range evs {
		if err := pm.HandleEvent(ctx, e); err != nil {
			pm.saveCheckpoint(ctx, handled)
			return handled, err
		}
		pm.position = e.Position
		handled++
	}
	return handled, pm.saveCheckpoint(ctx, handled)
}

func (pm *ProcessManager) saveCheckpoint(ctx context.Context, handled int) error {
	if handled == 0 {
		return nil
	}
	return wrap(pm.checkpoints.Save(ctx, ProcessHandler, pm.position), "save %s checkpoint", ProcessHandler)
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
	if _, ok := registrations.RouteToProcess(ev); !ok {
		return nil
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
