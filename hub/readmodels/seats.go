package readmodels

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/registrations"
)

// SeatTypeView is a seat type with its price and how many seats are left:
// the public availability read.
type SeatTypeView struct {
	SeatTypeID   uuid.UUID
	ConferenceID uuid.UUID
	// Name, Description, Price and OnSite are conference management's; empty
	// until its SeatTypeCreated message is projected.
	Name        string
	Description string
	Price       registrations.Money
	OnSite      conferences.OnSitePolicy
	// Quota and the counts are SeatsAvailability's. Allocated seats are
	// leased to kiosks, unsold. Remaining = Quota - Reserved - Sold -
	// Allocated, never below zero.
	Quota     int
	Reserved  int
	Sold      int
	Allocated int
	Remaining int
}

// seatIndex is an immutable snapshot of every conference's seat types,
// replaced wholesale after each flush that changed one, so readers need
// no lock.
type seatIndex struct {
	byConference map[uuid.UUID][]SeatTypeView
}

func buildSeatIndex(all map[uuid.UUID]*seatType) *seatIndex {
	idx := &seatIndex{byConference: map[uuid.UUID][]SeatTypeView{}}
	for _, st := range all {
		idx.byConference[st.conferenceID] = append(idx.byConference[st.conferenceID], st.view())
	}
	for _, list := range idx.byConference {
		slices.SortFunc(list, compareSeatTypes(all))
	}
	return idx
}

// compareSeatTypes orders seat types as conference management created them
// (by the seq of their first message), those it has not described yet last
// by id: the same order live and after a rebuild.
func compareSeatTypes(all map[uuid.UUID]*seatType) func(a, b SeatTypeView) int {
	return func(a, b SeatTypeView) int {
		sa, sb := all[a.SeatTypeID].infoSeq, all[b.SeatTypeID].infoSeq
		switch {
		case sa != sb && sa != 0 && sb != 0:
			return compareInt(sa, sb)
		case sa != sb && sa == 0:
			return 1
		case sa != sb:
			return -1
		}
		return bytes.Compare(a.SeatTypeID[:], b.SeatTypeID[:])
	}
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *seatType) view() SeatTypeView {
	return SeatTypeView{
		SeatTypeID: s.id, ConferenceID: s.conferenceID, Name: s.name, Description: s.descr, Price: s.price, OnSite: s.onSite,
		Quota: s.quota, Reserved: s.reserved, Sold: s.sold, Allocated: s.allocated, Remaining: s.remaining(),
	}
}

// SeatTypes lists a conference's seat types with their remaining seats,
// from memory (no SQL per call): the public availability read. An unknown
// conference has none. The result is the caller's to keep or change.
func (m *Models) SeatTypes(_ context.Context, conferenceID uuid.UUID) ([]SeatTypeView, error) {
	return slices.Clone(m.seats.Load().byConference[conferenceID]), nil
}

// seatTypesFromTable reads the same list from rm_seat_types, to check the
// in-memory copy against the table.
func (m *Models) seatTypesFromTable(ctx context.Context, conferenceID uuid.UUID) ([]SeatTypeView, error) {
	rows, err := m.store.DB().QueryContext(ctx, `SELECT seat_type_id, conference_id, name, description, price_amount, price_currency,
		sellable_at_kiosks, sell_past_allocation, kiosk_allocation_size, quota, reserved, sold, allocated
		FROM rm_seat_types WHERE conference_id = $1
		ORDER BY info_seq = 0, info_seq, seat_type_id`, conferenceID[:])
	if err != nil {
		return nil, fmt.Errorf("seat types of %s: %w", conferenceID, err)
	}
	defer rows.Close()
	var out []SeatTypeView
	for rows.Next() {
		var v SeatTypeView
		if err := rows.Scan(idCol{&v.SeatTypeID}, idCol{&v.ConferenceID}, &v.Name, &v.Description, &v.Price.Amount, &v.Price.Currency,
			&v.OnSite.SellableAtKiosks, &v.OnSite.SellPastAllocation, &v.OnSite.KioskAllocationSize,
			&v.Quota, &v.Reserved, &v.Sold, &v.Allocated); err != nil {
			return nil, fmt.Errorf("seat types of %s: %w", conferenceID, err)
		}
		v.Remaining = max(0, v.Quota-v.Reserved-v.Sold-v.Allocated)
		out = append(out, v)
	}
	return out, rows.Err()
}

// seatTypeNames maps seat type ids to names for labelling order lines.
func (m *Models) seatTypeName(conferenceID, seatType uuid.UUID) string {
	for _, v := range m.seats.Load().byConference[conferenceID] {
		if v.SeatTypeID == seatType {
			return v.Name
		}
	}
	return ""
}
