package hubapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/hub/kiosks"
	"conference/shared/eventsourcing"
	"conference/sync/digest"
	"conference/sync/hubserver"
	"conference/sync/merge"
	"conference/sync/scope"
)

// wireSync sets up the kiosk side of the hub: the kiosk registry, the
// causal merge of uploads, the conference scope of the log that kiosks
// page through, allocations, and the WebSocket endpoint serving them.
func (h *Hub) wireSync() error {
	allocations := merge.NewAllocations(h.Store)
	h.allocations = allocations
	reg, err := kiosks.New(h.Store.DB(), kiosks.Config{
		Conferences: h.Conferences,
		Now:         h.now,
		Outbox:      h.Store,
		OnCreated:   h.onKioskCreated,
		AllocationsOf: func(ctx context.Context, conference uuid.UUID, kioskID string) (map[uuid.UUID]int, error) {
			held, err := allocations.Held(ctx, kioskID, conference)
			if errors.Is(err, eventsourcing.ErrNotFound) {
				return nil, nil // no seat types yet: nothing to hold
			}
			if err != nil {
				return nil, err
			}
			out := make(map[uuid.UUID]int, len(held))
			for _, s := range held {
				out[s.SeatType] += s.Quantity
			}
			return out, nil
		},
	})
	if err != nil {
		return fmt.Errorf("open kiosk registry: %w", err)
	}
	pager := scope.New(h.Store)
	srv, err := hubserver.New(hubserver.Config{
		Kiosks: reg, Log: h.Store, Pager: pager, Merger: merge.New(h.Store), Notices: h.Store, PairLimits: h.Limits,
		Allocations: policyAllocations{h: h, Allocations: allocations},
		Digest: func(ctx context.Context, conference uuid.UUID) (map[string]string, error) {
			return digest.Compute(ctx, h.Store, conference)
		},
		Logger: h.Log,
	})
	if err != nil {
		return fmt.Errorf("start sync server: %w", err)
	}
	if err := h.subscribeKioskFeed(); err != nil {
		return fmt.Errorf("wire kiosk feed: %w", err)
	}
	if err := h.Bus.Subscribe(subOnSitePolicy, conferences.TypeSeatTypeUpdated, h.onSeatTypePolicy); err != nil {
		return fmt.Errorf("wire on-site policy: %w", err)
	}
	h.Kiosks, h.Sync = reg, srv
	// Every replica pages the log for the kiosks it serves from an index of
	// its own; naming kiosks is idempotent and runs once at each start.
	h.workers = append(h.workers, worker{name: "sync scope", run: pager.Run, local: true},
		worker{name: "kiosk names", run: h.nameKiosks, local: true})
	return nil
}
