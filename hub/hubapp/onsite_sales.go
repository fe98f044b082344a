package hubapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/eventstore"
	"conference/sync/hubserver"
	"conference/sync/merge"
)

// subOnSitePolicy names the handler that takes leases back from kiosks
// when a seat type stops being sellable at kiosks.
const subOnSitePolicy = "sync.onsite-policy"

// ErrNotSellableAtKiosks refuses a kiosk's allocation request for a seat
// type whose on-site policy does not let kiosks sell it.
var ErrNotSellableAtKiosks = errors.New("seat type is not sellable at kiosks")

// OnSiteSalesClosed reports an organizer closing on-site sales of a seat
// type: the seats taken back from each kiosk's lease (kiosk id -> seats).
type OnSiteSalesClosed struct {
	SeatType *conferences.SeatType
	Returned map[string]int
}

// Total is how many seats came back from all kiosks.
func (c OnSiteSalesClosed) Total() int {
	n := 0
	for _, q := range c.Returned {
		n += q
	}
	return n
}

// CloseOnSiteSales stops kiosks selling a seat type of one of the
// organizer's conferences (another tenant's is conferences.ErrNotFound):
// the seat type's on-site policy becomes "not sellable at kiosks" (a
// SeatTypeUpdated event kiosks receive), and every kiosk's unsold lease of
// it goes back to availability (SeatAllocationReturned events, kiosks in id
// order, so every node replays the same). Seats a kiosk sold offline from
// its lease before hearing of it still stand: the merge re-grants them when
// they arrive and raises a conflict if they were sold again meanwhile.
// Closing a seat type already closed takes back whatever is still leased.
func (h *Hub) CloseOnSiteSales(ctx context.Context, organizerID, conferenceID, seatTypeID uuid.UUID) (OnSiteSalesClosed, error) {
	list, err := h.Conferences.ListSeatTypes(ctx, organizerID, conferenceID)
	if err != nil {
		return OnSiteSalesClosed{}, fmt.Errorf("close on-site sales: %w", err)
	}
	i := slices.IndexFunc(list, func(st *conferences.SeatType) bool { return st.ID == seatTypeID })
	if i < 0 {
		return OnSiteSalesClosed{}, fmt.Errorf("close on-site sales: seat type %s of conference %s: %w", seatTypeID, conferenceID, conferences.ErrNotFound)
	}
	st := list[i]
	// Leases are taken back before the policy changes, so what this call
	// reports is exactly what it returned: after the change the policy
	// handler (onSeatTypePolicy) would race it for the same leases. A lease
	// granted in between is the handler's to take back, and a request that
	// checked the policy before the change gives its grant back itself
	// (policyAllocations.Request).
	back, err := h.takeBackLeases(ctx, conferenceID, seatTypeID)
	if err != nil {
		return OnSiteSalesClosed{}, err
	}
	if st.OnSite != (conferences.OnSitePolicy{}) {
		d := st.SeatTypeDetails
		d.OnSite = conferences.OnSitePolicy{}
		if st, err = h.Conferences.UpdateSeatType(ctx, organizerID, conferenceID, st.ID, d, h.Sold); err != nil {
			return OnSiteSalesClosed{}, fmt.Errorf("close on-site sales of %s: %w", seatTypeID, err)
		}
	}
	h.Log.Info("on-site sales closed", "conference", conferenceID, "seat_type", seatTypeID, "returned", back)
	return OnSiteSalesClosed{SeatType: st, Returned: back}, nil
}

func (h *Hub) takeBackLeases(ctx context.Context, conferenceID, seatTypeID uuid.UUID) (map[string]int, error) {
	back, err := h.allocations.CloseSeatType(ctx, conferenceID, seatTypeID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(back))
	for k, seats := range back {
		out[k] = seats.Total()
	}
	return out, nil
}

