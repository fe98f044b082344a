package registrations

import (
	"github.com/google/uuid"
)

// SeatTypeAdded records a seat type published with its quota.
type SeatTypeAdded struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	SeatType     uuid.UUID `json:"seat_type"`
	Quota        int       `json:"quota"`
}

// SeatQuotaIncreased records seats added by the organizer; Quota is the new total.
type SeatQuotaIncreased struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	SeatType     uuid.UUID `json:"seat_type"`
	By           int       `json:"by"`
	Quota        int       `json:"quota"`
}

// SeatQuotaDecreased records seats removed by the organizer; Quota is the new total.
type SeatQuotaDecreased struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	SeatType     uuid.UUID `json:"seat_type"`
	By           int       `json:"by"`
	Quota        int       `json:"quota"`
}

// SeatsReserved records the seats now held by a reservation: Reserved
// replaces whatever the reservation held before (it may be less than
// Requested, or nothing at all).
type SeatsReserved struct {
	ConferenceID  uuid.UUID `json:"conference_id"`
	ReservationID uuid.UUID `json:"reservation_id"`
	Requested     Seats     `json:"requested"`
	Reserved      Seats     `json:"reserved"`
}

// SeatReservationCommitted records that a reservation's seats are sold.
type SeatReservationCommitted struct {
	ConferenceID  uuid.UUID `json:"conference_id"`
	ReservationID uuid.UUID `json:"reservation_id"`
	Seats         Seats     `json:"seats"`
}

// SeatReservationCancelled records a reservation released unsold.
type SeatReservationCancelled struct {
	ConferenceID  uuid.UUID `json:"conference_id"`
	ReservationID uuid.UUID `json:"reservation_id"`
	Seats         Seats     `json:"seats"`
}

// SoldSeatsCancelled records sold seats of a cancelled order put back on sale.
type SoldSeatsCancelled struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	OrderID      uuid.UUID `json:"order_id"`
	Seats        Seats     `json:"seats"`
}

// SeatAllocationGranted records seats leased to a kiosk for offline sale.
type SeatAllocationGranted struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	KioskID      string    `json:"kiosk_id"`
	SeatType     uuid.UUID `json:"seat_type"`
	Quantity     int       `json:"quantity"`
}

// SeatAllocationReturned records unsold leased seats given back by a kiosk.
type SeatAllocationReturned struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	KioskID      string    `json:"kiosk_id"`
	SeatType     uuid.UUID `json:"seat_type"`
	Quantity     int       `json:"quantity"`
}

// OnSiteSeatsSold records a kiosk sale. FromAllocation came out of the
// kiosk's lease; PastAllocation was sold beyond it and taken from free seats,
// or raised a SeatQuotaConflictRaised when there were not enough.
type OnSiteSeatsSold struct {
	ConferenceID   uuid.UUID `json:"conference_id"`
	KioskID        string    `json:"kiosk_id"`
	OrderID        uuid.UUID `json:"order_id"`
	Seats          Seats     `json:"seats"`
	FromAllocation Seats     `json:"from_allocation"`
	PastAllocation Seats     `json:"past_allocation"`
}

// SeatQuotaConflictRaised records that sold seats of a seat type exceed its
// quota by Over because of the listed orders (offline sales). Conflict is a
// per-conference sequence number, the same on every node.
type SeatQuotaConflictRaised struct {
	ConferenceID uuid.UUID   `json:"conference_id"`
	Conflict     int         `json:"conflict"`
	SeatType     uuid.UUID   `json:"seat_type"`
	Over         int         `json:"over"`
	OrderIDs     []uuid.UUID `json:"order_ids"`
	KioskID      string      `json:"kiosk_id"`
}

// ResolutionKind is how the organizer settles a seat quota conflict.
type ResolutionKind string

// Conflict resolutions.
const (
	// ResolveRaiseQuota makes room: the quota grows by the overage.
	ResolveRaiseQuota ResolutionKind = "raise_quota"
	// ResolveMoveSeats moves the excess seats to another seat type with room.
	ResolveMoveSeats ResolutionKind = "move_seats"
	// ResolveWaitlist takes the excess seats back and puts their holders on
	// the waitlist (the waitlist handler acts on the event).
	ResolveWaitlist ResolutionKind = "waitlist"
	// ResolveRefund takes the excess seats back and refunds them (the
	// payments handler acts on the event).
	ResolveRefund ResolutionKind = "refund"
)

// OrderSeatChange is how many seats of one order a resolution touched.
type OrderSeatChange struct {
	OrderID  uuid.UUID `json:"order_id"`
	Quantity int       `json:"quantity"`
}

// SeatQuotaConflictResolved records the organizer's resolution and its
// effect: QuotaRaisedBy for raise_quota, Orders (seats taken from each
// order's SeatType) for the other kinds, MovedTo for move_seats.
type SeatQuotaConflictResolved struct {
	ConferenceID  uuid.UUID         `json:"conference_id"`
	Conflict      int               `json:"conflict"`
	SeatType      uuid.UUID         `json:"seat_type"`
	Kind          ResolutionKind    `json:"kind"`
	QuotaRaisedBy int               `json:"quota_raised_by,omitempty"`
	MovedTo       uuid.UUID         `json:"moved_to"`
	Orders        []OrderSeatChange `json:"orders"`
	Note          string            `json:"note,omitempty"`
}

// EventType implements eventsourcing.Event.
func (SeatTypeAdded) EventType() string { return "registrations.SeatTypeAdded" }

// EventType implements eventsourcing.Event.
func (SeatQuotaIncreased) EventType() string { return "registrations.SeatQuotaIncreased" }

// EventType implements eventsourcing.Event.
func (SeatQuotaDecreased) EventType() string { return "registrations.SeatQuotaDecreased" }

// EventType implements eventsourcing.Event.
func (SeatsReserved) EventType() string { return "registrations.SeatsReserved" }

// EventType implements eventsourcing.Event.
func (SeatReservationCommitted) EventType() string { return "registrations.SeatReservationCommitted" }

// EventType implements eventsourcing.Event.
func (SeatReservationCancelled) EventType() string { return "registrations.SeatReservationCancelled" }

// EventType implements eventsourcing.Event.
func (SoldSeatsCancelled) EventType() string { return "registrations.SoldSeatsCancelled" }

// EventType implements eventsourcing.Event.
func (SeatAllocationGranted) EventType() string { return "registrations.SeatAllocationGranted" }

// EventType implements eventsourcing.Event.
func (SeatAllocationReturned) EventType() string { return "registrations.SeatAllocationReturned" }

// EventType implements eventsourcing.Event.
func (OnSiteSeatsSold) EventType() string { return "registrations.OnSiteSeatsSold" }

// EventType implements eventsourcing.Event.
func (SeatQuotaConflictRaised) EventType() string { return "registrations.SeatQuotaConflictRaised" }

// EventType implements eventsourcing.Event.
func (SeatQuotaConflictResolved) EventType() string {
	return "registrations.SeatQuotaConflictResolved"
}
