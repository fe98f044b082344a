package hubapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/hub/kiosks"
	"conference/shared/eventsourcing"
	"conference/shared/metrics"
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
		Digest:      h.kioskDigest,
		Logger:      h.Log,
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
	h.Kiosks, h.Sync, h.scope = reg, srv, pager
	h.digests = digest.NewCache(h.Store)
	h.digestTook = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: metrics.Namespace, Name: "kiosk_digest_duration_seconds",
		Help:    "Time to compute a conference's digest for a kiosk's comparison (it reads the hub's log).",
		Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10)})
	// Every replica pages the log for the kiosks it serves from an index of
	// its own; naming kiosks is idempotent and runs once at each start.
	h.workers = append(h.workers, worker{name: "sync scope", run: pager.Run, local: true},
		worker{name: "kiosk names", run: h.nameKiosks, local: true})
	return nil
}

// kioskDigest answers a kiosk's digest request: the hub's digests of the
// conference at the kiosk's cut, and when the kiosk sent its own, the
// outcome of comparing them, recorded for the organizer's kiosk list.
func (h *Hub) kioskDigest(ctx context.Context, q hubserver.DigestQuery) (map[string]string, error) {
	start := time.Now()
	var (
		d   map[string]string
		err error
	)
	if q.Cut {
		d, err = h.digests.ComputeCut(ctx, q.Conference, digest.KioskCut(q.Position, q.KioskID, q.UpSeq))
	} else {
		d, err = h.digests.ComputeCut(ctx, q.Conference, digest.Cut{})
	}
	if err != nil {
		return nil, err
	}
	h.digestTook.Observe(time.Since(start).Seconds())
	if q.Digests != nil {
		differs := digest.Diff(d, q.Digests)
		if len(differs) > 0 {
			h.Log.Warn("kiosk differs from the hub", "kiosk", q.KioskID, "conference", q.Conference, "position", q.Position, "parts", differs)
		}
		if err := h.Kiosks.RecordConvergence(ctx, q.KioskID, h.now(), q.Position, differs); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// behindLimit bounds how far past a kiosk's position KioskSync looks.
const behindLimit = 20_000

// KioskSync is where a kiosk stands with the hub, for the organizer.
type KioskSync struct {
	// Behind counts what the two have not exchanged yet: the kiosk's
	// events it has not uploaded (as it last said) and the hub's events of
	// its conference it has not received. More is set when the count
	// stopped looking: there may be more.
	Behind int
	More   bool
	// Convergence is the kiosk's latest digest comparison.
	Convergence kiosks.Convergence
}

// KioskSync reads where kiosk k stands: behind by how much, and whether
// its latest comparison agreed.
func (h *Hub) KioskSync(ctx context.Context, k kiosks.Kiosk) (KioskSync, error) {
	down, complete, err := h.scope.Behind(ctx, k.DownCheckpoint, k.ConferenceID, k.ID, behindLimit)
	if err != nil {
		return KioskSync{}, fmt.Errorf("kiosk %s: %w", k.ID, err)
	}
	return KioskSync{Behind: down + int(k.PendingUploads), More: !complete, Convergence: k.Convergence}, nil
}