// onSitePolicy is the seat type's on-site policy as Conference Management
// has it now; known is false for a seat type of no published conference.
func (h *Hub) onSitePolicy(ctx context.Context, conferenceID, seatTypeID uuid.UUID) (policy conferences.OnSitePolicy, known bool, err error) {
	list, err := h.Conferences.ListPublishedSeatTypes(ctx, conferenceID)
	if errors.Is(err, conferences.ErrNotFound) {
		return conferences.OnSitePolicy{}, false, nil
	}
	if err != nil {
		return conferences.OnSitePolicy{}, false, fmt.Errorf("on-site policy of %s: %w", seatTypeID, err)
	}
	for _, st := range list {
		if st.ID == seatTypeID {
			return st.OnSite, true, nil
		}
	}
	return conferences.OnSitePolicy{}, false, nil
}

// onSeatTypePolicy takes back the kiosks' leases of a seat type whose
// policy stopped kiosks selling it (the organizer unticked "sellable at
// kiosks"). It reads the policy again rather than trusting the message, so
// a late or redelivered message never takes back leases granted after the
// organizer opened sales again.
func (h *Hub) onSeatTypePolicy(ctx context.Context, m eventstore.Message) error {
	var info conferences.SeatTypeInfo
	if err := json.Unmarshal(m.Data, &info); err != nil {
		return fmt.Errorf("decode %s %s: %w", m.Type, m.ID, err)
	}
	if info.OnSite.SellableAtKiosks {
		return nil
	}
	policy, known, err := h.onSitePolicy(ctx, info.ConferenceID, info.SeatType)
	if err != nil || (known && policy.SellableAtKiosks) {
		return err
	}
	back, err := h.takeBackLeases(ctx, info.ConferenceID, info.SeatType)
	if err != nil {
		return fmt.Errorf("take back leases of %s after its policy changed: %w", info.SeatType, err)
	}
	if len(back) > 0 {
		h.Log.Info("kiosk leases taken back: seat type no longer sellable at kiosks",
			"conference", info.ConferenceID, "seat_type", info.SeatType, "returned", back, "kiosks", slices.Sorted(maps.Keys(back)))
	}
	return nil
}

// policyAllocations grants kiosk allocations only of seat types their
// policy lets kiosks sell: a kiosk that has not yet heard of a closed seat
// type must not lease it again.
type policyAllocations struct {
	h *Hub
	*merge.Allocations
}

var _ hubserver.Allocations = policyAllocations{}

// Request implements hubserver.Allocations. The policy is read again
// after the grant: if the organizer closed on-site sales in between, after
// the policy handler already took the kiosks' leases back, the grant is
// given back here, so no lease outlives the closing.
func (p policyAllocations) Request(ctx context.Context, kioskID string, conference, seatType uuid.UUID, n int) (int, error) {
	if err := p.sellable(ctx, conference, seatType); err != nil {
		return 0, fmt.Errorf("allocate %d of %s to %s: %w", n, seatType, kioskID, err)
	}
	granted, err := p.Allocations.Request(ctx, kioskID, conference, seatType, n)
	if err != nil || granted == 0 {
		return granted, err
	}
	if closed := p.sellable(ctx, conference, seatType); closed != nil {
		if err := p.Allocations.Return(ctx, kioskID, conference, seatType, granted); err != nil {
			return 0, fmt.Errorf("give back %d of %s granted to %s as sales closed: %w", granted, seatType, kioskID, err)
		}
		return 0, fmt.Errorf("allocate %d of %s to %s: %w", n, seatType, kioskID, closed)
	}
	return granted, nil
}

// sellable is nil when the seat type is one of a published conference
// that kiosks may sell.
func (p policyAllocations) sellable(ctx context.Context, conference, seatType uuid.UUID) error {
	policy, known, err := p.h.onSitePolicy(ctx, conference, seatType)
	switch {
	case err != nil:
		return err
	case !known:
		return fmt.Errorf("%w: no such seat type of a published conference", ErrNotSellableAtKiosks)
	case !policy.SellableAtKiosks:
		return ErrNotSellableAtKiosks
	}
	return nil
}
