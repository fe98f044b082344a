package merge

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/registrations"
)

// Allocations leases seats to kiosks at the hub. Grants and returns are
// events of the conference's SeatsAvailability, so they reach the kiosk
// through scope like everything else: the kiosk's allocation is whatever
// its store says once the events arrived.
type Allocations struct {
	repo *eventsourcing.Repository[*registrations.SeatsAvailability]
}

// NewAllocations returns the allocation use cases over the hub's store.
func NewAllocations(store eventstore.Store) *Allocations {
	return &Allocations{repo: eventsourcing.NewRepository(store, Registry(), registrations.NewSeatsAvailability,
		eventsourcing.WithSnapshotEvery(100))}
}

// Request leases up to n free seats of seatType to the kiosk, taken from
// availability like a reservation, and reports how many were granted
// (fewer than n when fewer are free, 0 when none). An unknown conference
// or seat type is an error matching registrations.ErrUnknownSeatType.
func (a *Allocations) Request(ctx context.Context, kioskID string, conference, seatType uuid.UUID, n int) (int, error) {
	if err := validRequest(kioskID, conference, seatType, n); err != nil {
		return 0, err
	}
	var granted int
	err := a.repo.Update(ctx, registrations.AvailabilityStreamID(conference), eventsourcing.Metadata{},
		func(s *registrations.SeatsAvailability) error {
			granted = 0
			if !slices.Contains(s.SeatTypes(), seatType) {
				return fmt.Errorf("conference %s seat type %s: %w", conference, seatType, registrations.ErrUnknownSeatType)
			}
			granted = min(n, s.Remaining(seatType))
			if granted == 0 {
				return nil
			}
			return s.GrantAllocation(kioskID, seatType, granted)
		})
	if err != nil {
		return 0, fmt.Errorf("allocate %d of %s to %s: %w", n, seatType, kioskID, err)
	}
	return granted, nil
}

// Return gives n of the kiosk's unsold leased seats back to availability.
// Returning more than the kiosk holds is an error matching
// registrations.ErrAllocationExhausted, and changes nothing.
func (a *Allocations) Return(ctx context.Context, kioskID string, conference, seatType uuid.UUID, n int) error {
	if err := validRequest(kioskID, conference, seatType, n); err != nil {
		return err
	}
	err := a.repo.Update(ctx, registrations.AvailabilityStreamID(conference), eventsourcing.Metadata{},
		func(s *registrations.SeatsAvailability) error {
			return s.ReturnAllocation(kioskID, seatType, n)
		})
	if err != nil {
		return fmt.Errorf("return %d of %s from %s: %w", n, seatType, kioskID, err)
	}
	return nil
}

// Held lists the seats leased to the kiosk and still unsold.
func (a *Allocations) Held(ctx context.Context, kioskID string, conference uuid.UUID) (registrations.Seats, error) {
	s, err := a.repo.Load(ctx, registrations.AvailabilityStreamID(conference))
	if err != nil {
		return nil, fmt.Errorf("allocations of %s: %w", kioskID, err)
	}
	return s.Allocations()[kioskID], nil
}

// CloseOnSiteSales returns every kiosk's unsold allocation of the
// conference (kioskID "" for all kiosks, or one kiosk's), in one save, and
// reports what came back per kiosk. A kiosk that sold from its lease while
// offline still has its sales honoured: the merge settles them
// (SeatsAvailability.SettleOnSiteSale), raising a conflict if the seats
// were sold again meanwhile.
func (a *Allocations) CloseOnSiteSales(ctx context.Context, conference uuid.UUID, kioskID string) (map[string]registrations.Seats, error) {
	return a.takeBack(ctx, conference, func(k string, _ uuid.UUID) bool { return kioskID == "" || k == kioskID })
}

// CloseSeatType takes back every kiosk's unsold allocation of one seat
// type, in one save, as when its on-site policy stops kiosks selling it,
// and reports what came back per kiosk. Closing a seat type nobody holds
// records nothing. Offline sales from the lease stand, as for
// CloseOnSiteSales.
func (a *Allocations) CloseSeatType(ctx context.Context, conference, seatType uuid.UUID) (map[string]registrations.Seats, error) {
	if seatType == uuid.Nil {
		return nil, fmt.Errorf("%w: seat type id is required", ErrInvalid)
	}
	back, err := a.takeBack(ctx, conference, func(_ string, st uuid.UUID) bool { return st == seatType })
	if err != nil {
		return nil, fmt.Errorf("seat type %s: %w", seatType, err)
	}
	return back, nil
}

// takeBack returns the leases picked by take, kiosks in id order so every
// node that replays the events sees the same sequence.
func (a *Allocations) takeBack(ctx context.Context, conference uuid.UUID, take func(kioskID string, seatType uuid.UUID) bool) (map[string]registrations.Seats, error) {
	if conference == uuid.Nil {
		return nil, fmt.Errorf("%w: conference id is required", ErrInvalid)
	}
	var returned map[string]registrations.Seats
	err := a.repo.Update(ctx, registrations.AvailabilityStreamID(conference), eventsourcing.Metadata{},
		func(s *registrations.SeatsAvailability) error {
			returned = map[string]registrations.Seats{}
			held := s.Allocations()
			kiosks := make([]string, 0, len(held))
			for k := range held {
				kiosks = append(kiosks, k)
			}
			slices.Sort(kiosks)
			for _, k := range kiosks {
				for _, q := range held[k] {
					if q.Quantity <= 0 || !take(k, q.SeatType) {
						continue
					}
					if err := s.ReturnAllocation(k, q.SeatType, q.Quantity); err != nil {
						return err
					}
					returned[k] = append(returned[k], q)
				}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("close on-site sales of %s: %w", conference, err)
	}
	return returned, nil
}

func validRequest(kioskID string, conference, seatType uuid.UUID, n int) error {
	if kioskID == "" || kioskID == Hub || conference == uuid.Nil || seatType == uuid.Nil || n <= 0 {
		return fmt.Errorf("%w: kiosk, conference, seat type and a positive quantity are required", ErrInvalid)
	}
	return nil
}
