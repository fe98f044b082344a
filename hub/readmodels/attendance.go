package readmodels

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/shared/sqldb"
)

// Attendance: who is checked in, from the check-ins kiosks record and sync
// brings to the hub (onsite.AttendeeCheckedIn). One row per seat; the
// seat's first check-in (earliest by its time, then by log position, so a
// rebuild agrees with the live projection) is the one shown. Check-ins are
// cached like orders: a later one loads its seat's row back.

type checkIn struct {
	seat         onsite.Seat
	conferenceID uuid.UUID
	// seatType is the seat's, from its order's seats (positions are
	// numbered in seat type order, as SeatAssignments.Create numbers them);
	// uuid.Nil when the order was not projected yet.
	seatType uuid.UUID
	kioskID  string
	staff    string
	at       time.Time
	count    int
	line     int64
	dirty    bool
}

var sqlCheckIn = sqldb.Upsert("rm_checkins", []string{"order_id", "position"}, "order_id", "position", "conference_id", "seat_type",
	"kiosk_id", "staff", "checked_in_at", "check_ins", "line")

// checkpointCheckIns marks a database whose check-ins table holds every
// check-in the models' checkpoint covers: absent on a hub that projected
// its log before the table existed, which replays them once (backfill).
const checkpointCheckIns = "readmodels.checkins"

func (s *state) applyCheckIn(e onsite.AttendeeCheckedIn, pos int64) error {
	seat := onsite.Seat{OrderID: e.OrderID, Position: e.Position}
	c, err := s.checkIn(seat)
	if err != nil {
		return err
	}
	if c == nil {
		c = &checkIn{seat: seat, conferenceID: e.ConferenceID, kioskID: e.KioskID, staff: e.Staff, at: e.At, count: 1, line: pos, dirty: true}
		s.checkins[seat] = c
		o, err := s.order(e.OrderID)
		if err != nil {
			return err
		}
		if o != nil {
			c.seatType = seatTypeAt(o.reserved, e.Position)
		}
		return nil
	}
	c.count++
	if e.At.Before(c.at) || (e.At.Equal(c.at) && pos < c.line) {
		c.kioskID, c.staff, c.at, c.line = e.KioskID, e.Staff, e.At, pos
	}
	c.dirty = true
	return nil
}

// seatTypeAt is the seat type of a position among an order's seats.
func seatTypeAt(seats registrations.Seats, position int) uuid.UUID {
	for _, q := range seats.Normalize() {
		if position < q.Quantity {
			return q.SeatType
		}
		position -= q.Quantity
	}
	return uuid.Nil
}

func (s *state) checkIn(seat onsite.Seat) (*checkIn, error) {
	if c, ok := s.checkins[seat]; ok {
		return c, nil
	}
	if s.load == nil {
		return nil, nil
	}
	c := &checkIn{seat: seat}
	var at int64
	err := s.load.db.QueryRowContext(s.load.ctx, `SELECT conference_id, seat_type, kiosk_id, staff, checked_in_at, check_ins, line
		FROM rm_checkins WHERE order_id = $1 AND position = $2`, seat.OrderID[:], seat.Position).
		Scan(idCol{&c.conferenceID}, idCol{&c.seatType}, &c.kioskID, &c.staff, &at, &c.count, &c.line)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load check-in of %s: %w", seat, err)
	}
	c.at = fromMS(at)
	s.checkins[seat] = c
	return c, nil
}

// flushCheckIns writes the dirty check-ins in key order.
func (s *state) flushCheckIns(exec func(string, ...any) error) error {
	var dirty []*checkIn
	for _, c := range s.checkins {
		if c.dirty {
			dirty = append(dirty, c)
		}
	}
	slices.SortFunc(dirty, func(a, b *checkIn) int {
		if c := bytes.Compare(a.seat.OrderID[:], b.seat.OrderID[:]); c != 0 {
			return c
		}
		return a.seat.Position - b.seat.Position
	})
	for _, c := range dirty {
		if err := exec(sqlCheckIn, c.seat.OrderID[:], c.seat.Position, c.conferenceID[:], c.seatType[:], c.kioskID, c.staff, ms(c.at), c.count, c.line); err != nil {
			return err
		}
	}
	return exec(sqlCheckpoint, checkpointCheckIns, 1)
}

// backfillCheckIns replays the check-ins the log holds up to the models'
// checkpoint into memory, for the next flush to write: once, on a hub
// whose models were projected before the check-ins table existed.
func (m *Models) backfillCheckIns(ctx context.Context) error {
	for after := int64(0); after < m.eventPos; after += rebuildPage {
		upTo := min(after+rebuildPage, m.eventPos)
		entries, err := m.store.ReadLogWindow(ctx, after, upTo, []string{onsite.AttendeeCheckedIn{}.EventType()})
		if err != nil {
			return fmt.Errorf("read models: replay check-ins: %w", err)
		}
		for _, e := range entries {
			ev, err := m.registry.Decode(e.Type, e.Schema, e.Data)
			if err != nil {
				m.log.Warn("read models skip an undecodable event", "position", e.Position, "type", e.Type, "err", err)
				continue
			}
			if err := m.st.apply(ev, e.Position); err != nil {
				return err
			}
		}
	}
	m.log.Info("read models: check-ins replayed into the attendance table", "up_to", m.eventPos, "seats", len(m.st.checkins))
	return nil
}

