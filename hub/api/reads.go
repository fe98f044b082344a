package api

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"conference/hub/hubapp"
	"conference/shared/eventsourcing"
)

// seatCount is how many seats of a seat type registrations counts as
// taken, and its quota there.
type seatCount struct {
	Quota, Reserved, Sold, Allocated int
	known                            bool
}

func (n seatCount) used() int { return n.Reserved + n.Sold + n.Allocated }

// remainingOf is what is left for registrants. Until registrations has
// heard of the seat type, Conference Management's quota is all there is.
func (n seatCount) remainingOf(quota int) int {
	if n.known {
		quota = n.Quota
	}
	return max(0, quota-n.used())
}

// reads is where the API's queries go: the hub's read models when they
// run, otherwise the aggregates themselves.
type reads interface {
	seatCounts(ctx context.Context, conferenceID uuid.UUID) (map[uuid.UUID]seatCount, error)
}

func newReads(h *hubapp.Hub) reads { return aggregateReads{h: h} }

// aggregateReads answers from the event-sourced aggregates.
type aggregateReads struct{ h *hubapp.Hub }

func (r aggregateReads) seatCounts(ctx context.Context, conferenceID uuid.UUID) (map[uuid.UUID]seatCount, error) {
	av, err := r.h.Registrations.Availability(ctx, conferenceID)
	if errors.Is(err, eventsourcing.ErrNotFound) {
		return map[uuid.UUID]seatCount{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[uuid.UUID]seatCount{}
	for _, st := range av.SeatTypes() {
		out[st] = seatCount{
			Quota: av.Quota(st), Reserved: av.ReservedCount(st), Sold: av.SoldCount(st),
			Allocated: av.AllocatedCount(st), known: true,
		}
	}
	return out, nil
}
