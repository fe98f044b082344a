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
	"conference/shared/sqldb"
)

// Attendance at the door: the kiosks' onsite.AttendeeCheckedIn events,
// which sync brings to the hub, one row per seat checked in. The row keeps
// the first check-in in log order (where, when, by whom) and how many were
// recorded: a seat let in on two offline kiosks has two (sync's merge also
// raises DuplicateCheckInDetected for it). Check-ins are cached like
// orders: a second one loads the row back.

type checkIn struct {
	seat         onsite.Seat
	conferenceID uuid.UUID
	kioskID      string
	staff        string
	at           time.Time
	count        int
	line         int64
	dirty        bool
}

var sqlCheckIn = sqldb.Upsert("rm_checkins", []string{"order_id", "position"}, "order_id", "position", "conference_id",
	"kiosk_id", "staff", "checked_in_at", "check_ins", "line")

const checkInColumns = `order_id, position, conference_id, kiosk_id, staff, checked_in_at, check_ins, line`

// checkInsProjected names the marker row (in checkpoints) saying the
// check-ins table holds every check-in up to the events checkpoint. A hub
// whose read models followed the log before the table existed lacks it,
// and fills the table from the log once (backfillCheckIns).
const checkInsProjected = "readmodels.checkins"

func (s *state) applyCheckIn(e onsite.AttendeeCheckedIn, pos int64) error {
	seat := onsite.Seat{OrderID: e.OrderID, Position: e.Position}
	c, err := s.checkIn(seat)
	if err != nil {
		return err
	}
	if c == nil {
		s.checkIns[seat] = &checkIn{seat: seat, conferenceID: e.ConferenceID, kioskID: e.KioskID, staff: e.Staff, at: e.At,
			count: 1, line: pos, dirty: true}
		return nil
	}
	c.count++
	c.dirty = true
	return nil
}

func (s *state) checkIn(seat onsite.Seat) (*checkIn, error) {
	return cached(s, s.checkIns, seat, (*loader).checkIn)
}

func (l *loader) checkIn(seat onsite.Seat) (*checkIn, error) {
	c, err := scanCheckIn(l.db.QueryRowContext(l.ctx, `SELECT `+checkInColumns+` FROM rm_checkins
		WHERE order_id = $1 AND position = $2`, seat.OrderID[:], seat.Position))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load check-in of %s: %w", seat, err)
	}
	return c, nil
}

func scanCheckIn(r scanner) (*checkIn, error) {
	c := &checkIn{}
	err := r.Scan(idCol{&c.seat.OrderID}, &c.seat.Position, idCol{&c.conferenceID}, &c.kioskID, &c.staff, msCol{&c.at}, &c.count, &c.line)
	return c, err
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
		if err := exec(sqlCheckIn, c.seat.OrderID[:], c.seat.Position, c.conferenceID[:], c.kioskID, c.staff, ms(c.at), c.count, c.line); err != nil {
			return err
		}
	}
	return exec(sqlCheckpoint, checkInsProjected, 1)
}

// backfillCheckIns projects the check-ins the log holds up to the events
// checkpoint, for read models that followed the log before the check-ins
// table existed; the rows and the marker commit together. It runs where
// the log is applied (CatchUp, Run), once.
func (m *Models) backfillCheckIns(ctx context.Context) error {
	entries, err := m.store.ReadLogWindow(ctx, 0, m.eventPos, []string{onsite.AttendeeCheckedIn{}.EventType()})
	if err != nil {
		return fmt.Errorf("read models: check-ins from the log: %w", err)
	}
	for _, e := range entries {
		if err := m.applyEvent(e); err != nil {
			return m.abandon(ctx, err)
		}
	}
	wctx := context.WithoutCancel(ctx)
	if err := m.store.Write(ctx, func(tx sqldb.Tx) error { return m.st.flush(wctx, tx, m.eventPos, m.messageSeq) }); err != nil {
		return m.abandon(ctx, fmt.Errorf("read models: write check-ins: %w", err))
	}
	m.st.committed()
	m.st.dropCache()
	m.checkInsDue = false
	m.log.Info("read models: check-ins projected from the log", "check_ins", len(entries), "up_to", m.eventPos)
	return nil
}

