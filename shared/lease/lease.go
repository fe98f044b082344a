// Package lease runs a process's background work (projections, the process
// manager, the command bus, sync's scope index) where it holds the work's
// lease, so that each piece runs in exactly one process however many
// replicas of the hub share the database, and moves to another replica
// when its holder dies.
//
// On SQLite the file admits one process, which holds every lease; on
// PostgreSQL a lease is a session advisory lock (pgstore). Work that writes
// through the store carries its lease in its context, and the PostgreSQL
// store refuses a write whose lease is no longer held (a fence: a replica
// that lost its lease cannot advance a checkpoint).
package lease

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"
)

// ErrLost reports a write refused because the writer's lease is gone.
var ErrLost = errors.New("lease lost")

// Held is a lease this process holds until Lost is closed or Release.
type Held interface {
	// Name is the lease's name.
	Name() string
	// Lost is closed once the lease is no longer held (the connection
	// holding it broke, or Release).
	Lost() <-chan struct{}
	// Release gives the lease up.
	Release()
}

// Leaser hands out leases.
type Leaser interface {
	// Acquire waits until this process holds the lease name, or ctx ends.
	Acquire(ctx context.Context, name string) (Held, error)
}

type ctxKey struct{}

// WithHeld returns ctx carrying the lease its work runs under.
func WithHeld(ctx context.Context, h Held) context.Context {
	return context.WithValue(ctx, ctxKey{}, h)
}

// From returns the lease ctx's work runs under, if any.
func From(ctx context.Context) (Held, bool) {
	h, ok := ctx.Value(ctxKey{}).(Held)
	return h, ok
}

// Run runs work whenever this process holds the lease name, until ctx
// ends: it waits for the lease, runs work with a context that ends when
// the lease is lost, and when it is lost (or work fails) waits for it
// again. It returns nil when ctx ends.
func Run(ctx context.Context, l Leaser, name string, log *slog.Logger, work func(ctx context.Context) error) error {
	for ctx.Err() == nil {
		held, err := l.Acquire(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Warn("could not acquire lease; retrying", "lease", name, "err", err)
			pause(ctx, time.Second)
			continue
		}
		log.Info("lease acquired; work starts here", "lease", name)
		wctx, cancel := context.WithCancel(WithHeld(ctx, held))
		done := make(chan error, 1)
		go func() { done <- work(wctx) }()
		select {
		case err = <-done:
		case <-held.Lost():
			cancel()
			err = <-done
			log.Warn("lease lost; work stopped here", "lease", name)
		}
		cancel()
		held.Release()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			log.Error("leased work failed; it restarts where the lease is next acquired", "lease", name, "err", err)
			// Give another replica the chance to take it.
			pause(ctx, time.Second+rand.N(time.Second))
		}
	}
	return nil
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

// Always is the Leaser of a process that holds every lease: the only
// process of a SQLite database.
type Always struct{}

// Acquire returns at once.
func (Always) Acquire(_ context.Context, name string) (Held, error) {
	return &always{name: name, lost: make(chan struct{})}, nil
}

type always struct {
	name string
	lost chan struct{}
}

func (a *always) Name() string          { return a.name }
func (a *always) Lost() <-chan struct{} { return a.lost }
func (a *always) Release()              {}
