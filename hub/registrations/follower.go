package registrationsapp

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"conference/shared/eventstore"
)

// follower reads the event log from a checkpoint and hands each event to
// handle, saving the checkpoint after each page. handle must be
// idempotent: a crash before the checkpoint is saved replays the page.
type follower struct {
	name        string
	store       eventstore.Store
	checkpoints Checkpoints
	log         *slog.Logger
	pageSize    int
	handle      func(ctx context.Context, e eventstore.Event) error

	position int64
	loaded   bool
	saved    lazyCheckpoint
}

// checkpointEvery is how often a running follower stores its position.
// The position only says where a restart resumes, and the handlers are
// idempotent (processed marks, state), so a restart may replay what came
// after it: storing it after every page would only add write transactions
// competing with the event writer for the database's one write lock.
const checkpointEvery = 250 * time.Millisecond

// lazyCheckpoint stores a follower's position at most every
// checkpointEvery, and whenever asked to.
type lazyCheckpoint struct {
	position int64
	at       time.Time
}

func (c *lazyCheckpoint) save(ctx context.Context, cps Checkpoints, name string, position int64, now bool) error {
	if position == c.position || (!now && time.Since(c.at) < checkpointEvery) {
		return nil
	}
	if err := cps.Save(ctx, name, position); err != nil {
		return wrap(err, "save %s checkpoint", name)
	}
	c.position, c.at = position, time.Now()
	return nil
}

// flush stores the position a stopping follower reached.
func (c *lazyCheckpoint) flush(ctx context.Context, log *slog.Logger, cps Checkpoints, name string, position int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := c.save(ctx, cps, name, position, true); err != nil {
		log.Warn("log follower stopping", "follower", name, "err", err)
	}
}

// run follows the log until ctx ends, waiting for appends without polling;
// a failing step is logged and retried after a pause.
func (f *follower) run(ctx context.Context) error {
	defer func() { f.saved.flush(ctx, f.log, f.checkpoints, f.name, f.position) }()
	for {
		n, err := f.step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			f.log.Error("log follower", "follower", f.name, "err", err, "position", f.position)
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
		if err := f.store.WaitForAppend(ctx, f.position); err != nil && ctx.Err() == nil {
			return fmt.Errorf("%s: wait for events after %d: %w", f.name, f.position, err)
		}
	}
}

// step handles one page after the checkpoint and reports how many events
// it read; it stops at the first failing event, checkpointing just before.
func (f *follower) step(ctx context.Context) (int, error) {
	if !f.loaded {
		pos, err := f.checkpoints.Load(ctx, f.name)
		if err != nil {
			return 0, wrap(err, "load %s checkpoint", f.name)
		}
		f.position, f.loaded = pos, true
		f.saved = lazyCheckpoint{position: pos}
	}
	evs, err := f.store.ReadLog(ctx, f.position, f.pageSize)
	if err != nil {
		return 0, wrap(err, "read log after %d", f.position)
	}
	handled := 0
	var stepErr error
	for _, e := range evs {
		if stepErr = f.handle(ctx, e); stepErr != nil {
			stepErr = wrap(stepErr, "%s: event %s %s at %d", f.name, e.Type, e.EventID, e.Position)
			break
		}
		f.position = e.Position
		handled++
	}
	// A failing step stores the position it reached at once, so a
	// restart does not repeat the work before the failure.
	if err := f.saved.save(ctx, f.checkpoints, f.name, f.position, stepErr != nil); err != nil && stepErr == nil {
		stepErr = err
	}
	return handled, stepErr
}
