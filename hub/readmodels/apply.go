package readmodels

import (
	"slices"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/eventsourcing"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// newRegistry knows every event the read models consume: the registrations
// events (with their upcasters) and conference management's integration
// events, registered at schema 1 so a future upcaster has a place to go.
func newRegistry() *eventsourcing.Registry {
	r := eventsourcing.NewRegistry()
	registrations.RegisterEvents(r)
	registrations.RegisterMergeEvents(r)
	r.Register(onsite.AttendeeCheckedIn{}, 1)
	for _, e := range []eventsourcing.Event{
		conferences.ConferenceCreated{}, conferences.ConferenceUpdated{},
		conferences.ConferencePublished{}, conferences.ConferenceUnpublished{},
		conferences.SeatTypeCreated{}, conferences.SeatTypeUpdated{},
	} {
		r.Register(e, 1)
	}
	return r
}

// consumed lists the event types the projections apply; anything else in
// the log (the registration process's own events, payments, other
// contexts) is skipped before paying for its decoding.
var consumed = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range []eventsourcing.Event{
		registrations.OrderPlaced{}, registrations.WalkUpOrderPlaced{}, registrations.OrderReservationCompleted{},
		registrations.OrderPartiallyReserved{}, registrations.OrderRegistrantAssigned{}, registrations.OrderConfirmed{},
		registrations.OrderExpired{}, registrations.OrderRejected{}, registrations.OrderCancelled{},

		registrations.SeatTypeAdded{}, registrations.SeatQuotaIncreased{}, registrations.SeatQuotaDecreased{},
		registrations.SeatsReserved{}, registrations.SeatReservationCommitted{}, registrations.SeatReservationCancelled{},
		registrations.SoldSeatsCancelled{}, registrations.SeatAllocationGranted{}, registrations.SeatAllocationReturned{},
		registrations.OnSiteSeatsSold{}, registrations.SeatQuotaConflictResolved{},
		registrations.SeatQuotaConflictRaised{}, registrations.DuplicateCheckInDetected{},

		registrations.SeatAssignmentsCreated{}, registrations.SeatAssigned{}, registrations.SeatAssigneeUpdated{},
		registrations.SeatUnassigned{},

		registrations.WaitlistJoined{}, registrations.WaitlistOfferMade{}, registrations.WaitlistOfferAccepted{},
		registrations.WaitlistOfferExpired{}, registrations.WaitlistLeft{},

		registrations.PromoCodeRedeemed{}, registrations.PromoCodeReleased{},

		onsite.AttendeeCheckedIn{},
	} {
		m[e.EventType()] = true
	}
	return m
}()

