package registrations

import (
	"fmt"
	"slices"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

// SeatsAvailability is one conference's seat inventory: quota per seat type
// and who holds which seats (reservations, sold seats, kiosk allocations).
//
// Invariant: reserved + sold + allocated never exceed the quota of a seat
// type, except through an on-site sale that raised a recorded
// SeatQuotaConflictRaised.
type SeatsAvailability struct {
	eventsourcing.Root
	s availabilityState
}

// availabilityState is everything Apply mutates, with JSON tags so the whole
// of it is the snapshot.
type availabilityState struct {
	ConferenceID uuid.UUID                    `json:"conference_id"`
	SeatTypes    map[uuid.UUID]seatCounts     `json:"seat_types"`
	Reservations map[uuid.UUID]Seats          `json:"reservations"`
	Sold         map[uuid.UUID]Seats          `json:"sold"`
	Allocations  map[string]map[uuid.UUID]int `json:"allocations"`
	Conflicts    []Conflict                   `json:"conflicts"`
}

type seatCounts struct {
	Quota     int `json:"quota"`
	Reserved  int `json:"reserved"`
	Sold      int `json:"sold"`
	Allocated int `json:"allocated"`
}

func (c seatCounts) used() int { return c.Reserved + c.Sold + c.Allocated }

func (c seatCounts) remaining() int { return max(0, c.Quota-c.used()) }

// Conflict is a seat quota conflict as the organizer sees it.
type Conflict struct {
	Number     int            `json:"number"`
	SeatType   uuid.UUID      `json:"seat_type"`
	Over       int            `json:"over"`
	OrderIDs   []uuid.UUID    `json:"order_ids"`
	KioskID    string         `json:"kiosk_id"`
	Resolved   bool           `json:"resolved"`
	Resolution ResolutionKind `json:"resolution,omitempty"`
}

// NewSeatsAvailability returns an empty availability for the repository.
func NewSeatsAvailability() *SeatsAvailability {
	a := &SeatsAvailability{}
	a.s.init()
	return a
}

func (s *availabilityState) init() {
	if s.SeatTypes == nil {
		s.SeatTypes = map[uuid.UUID]seatCounts{}
	}
	if s.Reservations == nil {
		s.Reservations = map[uuid.UUID]Seats{}
	}
	if s.Sold == nil {
		s.Sold = map[uuid.UUID]Seats{}
	}
	if s.Allocations == nil {
		s.Allocations = map[string]map[uuid.UUID]int{}
	}
}

// StreamType implements eventsourcing.Aggregate.
func (a *SeatsAvailability) StreamType() string { return "registrations.SeatsAvailability" }

// AddSeatType records a new seat type with its quota. The first one names
// the conference and the stream.
func (a *SeatsAvailability) AddSeatType(conferenceID, seatType uuid.UUID, quota int) error {
	a.s.init()
	if conferenceID == uuid.Nil || seatType == uuid.Nil {
		return invalidf("conference and seat type ids are required")
	}
	if a.s.ConferenceID != uuid.Nil && a.s.ConferenceID != conferenceID {
		return invalidf("availability belongs to conference %s, not %s", a.s.ConferenceID, conferenceID)
	}
	if quota < 0 {
		return invalidf("quota cannot be negative")
	}
	if _, ok := a.s.SeatTypes[seatType]; ok {
		return fmt.Errorf("seat type %s: %w", seatType, ErrSeatTypeExists)
	}
	if a.ID() == "" {
		a.SetID(AvailabilityStreamID(conferenceID))
	}
	a.Record(a, SeatTypeAdded{ConferenceID: conferenceID, SeatType: seatType, Quota: quota})
	return nil
}

// IncreaseQuota adds by seats to a seat type.
func (a *SeatsAvailability) IncreaseQuota(seatType uuid.UUID, by int) error {
	c, err := a.counts(seatType)
	if err != nil {
		return err
	}
	if by <= 0 {
		return invalidf("quota increase must be positive")
	}
	a.Record(a, SeatQuotaIncreased{ConferenceID: a.s.ConferenceID, SeatType: seatType, By: by, Quota: c.Quota + by})
	return nil
}

// DecreaseQuota removes by seats from a seat type; it refuses to go below
// the seats reserved, sold and allocated.
func (a *SeatsAvailability) DecreaseQuota(seatType uuid.UUID, by int) error {
	c, err := a.counts(seatType)
	if err != nil {
		return err
	}
	if by <= 0 {
		return invalidf("quota decrease must be positive")
	}
	if c.Quota-by < c.used() {
		return fmt.Errorf("seat type %s has %d seats in use: %w", seatType, c.used(), ErrQuotaBelowUsage)
	}
	a.Record(a, SeatQuotaDecreased{ConferenceID: a.s.ConferenceID, SeatType: seatType, By: by, Quota: c.Quota - by})
	return nil
}

// SetQuota brings a seat type to quota, adding the seat type if new: what
// a "seat type created/updated" integration event asks for.
func (a *SeatsAvailability) SetQuota(conferenceID, seatType uuid.UUID, quota int) error {
	a.s.init()
	c, ok := a.s.SeatTypes[seatType]
	switch {
	case !ok:
		return a.AddSeatType(conferenceID, seatType, quota)
	case quota > c.Quota:
		return a.IncreaseQuota(seatType, quota-c.Quota)
	case quota < c.Quota:
		return a.DecreaseQuota(seatType, c.Quota-quota)
	}
	return nil
}

// MakeReservation holds what is free of wanted for reservationID and records
// SeatsReserved with what was actually held, possibly less or nothing.
// Asking again with the same reservationID replaces the reservation (the
// seats it already holds count as free for it), so a redelivered or
// adjusted request never doubles. Unknown seat types reserve nothing.
func (a *SeatsAvailability) MakeReservation(reservationID uuid.UUID, wanted Seats) error {
	a.s.init()
	if reservationID == uuid.Nil {
		return invalidf("reservation id is required")
	}
	if _, sold := a.s.Sold[reservationID]; sold {
		return fmt.Errorf("reservation %s: %w", reservationID, ErrReservationCommitted)
	}
	for _, q := range wanted {
		if q.Quantity < 0 {
			return invalidf("seat quantity cannot be negative")
		}
	}
	wanted = wanted.Normalize()
	got := map[uuid.UUID]int{}
	for _, q := range wanted {
		if _, ok := a.s.SeatTypes[q.SeatType]; !ok {
			continue
		}
		got[q.SeatType] = min(q.Quantity, a.Left(reservationID, q.SeatType))
	}
	a.Record(a, SeatsReserved{ConferenceID: a.s.ConferenceID, ReservationID: reservationID, Requested: wanted, Reserved: seatsFromMap(got)})
	return nil
}

// CommitReservation turns a reservation's seats into sold seats. Committing
// an already committed reservation records nothing.
func (a *SeatsAvailability) CommitReservation(reservationID uuid.UUID) error {
	a.s.init()
	if _, sold := a.s.Sold[reservationID]; sold {
		return nil
	}
	held, ok := a.s.Reservations[reservationID]
	if !ok {
		return fmt.Errorf("reservation %s: %w", reservationID, ErrReservationNotFound)
	}
	a.Record(a, SeatReservationCommitted{ConferenceID: a.s.ConferenceID, ReservationID: reservationID, Seats: held})
	return nil
}

// CancelReservation releases a reservation's seats. An unknown reservation
// records nothing (it was cancelled already or never held anything); a
// committed one is refused, since its seats are sold.
func (a *SeatsAvailability) CancelReservation(reservationID uuid.UUID) error {
	a.s.init()
	if _, sold := a.s.Sold[reservationID]; sold {
		return fmt.Errorf("reservation %s: %w", reservationID, ErrReservationCommitted)
	}
	held, ok := a.s.Reservations[reservationID]
	if !ok {
		return nil
	}
	a.Record(a, SeatReservationCancelled{ConferenceID: a.s.ConferenceID, ReservationID: reservationID, Seats: held})
	return nil
}

// CancelSoldSeats puts the sold seats of a cancelled order back on sale.
// An order with no sold seats here records nothing.
func (a *SeatsAvailability) CancelSoldSeats(orderID uuid.UUID) error {
	a.s.init()
	seats, ok := a.s.Sold[orderID]
	if !ok {
		return nil
	}
	a.Record(a, SoldSeatsCancelled{ConferenceID: a.s.ConferenceID, OrderID: orderID, Seats: seats})
	return nil
}

func (a *SeatsAvailability) counts(seatType uuid.UUID) (seatCounts, error) {
	a.s.init()
	c, ok := a.s.SeatTypes[seatType]
	if !ok {
		return c, fmt.Errorf("seat type %s: %w", seatType, ErrUnknownSeatType)
	}
	return c, nil
}

// Apply implements eventsourcing.Aggregate.
func (a *SeatsAvailability) Apply(e eventsourcing.Event) {
	s := &a.s
	s.init()
	switch e := e.(type) {
	case SeatTypeAdded:
		s.ConferenceID = e.ConferenceID
		s.SeatTypes[e.SeatType] = seatCounts{Quota: e.Quota}
	case SeatQuotaIncreased:
		s.adjust(e.SeatType, func(c *seatCounts) { c.Quota = e.Quota })
	case SeatQuotaDecreased:
		s.adjust(e.SeatType, func(c *seatCounts) { c.Quota = e.Quota })
	case SeatsReserved:
		for _, q := range s.Reservations[e.ReservationID] {
			s.adjust(q.SeatType, func(c *seatCounts) { c.Reserved -= q.Quantity })
		}
		for _, q := range e.Reserved {
			s.adjust(q.SeatType, func(c *seatCounts) { c.Reserved += q.Quantity })
		}
		if len(e.Reserved) == 0 {
			delete(s.Reservations, e.ReservationID)
		} else {
			s.Reservations[e.ReservationID] = e.Reserved
		}
	case SeatReservationCommitted:
		for _, q := range e.Seats {
			s.adjust(q.SeatType, func(c *seatCounts) { c.Reserved -= q.Quantity; c.Sold += q.Quantity })
		}
		delete(s.Reservations, e.ReservationID)
		s.Sold[e.ReservationID] = e.Seats
	case SeatReservationCancelled:
		for _, q := range e.Seats {
			s.adjust(q.SeatType, func(c *seatCounts) { c.Reserved -= q.Quantity })
		}
		delete(s.Reservations, e.ReservationID)
	case SoldSeatsCancelled:
		for _, q := range e.Seats {
			s.adjust(q.SeatType, func(c *seatCounts) { c.Sold -= q.Quantity })
		}
		delete(s.Sold, e.OrderID)
	default:
		a.applyOnSite(e)
	}
}

// adjust mutates a seat type's counts; a seat type first seen in an event
// (an offline sale of a type not yet added here) starts at quota 0.
func (s *availabilityState) adjust(seatType uuid.UUID, f func(*seatCounts)) {
	c := s.SeatTypes[seatType]
	f(&c)
	s.SeatTypes[seatType] = c
}

// ConferenceID is the conference this inventory belongs to.
func (a *SeatsAvailability) ConferenceID() uuid.UUID { return a.s.ConferenceID }

// SeatTypes lists the known seat types in a stable order.
func (a *SeatsAvailability) SeatTypes() []uuid.UUID {
	out := make([]uuid.UUID, 0, len(a.s.SeatTypes))
	for t := range a.s.SeatTypes {
		out = append(out, t)
	}
	slices.SortFunc(out, compareUUID)
	return out
}

// Remaining is how many seats of seatType can still be reserved or allocated.
func (a *SeatsAvailability) Remaining(seatType uuid.UUID) int {
	return a.s.SeatTypes[seatType].remaining()
}

// Quota is the seat type's quota.
func (a *SeatsAvailability) Quota(seatType uuid.UUID) int { return a.s.SeatTypes[seatType].Quota }

// ReservedCount is how many seats of seatType are held by reservations.
func (a *SeatsAvailability) ReservedCount(seatType uuid.UUID) int {
	return a.s.SeatTypes[seatType].Reserved
}

// SoldCount is how many seats of seatType are sold, online and on site.
func (a *SeatsAvailability) SoldCount(seatType uuid.UUID) int { return a.s.SeatTypes[seatType].Sold }

// AllocatedCount is how many seats of seatType are leased to kiosks, unsold.
func (a *SeatsAvailability) AllocatedCount(seatType uuid.UUID) int {
	return a.s.SeatTypes[seatType].Allocated
}

// Overbooked is by how many seats usage exceeds the quota (0 normally).
func (a *SeatsAvailability) Overbooked(seatType uuid.UUID) int {
	c := a.s.SeatTypes[seatType]
	return max(0, c.used()-c.Quota)
}

// Reservation returns the seats a reservation holds.
func (a *SeatsAvailability) Reservation(reservationID uuid.UUID) (Seats, bool) {
	s, ok := a.s.Reservations[reservationID]
	return s, ok
}

// SoldTo returns the seats sold to an order.
func (a *SeatsAvailability) SoldTo(orderID uuid.UUID) (Seats, bool) {
	s, ok := a.s.Sold[orderID]
	return s, ok
}
