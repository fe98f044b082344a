package merge

import (
	"context"
	"fmt"

	"conference/shared/eventstore"
)

// ApplyDown appends a page of hub events to a kiosk's store, in the order
// given (hub order), as replicated events: each keeps its origin ("hub", or
// the kiosk that recorded it and the hub relayed) and origin_seq, event id,
// hlc and causal context; the kiosk's store assigns its own positions and
// stream versions. Events the kiosk holds already (its own coming back, or
// a page applied twice after a crash) are skipped, so ApplyDown is
// idempotent. A malformed page is refused with ErrInvalid, nothing written.
func ApplyDown(ctx context.Context, kioskStore eventstore.Store, events []eventstore.Event) error {
	if len(events) == 0 {
		return nil
	}
	if err := validateDown(events); err != nil {
		return err
	}
	fresh := events
	if s, ok := kioskStore.(originReader); ok {
		last, err := s.OriginSeqs(ctx)
		if err != nil {
			return fmt.Errorf("apply hub events: %w", err)
		}
		fresh = make([]eventstore.Event, 0, len(events))
		for _, e := range events {
			if e.OriginSeq > last[e.Origin] {
				fresh = append(fresh, e)
			}
		}
	}
	if err := appendInOrder(ctx, kioskStore, fresh); err != nil {
		return fmt.Errorf("apply hub events %d..%d: %w", events[0].Position, events[len(events)-1].Position, err)
	}
	return nil
}

// validateDown checks a page before anything is written: whole envelopes,
// hub positions increasing, each origin's events in origin order.
func validateDown(events []eventstore.Event) error {
	seen := make(map[string]int64, 4)
	var prev int64
	for i := range events {
		e := &events[i]
		if err := ValidEnvelope(e); err != nil {
			return fmt.Errorf("%w: hub event at position %d: %v", ErrInvalid, e.Position, err)
		}
		if e.Position <= prev {
			return fmt.Errorf("%w: hub positions out of order (%d after %d)", ErrInvalid, e.Position, prev)
		}
		prev = e.Position
		if e.OriginSeq <= seen[e.Origin] {
			return fmt.Errorf("%w: events of %s out of origin order (%d after %d)", ErrInvalid, e.Origin, e.OriginSeq, seen[e.Origin])
		}
		seen[e.Origin] = e.OriginSeq
	}
	return nil
}
