package readmodels

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/shared/sqldb"
)

// Attendance at the door: the kiosks' onsite.AttendeeCheckedIn events,
// which sync brings to the hub, one row per seat checked in. The row keeps
// the seat's first check-in (earliest by its time, then by log position,
// so a rebuild agrees with the live projection, whatever order offline
// kiosks uploaded in) and how many were recorded: a seat let in on two
// offline kiosks has two (sync's merge also raises
// DuplicateCheckInDetected for it). Check-ins are cached like orders: a
// later one loads its seat's row back.

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

const checkInColumns = `order_id, position, conference_id, seat_type, kiosk_id, staff, checked_in_at, check_ins, line`

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
		s.checkIns[seat] = c
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
	return cached(s, s.checkIns, seat, (*loader).checkIn)
}

func (l *loader) checkIn(seat onsite.Seat) (*checkIn, error) {
	c := &checkIn{}
	err := l.db.QueryRowContext(l.ctx, `SELECT `+checkInColumns+` FROM rm_checkins
		WHERE order_id = $1 AND position = $2`, seat.OrderID[:], seat.Position).
		Scan(idCol{&c.seat.OrderID}, &c.seat.Position, idCol{&c.conferenceID}, idCol{&c.seatType}, &c.kioskID, &c.staff, msCol{&c.at}, &c.count, &c.line)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load check-in of %s: %w", seat, err)
	}
	return c, nil
}

// flushCheckIns writes the dirty check-ins in key order.
func (s *state) flushCheckIns(exec func(string, ...any) error) error {
	var dirty []*checkIn
	for _, c := range s.checkIns {
		if c.dirty {
			dirty = append(dirty, c)
		}
	}
	slices.SortFunc(dirty, func(a, b *checkIn) int {
		return cmp.Or(bytes.Compare(a.seat.OrderID[:], b.seat.OrderID[:]), a.seat.Position-b.seat.Position)
	})
	for _, c := range dirty {
		if err := exec(sqlCheckIn, c.seat.OrderID[:], c.seat.Position, c.conferenceID[:], c.seatType[:], c.kioskID, c.staff, ms(c.at), c.count, c.line); err != nil {
			return err
		}
	}
	return exec(sqlCheckpoint, checkpointCheckIns, 1)
}

// backfillCheckIns replays the check-ins the log holds up to the models'
// checkpoint into memory, a page at a time, for the step's flush to write
// with the marker: once, on a hub whose models were projected before the
// check-ins table existed.
func (m *Models) backfillCheckIns(ctx context.Context) error {
	for after := int64(0); after < m.eventPos; after += rebuildPage {
		upTo := min(after+rebuildPage, m.eventPos)
		entries, err := m.store.ReadLogWindow(ctx, after, upTo, []string{onsite.AttendeeCheckedIn{}.EventType()})
		if err != nil {
			return fmt.Errorf("read models: replay check-ins: %w", err)
		}
		for _, e := range entries {
			if err := m.applyEvent(e); err != nil {
				return err
			}
		}
	}
	m.log.Info("read models: check-ins replayed into the attendance table", "up_to", m.eventPos, "seats", len(m.st.checkIns))
	return nil
}

// CheckInView is a seat checked in at the door.
type CheckInView struct {
	OrderID    uuid.UUID
	AccessCode string // "" when the order is not projected (yet)
	Position   int
	// SeatType is the seat's (uuid.Nil when neither the seat nor its order
	// is projected).
	SeatType     uuid.UUID
	SeatTypeName string
	// Name and Email are the seat's attendee (a walk-up seat nobody was
	// named for: the buyer); "" when not projected or nobody was named.
	Name, Email, Company string
	// Registrant is the order's registrant (the buyer of a walk-up).
	Registrant string
	// KioskID, Staff and At are the first check-in's; CheckIns counts
	// them all (more than one: a re-entry or a duplicate).
	KioskID  string
	Staff    string
	At       time.Time
	CheckIns int
}

// CheckIns lists a conference's checked-in seats, the latest first,
// matching query (name, email or access code, any part, case insensitive
// for ASCII; "" for all). limit <= 0 is DefaultLimit, at most MaxLimit. A
// seat whose order was cancelled after it came in stays listed (it did
// come in) though Attendance no longer counts it.
func (m *Models) CheckIns(ctx context.Context, conferenceID uuid.UUID, query string, limit, offset int) ([]CheckInView, error) {
	limit, offset = page(limit, offset)
	var args sqldb.Args
	q := `SELECT c.order_id, COALESCE(o.access_code, ''), c.position, COALESCE(s.seat_type, c.seat_type),
		COALESCE(CASE WHEN s.name = '' AND o.kiosk_id <> '' THEN o.name ELSE s.name END, ''),
		COALESCE(CASE WHEN s.name = '' AND o.kiosk_id <> '' THEN o.email ELSE s.email END, ''),
		COALESCE(s.company, ''), COALESCE(o.name, ''), c.kiosk_id, c.staff, c.checked_in_at, c.check_ins
		FROM rm_checkins c
		LEFT JOIN rm_order_seats s ON s.order_id = c.order_id AND s.position = c.position
		LEFT JOIN rm_orders o ON o.order_id = c.order_id
		WHERE c.conference_id = ` + args.Add(conferenceID[:])
	if strings.TrimSpace(query) != "" {
		p := args.Add(likePattern(query))
		q += ` AND (` + ilike("s.name", p) + ` OR ` + ilike("s.email", p) + ` OR ` + ilike("o.name", p) + ` OR ` + ilike("o.access_code", p) + `)`
	}
	q += ` ORDER BY c.checked_in_at DESC, c.order_id, c.position LIMIT ` + args.Add(limit) + ` OFFSET ` + args.Add(offset)
	rows, err := m.store.DB().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("check-ins of %s: %w", conferenceID, err)
	}
	defer rows.Close()
	var out []CheckInView
	for rows.Next() {
		var v CheckInView
		var seatType []byte
		if err := rows.Scan(idCol{&v.OrderID}, &v.AccessCode, &v.Position, &seatType, &v.Name, &v.Email, &v.Company, &v.Registrant,
			&v.KioskID, &v.Staff, msCol{&v.At}, &v.CheckIns); err != nil {
			return nil, fmt.Errorf("check-ins of %s: %w", conferenceID, err)
		}
		if len(seatType) == 16 && uuid.UUID(seatType) != uuid.Nil {
			v.SeatType = uuid.UUID(seatType)
			v.SeatTypeName = m.seatTypeName(conferenceID, v.SeatType)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// AttendanceLine is one seat type of a conference: seats sold and how many
// of them are checked in.
type AttendanceLine struct {
	SeatType  uuid.UUID
	Name      string
	Sold      int
	CheckedIn int
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
		l := AttendanceLine{SeatType: t.SeatTypeID, Name: t.Name, Sold: t.Sold, CheckedIn: checked[t.SeatTypeID]}
		v.SeatTypes = append(v.SeatTypes, l)
		v.Sold += l.Sold
		v.CheckedIn += l.CheckedIn
	}
	return v, nil
}
