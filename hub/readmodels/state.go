package readmodels

import (
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// The projector works on entities in memory and writes the changed ones
// back in one transaction per batch (flush.go). Conferences, seat types and
// open reservations are always all in memory: they are few, and the seat
// types back the public availability read. Orders, seats, waitlist
// entries and promo-code uses are a cache: while following the log they
// are loaded from their tables when an event touches them and dropped
// after each flush; during a rebuild the tables are empty, nothing is
// loaded and everything stays in memory, the changed rows written in
// chunks (rebuild.go).

type conference struct {
	conferences.ConferenceInfo
	dirty bool
}

type seatType struct {
	id, conferenceID uuid.UUID
	infoSeq          int64
	name, descr      string
	price            registrations.Money
	onSite           conferences.OnSitePolicy
	quota, reserved  int
	sold, allocated  int
	dirty            bool
}

func (s *seatType) remaining() int { return max(0, s.quota-s.reserved-s.sold-s.allocated) }

type reservation struct {
	id, conferenceID uuid.UUID
	seats            registrations.Seats
	dirty, deleted   bool
	written          bool // its row exists
}

type order struct {
	id, conferenceID uuid.UUID
	line             int64
	status           registrations.OrderStatus
	accessCode       string
	name, email      string
	kioskID          string
	requested        registrations.Seats
	reserved         registrations.Seats
	quote            registrations.Quote
	expiresAt        time.Time
	placedAt         time.Time
	confirmedAt      time.Time
	reason           string // why it was rejected
	dirty            bool
}

type orderSeats struct {
	orderID, conferenceID uuid.UUID
	positions             []registrations.SeatPosition
	dirty                 bool
}

type waitEntry struct {
	id, conferenceID, seatType uuid.UUID
	line                       int64
	quantity                   int
	name, email                string
	status                     registrations.WaitlistStatus
	offered                    int
	offerExpiresAt             time.Time
	joinedAt                   time.Time
	dirty                      bool
}

type promoKey struct {
	conferenceID uuid.UUID
	code         string
	orderID      uuid.UUID
}

type promoUse struct {
	promoKey
	redeemedAt time.Time
	released   bool
	dirty      bool
}

// state is the projector's working set. It is owned by one goroutine at a
// time (Models.mu).
type state struct {
	conferences  map[uuid.UUID]*conference
	seatTypes    map[uuid.UUID]*seatType
	reservations map[uuid.UUID]*reservation

	orders   map[uuid.UUID]*order
	seats    map[uuid.UUID]*orderSeats
	waitlist map[uuid.UUID]*waitEntry
	promos   map[promoKey]*promoUse

	conflicts map[conflictKey]*seatConflict
	warnings  map[uuid.UUID]*checkInWarning
	checkins  map[onsite.Seat]*checkIn

	// load fetches a cached entity's row when it is not in memory; nil
	// during a rebuild, when the tables are known to be empty.
	load *loader
	// touched lists the conferences whose seat types changed since the
	// last flush, to refresh the in-memory availability copy.
	touched map[uuid.UUID]bool
}

func newState(load *loader) *state {
	return &state{
		conferences: map[uuid.UUID]*conference{}, seatTypes: map[uuid.UUID]*seatType{},
		reservations: map[uuid.UUID]*reservation{},
		orders:       map[uuid.UUID]*order{}, seats: map[uuid.UUID]*orderSeats{},
		waitlist: map[uuid.UUID]*waitEntry{}, promos: map[promoKey]*promoUse{},
		conflicts: map[conflictKey]*seatConflict{}, warnings: map[uuid.UUID]*checkInWarning{},
		checkins: map[onsite.Seat]*checkIn{},
		load:     load, touched: map[uuid.UUID]bool{},
	}
}

// dropCache forgets the cached entities after they were written.
func (s *state) dropCache() {
	clear(s.orders)
	clear(s.seats)
	clear(s.waitlist)
	clear(s.promos)
	clear(s.conflicts)
	clear(s.warnings)
	clear(s.checkins)
}

func (s *state) seatType(id, conferenceID uuid.UUID) *seatType {
	st, ok := s.seatTypes[id]
	if !ok {
		st = &seatType{id: id, conferenceID: conferenceID}
		s.seatTypes[id] = st
	}
	if st.conferenceID == uuid.Nil {
		st.conferenceID = conferenceID
	}
	st.dirty = true
	s.touched[st.conferenceID] = true
	return st
}

// order returns the cached or stored order, or nil when it is unknown.
func (s *state) order(id uuid.UUID) (*order, error) {
	if o, ok := s.orders[id]; ok {
		return o, nil
	}
	if s.load == nil {
		return nil, nil
	}
	o, err := s.load.order(id)
	if o != nil {
		s.orders[id] = o
	}
	return o, err
}

func (s *state) orderSeats(id uuid.UUID) (*orderSeats, error) {
	if o, ok := s.seats[id]; ok {
		return o, nil
	}
	if s.load == nil {
		return nil, nil
	}
	o, err := s.load.orderSeats(id)
	if o != nil {
		s.seats[id] = o
	}
	return o, err
}

func (s *state) waitEntry(id uuid.UUID) (*waitEntry, error) {
	if w, ok := s.waitlist[id]; ok {
		return w, nil
	}
	if s.load == nil {
		return nil, nil
	}
	w, err := s.load.waitEntry(id)
	if w != nil {
		s.waitlist[id] = w
	}
	return w, err
}

func (s *state) promoUse(k promoKey) (*promoUse, error) {
	if p, ok := s.promos[k]; ok {
		return p, nil
	}
	if s.load == nil {
		return nil, nil
	}
	p, err := s.load.promoUse(k)
	if p != nil {
		s.promos[k] = p
	}
	return p, err
}