// consumedTypes lists consumed's keys, for reading only those from the log.
var consumedTypes = func() []string {
	out := make([]string, 0, len(consumed))
	for t := range consumed {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}()

// messagePrefix selects conference management's integration events in the
// message log.
const messagePrefix = "conferences."

// applyMessage applies one conferences.* integration event at message seq.
// It only writes conference rows and the descriptive columns of seat
// types, never what events write, so the two logs may be applied in any
// interleaving and still give the same tables.
func (s *state) applyMessage(ev eventsourcing.Event, seq int64) {
	switch e := ev.(type) {
	case conferences.ConferenceCreated:
		s.conferences[e.ConferenceID] = &conference{ConferenceInfo: e.ConferenceInfo, dirty: true}
	case conferences.ConferenceUpdated:
		s.conferences[e.ConferenceID] = &conference{ConferenceInfo: e.ConferenceInfo, dirty: true}
	case conferences.ConferencePublished:
		if c, ok := s.conferences[e.ConferenceID]; ok {
			c.Published, c.dirty = true, true
		}
	case conferences.ConferenceUnpublished:
		if c, ok := s.conferences[e.ConferenceID]; ok {
			c.Published, c.dirty = false, true
		}
	case conferences.SeatTypeCreated:
		s.seatTypeInfo(e.SeatTypeInfo, seq)
	case conferences.SeatTypeUpdated:
		s.seatTypeInfo(e.SeatTypeInfo, seq)
	}
}

func (s *state) seatTypeInfo(info conferences.SeatTypeInfo, seq int64) {
	st := s.seatType(info.SeatType, info.ConferenceID)
	if st.infoSeq == 0 {
		st.infoSeq = seq
	}
	st.name, st.descr, st.price, st.onSite = info.Name, info.Description, info.Price, info.OnSite
}

// apply applies one registrations event stored at log position pos. The
// count arithmetic follows SeatsAvailability.Apply and the order fields
// Order.Apply, from the facts the events carry.
func (s *state) apply(ev eventsourcing.Event, pos int64) error {
	switch e := ev.(type) {
	case registrations.SeatTypeAdded:
		st := s.seatType(e.SeatType, e.ConferenceID)
		st.quota, st.reserved, st.sold, st.allocated = e.Quota, 0, 0, 0
	case registrations.SeatQuotaIncreased:
		s.seatType(e.SeatType, e.ConferenceID).quota = e.Quota
	case registrations.SeatQuotaDecreased:
		s.seatType(e.SeatType, e.ConferenceID).quota = e.Quota
	case registrations.SeatsReserved:
		s.reserve(e)
	case registrations.SeatReservationCommitted:
		for _, q := range e.Seats {
			st := s.seatType(q.SeatType, e.ConferenceID)
			st.reserved -= q.Quantity
			st.sold += q.Quantity
		}
		s.release(e.ReservationID)
	case registrations.SeatReservationCancelled:
		for _, q := range e.Seats {
			s.seatType(q.SeatType, e.ConferenceID).reserved -= q.Quantity
		}
		s.release(e.ReservationID)
	case registrations.SoldSeatsCancelled:
		for _, q := range e.Seats {
			s.seatType(q.SeatType, e.ConferenceID).sold -= q.Quantity
		}
	case registrations.SeatAllocationGranted:
		s.seatType(e.SeatType, e.ConferenceID).allocated += e.Quantity
	case registrations.SeatAllocationReturned:
		s.seatType(e.SeatType, e.ConferenceID).allocated -= e.Quantity
	case registrations.OnSiteSeatsSold:
		for _, q := range e.FromAllocation {
			s.seatType(q.SeatType, e.ConferenceID).allocated -= q.Quantity
		}
		for _, q := range e.Seats {
			s.seatType(q.SeatType, e.ConferenceID).sold += q.Quantity
		}
	case registrations.SeatQuotaConflictResolved:
		st := s.seatType(e.SeatType, e.ConferenceID)
		st.quota += e.QuotaRaisedBy
		for _, o := range e.Orders {
			st.sold -= o.Quantity
			if e.MovedTo != uuid.Nil {
				s.seatType(e.MovedTo, e.ConferenceID).sold += o.Quantity
			}
		}
		return s.resolveConflict(e, pos)
	default:
		return s.applyOther(ev, pos)
	}
	return nil
}

func (s *state) reserve(e registrations.SeatsReserved) {
	r, ok := s.reservations[e.ReservationID]
	if ok && !r.deleted {
		for _, q := range r.seats {
			s.seatType(q.SeatType, e.ConferenceID).reserved -= q.Quantity
		}
	}
	for _, q := range e.Reserved {
		s.seatType(q.SeatType, e.ConferenceID).reserved += q.Quantity
	}
	if len(e.Reserved) == 0 {
		s.release(e.ReservationID)
		return
	}
	s.reservations[e.ReservationID] = &reservation{id: e.ReservationID, conferenceID: e.ConferenceID, seats: e.Reserved, dirty: true,
		written: ok && r.written}
}

// release marks a reservation gone; flush deletes its row.
func (s *state) release(id uuid.UUID) {
	if r, ok := s.reservations[id]; ok {
		r.deleted, r.dirty = true, true
	}
}

func (s *state) applyOther(ev eventsourcing.Event, pos int64) error {
	switch e := ev.(type) {
	case registrations.OrderPlaced:
		s.orders[e.OrderID] = &order{
			id: e.OrderID, conferenceID: e.ConferenceID, line: pos, status: registrations.OrderStatusPending,
			accessCode: e.AccessCode, requested: e.Seats, quote: e.Quote,
			expiresAt: e.ReservationExpiresAt, placedAt: e.PlacedAt, dirty: true,
		}
	case registrations.WalkUpOrderPlaced:
		s.orders[e.OrderID] = &order{
			id: e.OrderID, conferenceID: e.ConferenceID, line: pos, status: registrations.OrderStatusConfirmed,
			accessCode: e.AccessCode, name: e.Name, email: e.Email, kioskID: e.KioskID,
			requested: e.Seats, reserved: e.Seats, quote: e.Quote, placedAt: e.PlacedAt, confirmedAt: e.PlacedAt, dirty: true,
		}
	case registrations.OrderReservationCompleted:
		return s.updateOrder(e.OrderID, uuid.Nil, pos, func(o *order) {
			o.status, o.reserved, o.quote, o.expiresAt = registrations.OrderStatusReserved, e.Seats, e.Quote, e.ReservationExpiresAt
		})
	case registrations.OrderPartiallyReserved:
		return s.updateOrder(e.OrderID, uuid.Nil, pos, func(o *order) {
			o.status, o.reserved, o.quote, o.expiresAt = registrations.OrderStatusReserved, e.Seats, e.Quote, e.ReservationExpiresAt
		})
	case registrations.OrderRegistrantAssigned:
		return s.updateOrder(e.OrderID, uuid.Nil, pos, func(o *order) { o.name, o.email = e.Name, e.Email })
	case registrations.OrderConfirmed:
		return s.updateOrder(e.OrderID, e.ConferenceID, pos, func(o *order) {
			o.status, o.confirmedAt = registrations.OrderStatusConfirmed, e.ConfirmedAt
		})
	case registrations.OrderExpired:
		// Its seats went back on sale: it no longer holds any.
		return s.updateOrder(e.OrderID, e.ConferenceID, pos, func(o *order) { o.status, o.reserved = registrations.OrderStatusExpired, nil })
	case registrations.OrderRejected:
		return s.updateOrder(e.OrderID, e.ConferenceID, pos, func(o *order) {
			o.status, o.reserved, o.quote, o.reason = registrations.OrderStatusRejected, nil, o.quote.Nothing(), e.Reason
		})
	case registrations.OrderCancelled:
		return s.updateOrder(e.OrderID, e.ConferenceID, pos, func(o *order) { o.status = registrations.OrderStatusCancelled })
	default:
		return s.applyPeople(ev, pos)
	}
	return nil
}

// updateOrder changes a known order; an order whose placement this log
// does not hold yet starts as a stub, so nothing it says is lost.
func (s *state) updateOrder(id, conferenceID uuid.UUID, pos int64, f func(*order)) error {
	o, err := s.order(id)
	if err != nil {
		return err
	}
	if o == nil {
		o = &order{id: id, conferenceID: conferenceID, line: pos}
		s.orders[id] = o
	}
	f(o)
	o.dirty = true
	return nil
}

func (s *state) applyPeople(ev eventsourcing.Event, pos int64) error {
	switch e := ev.(type) {
	case registrations.SeatAssignmentsCreated:
		s.seats[e.OrderID] = &orderSeats{orderID: e.OrderID, conferenceID: e.ConferenceID, positions: slices.Clone(e.Positions), dirty: true}
	case registrations.SeatAssigned:
		return s.setAttendee(e.OrderID, e.Position, e.Attendee)
	case registrations.SeatAssigneeUpdated:
		return s.setAttendee(e.OrderID, e.Position, e.Attendee)
	case registrations.SeatUnassigned:
		return s.setAttendee(e.OrderID, e.Position, registrations.Attendee{})
	case registrations.WaitlistJoined:
		s.waitlist[e.EntryID] = &waitEntry{
			id: e.EntryID, conferenceID: e.ConferenceID, seatType: e.SeatType, line: pos, quantity: e.Quantity,
			name: e.Name, email: e.Email, status: registrations.WaitlistWaiting, joinedAt: e.JoinedAt, dirty: true,
		}
	case registrations.WaitlistOfferMade:
		return s.updateEntry(e.EntryID, func(w *waitEntry) {
			w.status, w.offered, w.offerExpiresAt = registrations.WaitlistOffered, e.Quantity, e.ExpiresAt
		})
	case registrations.WaitlistOfferAccepted:
		return s.updateEntry(e.EntryID, func(w *waitEntry) { w.status = registrations.WaitlistAccepted })
	case registrations.WaitlistOfferExpired:
		return s.updateEntry(e.EntryID, func(w *waitEntry) { w.status = registrations.WaitlistLapsed })
	case registrations.WaitlistLeft:
		return s.updateEntry(e.EntryID, func(w *waitEntry) { w.status = registrations.WaitlistGone })
	case registrations.PromoCodeRedeemed:
		k := promoKey{e.ConferenceID, registrations.NormalizePromoCode(e.Code), e.OrderID}
		s.promos[k] = &promoUse{promoKey: k, redeemedAt: e.RedeemedAt, dirty: true}
	case registrations.PromoCodeReleased:
		p, err := s.promoUse(promoKey{e.ConferenceID, registrations.NormalizePromoCode(e.Code), e.OrderID})
		if err != nil || p == nil {
			return err
		}
		p.released, p.dirty = true, true
	default:
		return s.applyOnSite(ev, pos)
	}
	return nil
}

func (s *state) setAttendee(orderID uuid.UUID, position int, a registrations.Attendee) error {
	o, err := s.orderSeats(orderID)
	if err != nil || o == nil {
		return err
	}
	if position >= 0 && position < len(o.positions) {
		o.positions[position].Attendee = a
		o.dirty = true
	}
	return nil
}

func (s *state) updateEntry(id uuid.UUID, f func(*waitEntry)) error {
	w, err := s.waitEntry(id)
	if err != nil || w == nil {
		return err
	}
	f(w)
	w.dirty = true
	return nil
}
