package readmodels

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/shared/registrations"
	"conference/shared/sqldb"
)

// loader reads entities back from the read-model tables.
type loader struct {
	ctx context.Context
	db  *sqldb.DB
}

type scanner interface{ Scan(dest ...any) error }

// idCol scans a 16-byte id column.
type idCol struct{ id *uuid.UUID }

func (c idCol) Scan(src any) error {
	b, ok := src.([]byte)
	if !ok || len(b) != 16 {
		return fmt.Errorf("id column: want 16 bytes, got %T", src)
	}
	copy(c.id[:], b)
	return nil
}

// jsonCol scans a JSON text column into v.
type jsonCol struct{ v any }

func (c jsonCol) Scan(src any) error {
	var b []byte
	switch x := src.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("json column: got %T", src)
	}
	return json.Unmarshal(b, c.v)
}

// msCol scans a Unix-milliseconds column into a time (0 is the zero time).
type msCol struct{ t *time.Time }

func (c msCol) Scan(src any) error {
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("time column: got %T", src)
	}
	*c.t = fromMS(v)
	return nil
}

const orderColumns = `order_id, conference_id, line, status, access_code, name, email, kiosk_id, requested, reserved, quote,
	expires_at, placed_at, confirmed_at, reason`

func scanOrder(r scanner) (*order, error) {
	o := &order{}
	var status string
	err := r.Scan(idCol{&o.id}, idCol{&o.conferenceID}, &o.line, &status, &o.accessCode, &o.name, &o.email, &o.kioskID,
		jsonCol{&o.requested}, jsonCol{&o.reserved}, jsonCol{&o.quote}, msCol{&o.expiresAt}, msCol{&o.placedAt}, msCol{&o.confirmedAt}, &o.reason)
	o.status = registrations.OrderStatus(status)
	return o, err
}

func (l *loader) order(id uuid.UUID) (*order, error) {
	o, err := scanOrder(l.db.QueryRowContext(l.ctx, `SELECT `+orderColumns+` FROM rm_orders WHERE order_id = $1`, id[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load order %s: %w", id, err)
	}
	return o, nil
}

func (l *loader) orderSeats(id uuid.UUID) (*orderSeats, error) {
	rows, err := l.db.QueryContext(l.ctx, `SELECT conference_id, position, seat_type, name, email, company, role
		FROM rm_order_seats WHERE order_id = $1 ORDER BY position`, id[:])
	if err != nil {
		return nil, fmt.Errorf("load seats of order %s: %w", id, err)
	}
	defer rows.Close()
	o := &orderSeats{orderID: id}
	for rows.Next() {
		var p registrations.SeatPosition
		a := &p.Attendee
		if err := rows.Scan(idCol{&o.conferenceID}, &p.Position, idCol{&p.SeatType}, &a.Name, &a.Email, &a.Company, &a.Role); err != nil {
			return nil, fmt.Errorf("load seats of order %s: %w", id, err)
		}
		o.positions = append(o.positions, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load seats of order %s: %w", id, err)
	}
	if len(o.positions) == 0 {
		return nil, nil
	}
	return o, nil
}

const waitColumns = `entry_id, conference_id, seat_type, line, quantity, name, email, status, offered_seats, offer_expires_at, joined_at`

// scanWaitEntry reads the waitColumns of a row, and then into more.
func scanWaitEntry(r scanner, more ...any) (*waitEntry, error) {
	w := &waitEntry{}
	var status string
	err := r.Scan(append([]any{idCol{&w.id}, idCol{&w.conferenceID}, idCol{&w.seatType}, &w.line, &w.quantity, &w.name, &w.email, &status,
		&w.offered, msCol{&w.offerExpiresAt}, msCol{&w.joinedAt}}, more...)...)
	w.status = registrations.WaitlistStatus(status)
	return w, err
}

func (l *loader) waitEntry(id uuid.UUID) (*waitEntry, error) {
	w, err := scanWaitEntry(l.db.QueryRowContext(l.ctx, `SELECT `+waitColumns+` FROM rm_waitlist WHERE entry_id = $1`, id[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load waitlist entry %s: %w", id, err)
	}
	return w, nil
}

func (l *loader) promoUse(k promoKey) (*promoUse, error) {
	p := &promoUse{promoKey: k}
	var released int
	err := l.db.QueryRowContext(l.ctx, `SELECT redeemed_at, released FROM rm_promo_uses WHERE conference_id = $1 AND code = $2 AND order_id = $3`,
		k.conferenceID[:], k.code, k.orderID[:]).Scan(msCol{&p.redeemedAt}, &released)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load promo use %s of %s: %w", k.code, k.orderID, err)
	}
	p.released = released == 1
	return p, nil
}

// loadResident reads the entities kept in memory at all times.
func (l *loader) loadResident(s *state) error {
	rows, err := l.db.QueryContext(l.ctx, `SELECT conference_id, organizer_id, slug, name, tagline, description, venue,
		contact_email, time_zone, starts_at, ends_at, reservation_window_minutes, currency, published FROM rm_conferences`)
	if err != nil {
		return fmt.Errorf("load conferences: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c := &conference{}
		if err := rows.Scan(idCol{&c.ConferenceID}, idCol{&c.OrganizerID}, &c.Slug, &c.Name, &c.Tagline, &c.Description, &c.Venue,
			&c.ContactEmail, &c.TimeZone, msCol{&c.StartsAt}, msCol{&c.EndsAt}, &c.ReservationWindowMinutes, &c.Currency, &c.Published); err != nil {
			return fmt.Errorf("load conferences: %w", err)
		}
		s.conferences[c.ConferenceID] = c
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load conferences: %w", err)
	}
	if err := l.loadSeatTypes(s); err != nil {
		return err
	}
	return l.loadReservations(s)
}

func (l *loader) loadSeatTypes(s *state) error {
	rows, err := l.db.QueryContext(l.ctx, `SELECT seat_type_id, conference_id, info_seq, name, description, price_amount,
		price_currency, sellable_at_kiosks, sell_past_allocation, kiosk_allocation_size, quota, reserved, sold, allocated FROM rm_seat_types`)
	if err != nil {
		return fmt.Errorf("load seat types: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		st := &seatType{}
		if err := rows.Scan(idCol{&st.id}, idCol{&st.conferenceID}, &st.infoSeq, &st.name, &st.descr, &st.price.Amount, &st.price.Currency,
			&st.onSite.SellableAtKiosks, &st.onSite.SellPastAllocation, &st.onSite.KioskAllocationSize,
			&st.quota, &st.reserved, &st.sold, &st.allocated); err != nil {
			return fmt.Errorf("load seat types: %w", err)
		}
		s.seatTypes[st.id] = st
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load seat types: %w", err)
	}
	return nil
}

func (l *loader) loadReservations(s *state) error {
	rows, err := l.db.QueryContext(l.ctx, `SELECT reservation_id, conference_id, seats FROM rm_reservations`)
	if err != nil {
		return fmt.Errorf("load reservations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := &reservation{written: true}
		if err := rows.Scan(idCol{&r.id}, idCol{&r.conferenceID}, jsonCol{&r.seats}); err != nil {
			return fmt.Errorf("load reservations: %w", err)
		}
		s.reservations[r.id] = r
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load reservations: %w", err)
	}
	return nil
}