// CheckInView is a seat checked in at the door.
type CheckInView struct {
	OrderID      uuid.UUID
	AccessCode   string // "" when the order is not projected (yet)
	Position     int
	SeatType     uuid.UUID // uuid.Nil when the seat is not projected
	SeatTypeName string
	// Name and Email are the seat's attendee (a walk-up seat nobody was
	// named for: the buyer); "" when not projected.
	Name, Email, Company string
	// KioskID, Staff and At are the first check-in's; CheckIns counts
	// them all (more than one: a re-entry or a duplicate).
	KioskID  string
	Staff    string
	At       time.Time
	CheckIns int
}

// CheckIns lists a conference's checked-in seats, the latest first,
// matching query (name, email or access code, any part, case insensitive
// for ASCII; "" for all). limit <= 0 is DefaultLimit, at most MaxLimit.
func (m *Models) CheckIns(ctx context.Context, conferenceID uuid.UUID, query string, limit, offset int) ([]CheckInView, error) {
	limit, offset = page(limit, offset)
	var args sqldb.Args
	q := `SELECT c.order_id, COALESCE(o.access_code, ''), c.position, s.seat_type,
		COALESCE(CASE WHEN s.name = '' AND o.kiosk_id <> '' THEN o.name ELSE s.name END, ''),
		COALESCE(CASE WHEN s.name = '' AND o.kiosk_id <> '' THEN o.email ELSE s.email END, ''),
		COALESCE(s.company, ''), c.kiosk_id, c.staff, c.checked_in_at, c.check_ins
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
		if err := rows.Scan(idCol{&v.OrderID}, &v.AccessCode, &v.Position, &seatType, &v.Name, &v.Email, &v.Company,
			&v.KioskID, &v.Staff, msCol{&v.At}, &v.CheckIns); err != nil {
			return nil, fmt.Errorf("check-ins of %s: %w", conferenceID, err)
		}
		if len(seatType) == 16 {
			v.SeatType = uuid.UUID(seatType)
			v.SeatTypeName = m.seatTypeName(conferenceID, v.SeatType)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// SeatTypeAttendance is how many of a seat type's sold seats were checked
// in.
type SeatTypeAttendance struct {
	SeatType  uuid.UUID
	Name      string
	Sold      int
	CheckedIn int
}

// Attendance counts, per seat type of the conference (in the order of
// SeatTypes), the seats sold and the sold seats checked in. A check-in of
// a seat no longer sold (its order cancelled since) is not counted.
func (m *Models) Attendance(ctx context.Context, conferenceID uuid.UUID) ([]SeatTypeAttendance, error) {
	rows, err := m.store.DB().QueryContext(ctx, `SELECT s.seat_type, COUNT(*) FROM rm_checkins c
		JOIN rm_order_seats s ON s.order_id = c.order_id AND s.position = c.position
		JOIN rm_orders o ON o.order_id = c.order_id
		WHERE c.conference_id = $1 AND o.status = 'confirmed' GROUP BY s.seat_type`, conferenceID[:])
	if err != nil {
		return nil, fmt.Errorf("attendance of %s: %w", conferenceID, err)
	}
	defer rows.Close()
	in := map[uuid.UUID]int{}
	for rows.Next() {
		var st uuid.UUID
		var n int
		if err := rows.Scan(idCol{&st}, &n); err != nil {
			return nil, fmt.Errorf("attendance of %s: %w", conferenceID, err)
		}
		in[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("attendance of %s: %w", conferenceID, err)
	}
	sts, err := m.SeatTypes(ctx, conferenceID)
	if err != nil {
		return nil, err
	}
	out := make([]SeatTypeAttendance, 0, len(sts))
	for _, st := range sts {
		out = append(out, SeatTypeAttendance{SeatType: st.SeatTypeID, Name: st.Name, Sold: st.Sold, CheckedIn: in[st.SeatTypeID]})
	}
	return out, nil
}
