package kiosk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/sync/digest"
	"conference/sync/kioskclient"
	"conference/sync/merge"
	"conference/sync/protocol"
)

// Convergence an operator can see: the kiosk compares its digests
// (sync/digest) with the hub's after catching up and on a timer, shows the
// outcome on the status bar, and the hub records it for the organizer's
// kiosk list (the comparison travels in the digest request, protocol 3).
//
// Both ends digest the same events: the hub log up to the position the
// kiosk has applied (every event of its conferences up to it is in the
// kiosk's log, none after it), plus the kiosk's own events up to the last
// one the hub acknowledged. The kiosk reads that position and its own log
// head together, under downMu, which the sync client's page applies also
// take, so no page lands between the two.

// Convergence is the outcome of the kiosk's latest comparison.
type Convergence struct {
	// CheckedAt is when it was compared; zero before the first time.
	CheckedAt time.Time `json:",omitzero"`
	// Position is the hub log position compared at.
	Position int64
	// Differs names the digest parts that differed; empty when in sync.
	Differs []string `json:",omitempty"`
	// DiffersSince is the first comparison of the current run of
	// differing ones; zero while in sync.
	DiffersSince time.Time `json:",omitzero"`
	// Digests are the kiosk's own, per conference, at that comparison.
	Digests map[uuid.UUID]map[string]string `json:",omitempty"`
}

// Compared reports whether the kiosk compared at least once since it started.
func (c Convergence) Compared() bool { return !c.CheckedAt.IsZero() }

// InSync reports whether the latest comparison agreed.
func (c Convergence) InSync() bool { return c.Compared() && len(c.Differs) == 0 }

// Convergence is the outcome of the latest comparison with the hub.
func (k *Kiosk) Convergence() Convergence {
	if c := k.conv.Load(); c != nil {
		return *c
	}
	return Convergence{}
}

// applyDown applies a page of hub events, noting the last position for
// the comparison's cut.
func (k *Kiosk) applyDown(ctx context.Context, store eventstore.Store, events []eventstore.Event) error {
	k.downMu.Lock()
	defer k.downMu.Unlock()
	if err := merge.ApplyDown(ctx, store, events); err != nil {
		return err
	}
	if n := len(events); n > 0 {
		k.lastDown = max(k.lastDown, events[n-1].Position)
	}
	return nil
}

// Digests computes the kiosk's digests of each of its conferences over its
// whole log (what `kiosk status` shows).
func (k *Kiosk) Digests(ctx context.Context) (map[uuid.UUID]map[string]string, error) {
	id, _ := k.Identity()
	out := map[uuid.UUID]map[string]string{}
	for _, c := range id.Conferences {
		d, err := digest.Compute(ctx, k.store, c)
		if err != nil {
			return nil, err
		}
		out[c] = d
	}
	return out, nil
}

// errNotComparable: the kiosk is not at a point it can compare at (a page
// arrived, uploads are pending); the next occasion tries again.
var errNotComparable = errors.New("not at a comparable point")

// compare compares the kiosk's digests with the hub's at the cut the
// status s describes (caught up, nothing pending), and records the
// outcome.
func (k *Kiosk) compare(ctx context.Context, c *kioskclient.Client, s kioskclient.Status, log *slog.Logger) error {
	k.downMu.Lock()
	if k.lastDown > s.DownCheckpoint {
		k.downMu.Unlock()
		return errNotComparable
	}
	local, err := k.store.Head(ctx)
	k.downMu.Unlock()
	if err != nil {
		return err
	}
	var own int64
	if err := k.store.DB().QueryRowContext(ctx, `SELECT COALESCE(MAX(origin_seq), 0) FROM events WHERE origin = $1 AND position <= $2`,
		k.store.Node(), local).Scan(&own); err != nil {
		return fmt.Errorf("read own events up to %d: %w", local, err)
	}
	if own > s.UpAcked {
		return errNotComparable
	}
	id, _ := k.Identity()
	next := Convergence{CheckedAt: k.now().UTC(), Position: s.DownCheckpoint, Digests: map[uuid.UUID]map[string]string{}}
	for _, conf := range id.Conferences {
		mine, err := k.digests.ComputeCut(ctx, conf, digest.Cut{Position: local})
		if err != nil {
			return err
		}
		hub, err := c.CompareDigest(ctx, conf, s.DownCheckpoint, own, mine)
		if err != nil {
			var pe *protocol.Error
			if errors.Is(err, kioskclient.ErrOffline) || (errors.As(err, &pe) && pe.Code == protocol.CodeUnavailable) {
				return fmt.Errorf("%w: %w", errNotComparable, err)
			}
			return err
		}
		next.Digests[conf] = mine
		for _, part := range digest.Diff(hub, mine) {
			if !slices.Contains(next.Differs, part) {
				next.Differs = append(next.Differs, part)
			}
		}
	}
	slices.Sort(next.Differs)
	prev := k.Convergence()
	switch {
	case len(next.Differs) == 0:
		if !prev.InSync() {
			log.Info("sync: in sync with the hub", "position", next.Position)
		}
	case len(prev.Differs) > 0:
		next.DiffersSince = prev.DiffersSince
	default:
		next.DiffersSince = next.CheckedAt
		log.Warn("sync: this kiosk's state differs from the hub's", "position", next.Position, "parts", next.Differs)
	}
	k.conv.Store(&next)
	return nil
}