// AttendanceLine is one seat type of a conference: seats sold and how many
// of them are checked in.
type AttendanceLine struct {
	SeatTypeID uuid.UUID
	Name       string
	Sold       int
	CheckedIn  int
}

// AttendanceView is a conference's check-in at a glance.
type AttendanceView struct {
	ConferenceID uuid.UUID
	// SeatTypes in the conference's order of seat types.
	SeatTypes []AttendanceLine
	// Sold and CheckedIn are the totals of the lines.
	Sold, CheckedIn int
	// Position is the log position the counts reflect.
	Position int64
}

// Attendance counts, per seat type of a conference, the seats sold and how
// many of them are checked in (a seat once, however often it was
// scanned). Seats of orders cancelled since do not count.
func (m *Models) Attendance(ctx context.Context, conferenceID uuid.UUID) (AttendanceView, error) {
	v := AttendanceView{ConferenceID: conferenceID, Position: m.Position()}
	rows, err := m.store.DB().QueryContext(ctx, `SELECT COALESCE(s.seat_type, c.seat_type) AS seat_type, COUNT(*) FROM rm_checkins c
		JOIN rm_orders o ON o.order_id = c.order_id
		LEFT JOIN rm_order_seats s ON s.order_id = c.order_id AND s.position = c.position
		WHERE c.conference_id = $1 AND o.status = 'confirmed'
		GROUP BY COALESCE(s.seat_type, c.seat_type)`, conferenceID[:])
	if err != nil {
		return v, fmt.Errorf("attendance of %s: %w", conferenceID, err)
	}
	defer rows.Close()
	checked := map[uuid.UUID]int{}
	for rows.Next() {
		var st uuid.UUID
		var n int
		if err := rows.Scan(idCol{&st}, &n); err != nil {
			return v, fmt.Errorf("attendance of %s: %w", conferenceID, err)
		}
		checked[st] = n
	}
	if err := rows.Err(); err != nil {
		return v, fmt.Errorf("attendance of %s: %w", conferenceID, err)
	}
	types, err := m.SeatTypes(ctx, conferenceID)
	if err != nil {
		return v, err
	}
	for _, t := range types {
		l := AttendanceLine{SeatTypeID: t.SeatTypeID, Name: t.Name, Sold: t.Sold, CheckedIn: checked[t.SeatTypeID]}
		v.SeatTypes = append(v.SeatTypes, l)
		v.Sold += l.Sold
		v.CheckedIn += l.CheckedIn
	}
	return v, nil
}

// CheckInView is one checked-in attendee.
type CheckInView struct {
	OrderID  uuid.UUID
	Position int
	// Name and Email are the seat's attendee now ("" for a seat nobody
	// was named on: the buyer of a walk-up order is its order's Name).
	Name, Email string
	// Registrant is the order's registrant (the buyer of a walk-up).
	Registrant   string
	SeatTypeID   uuid.UUID
	SeatTypeName string
	AccessCode   string
	// KioskID, Staff and At are the seat's first check-in; CheckIns counts
	// every check-in recorded for the seat.
	KioskID  string
	Staff    string
	At       time.Time
	CheckIns int
}

// CheckIns lists the attendees of a conference checked in, the latest
// first, limit at a time (at most MaxLimit) from offset. Seats of orders
// cancelled since are left out, as Attendance leaves them out.
func (m *Models) CheckIns(ctx context.Context, conferenceID uuid.UUID, limit, offset int) ([]CheckInView, error) {
	limit, offset = page(limit, offset)
	rows, err := m.store.DB().QueryContext(ctx, `SELECT c.order_id, c.position, COALESCE(s.name, ''), COALESCE(s.email, ''),
		o.name, COALESCE(s.seat_type, c.seat_type), o.access_code, c.kiosk_id, c.staff, c.checked_in_at, c.check_ins
		FROM rm_checkins c
		JOIN rm_orders o ON o.order_id = c.order_id
		LEFT JOIN rm_order_seats s ON s.order_id = c.order_id AND s.position = c.position
		WHERE c.conference_id = $1 AND o.status = 'confirmed'
		ORDER BY c.checked_in_at DESC, c.order_id, c.position LIMIT $2 OFFSET $3`, conferenceID[:], limit, offset)
	if err != nil {
		return nil, fmt.Errorf("check-ins of %s: %w", conferenceID, err)
	}
	defer rows.Close()
	var out []CheckInView
	for rows.Next() {
		var v CheckInView
		if err := rows.Scan(idCol{&v.OrderID}, &v.Position, &v.Name, &v.Email, &v.Registrant, idCol{&v.SeatTypeID}, &v.AccessCode,
			&v.KioskID, &v.Staff, msCol{&v.At}, &v.CheckIns); err != nil {
			return nil, fmt.Errorf("check-ins of %s: %w", conferenceID, err)
		}
		v.SeatTypeName = m.seatTypeName(conferenceID, v.SeatTypeID)
		out = append(out, v)
	}
	return out, rows.Err()
}
