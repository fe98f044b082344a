package readmodels

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/shared/sqldb"
)

// The organizer's view of what sync's merge surfaces: seat-quota conflicts
// (raised by offline sales, resolved by the organizer) and duplicate
// check-in warnings. Conflicts are cached like orders (a resolution loads
// its conflict back); warnings are only ever inserted.

type conflictKey struct {
	conferenceID uuid.UUID
	number       int
}

type seatConflict struct {
	conflictKey
	seatType      uuid.UUID
	over          int
	orderIDs      []uuid.UUID
	kioskID       string
	line          int64
	resolution    registrations.ResolutionKind
	movedTo       uuid.UUID
	quotaRaisedBy int
	changes       []registrations.OrderSeatChange
	note          string
	resolvedLine  int64
	dirty         bool
}

type checkInWarning struct {
	checkIn, conferenceID uuid.UUID
	attendee              string
	seat                  onsite.Seat
	kioskID               string
	earlier               uuid.UUID
	earlierKiosk          string
	line                  int64
	dirty                 bool
}

var (
	sqlSeatConflict = sqldb.Upsert("rm_seat_conflicts", []string{"conference_id", "conflict"}, "conference_id", "conflict", "seat_type",
		"over_by", "order_ids", "kiosk_id", "line", "resolution", "moved_to", "quota_raised_by", "changes", "note", "resolved_line")
	sqlCheckInWarning = sqldb.Upsert("rm_checkin_warnings", []string{"check_in_event"}, "check_in_event", "conference_id", "attendee",
		"order_id", "position", "kiosk_id", "earlier_event", "earlier_kiosk", "line")
)

const conflictColumns = `conference_id, conflict, seat_type, over_by, order_ids, kiosk_id, line, resolution, moved_to,
	quota_raised_by, changes, note, resolved_line`

// applyOnSite applies the merge's compensating events.
func (s *state) applyOnSite(ev eventsourcing.Event, pos int64) error {
	switch e := ev.(type) {
	case registrations.SeatQuotaConflictRaised:
		k := conflictKey{e.ConferenceID, e.Conflict}
		s.conflicts[k] = &seatConflict{conflictKey: k, seatType: e.SeatType, over: e.Over, orderIDs: slices.Clone(e.OrderIDs),
			kioskID: e.KioskID, line: pos, dirty: true}
	case registrations.DuplicateCheckInDetected:
		w := &checkInWarning{checkIn: e.CheckIn.EventID, conferenceID: e.ConferenceID, attendee: e.Attendee,
			kioskID: e.CheckIn.KioskID, earlier: e.Earlier.EventID, earlierKiosk: e.Earlier.KioskID, line: pos, dirty: true}
		// An attendee id that does not parse keeps the zero seat: the
		// warning still shows, with the id as recorded.
		w.seat, _ = onsite.ParseSeat(e.Attendee)
		s.warnings[w.checkIn] = w
	case onsite.AttendeeCheckedIn:
		return s.applyCheckIn(e, pos)
	}
	return nil
}

// resolveConflict records a resolution on its conflict; one whose raise
// this log does not hold is skipped (the counts were applied already).
func (s *state) resolveConflict(e registrations.SeatQuotaConflictResolved, pos int64) error {
	c, err := s.conflict(conflictKey{e.ConferenceID, e.Conflict})
	if err != nil || c == nil {
		return err
	}
	c.resolution, c.movedTo, c.quotaRaisedBy, c.note = e.Kind, e.MovedTo, e.QuotaRaisedBy, e.Note
	c.changes, c.resolvedLine, c.dirty = slices.Clone(e.Orders), pos, true
	return nil
}

func (s *state) conflict(k conflictKey) (*seatConflict, error) {
	if c, ok := s.conflicts[k]; ok {
		return c, nil
	}
	if s.load == nil {
		return nil, nil
	}
	c, err := scanConflict(s.load.db.QueryRowContext(s.load.ctx, `SELECT `+conflictColumns+` FROM rm_seat_conflicts
		WHERE conference_id = $1 AND conflict = $2`, k.conferenceID[:], k.number))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load conflict %d of %s: %w", k.number, k.conferenceID, err)
	}
	s.conflicts[k] = c
	return c, nil
}

func scanConflict(r scanner) (*seatConflict, error) {
	c := &seatConflict{}
	var resolution string
	err := r.Scan(idCol{&c.conferenceID}, &c.number, idCol{&c.seatType}, &c.over, jsonCol{&c.orderIDs}, &c.kioskID, &c.line,
		&resolution, idCol{&c.movedTo}, &c.quotaRaisedBy, jsonCol{&c.changes}, &c.note, &c.resolvedLine)
	c.resolution = registrations.ResolutionKind(resolution)
	return c, err
}

// flushOnSite writes the dirty conflicts and warnings, in key order.
func (s *state) flushOnSite(exec func(string, ...any) error) error {
	keys := make([]conflictKey, 0, len(s.conflicts))
	for k, c := range s.conflicts {
		if c.dirty {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b conflictKey) int {
		if c := bytes.Compare(a.conferenceID[:], b.conferenceID[:]); c != 0 {
			return c
		}
		return a.number - b.number
	})
	for _, k := range keys {
		c := s.conflicts[k]
		orders, changes := c.orderIDs, c.changes
		if orders == nil {
			orders = []uuid.UUID{}
		}
		if changes == nil {
			changes = []registrations.OrderSeatChange{}
		}
		if err := exec(sqlSeatConflict, c.conferenceID[:], c.number, c.seatType[:], c.over, jsonText(orders), c.kioskID, c.line,
			string(c.resolution), c.movedTo[:], c.quotaRaisedBy, jsonText(changes), c.note, c.resolvedLine); err != nil {
			return err
		}
	}
	for _, w := range sorted(s.warnings, func(w *checkInWarning) bool { return w.dirty }) {
		if err := exec(sqlCheckInWarning, w.checkIn[:], w.conferenceID[:], w.attendee, w.seat.OrderID[:], w.seat.Position,
			w.kioskID, w.earlier[:], w.earlierKiosk, w.line); err != nil {
			return err
		}
	}
	return nil
}

// ConflictOrder is an order a conflict names, as the organizer finds it.
type ConflictOrder struct {
	OrderID    uuid.UUID
	AccessCode string // "" when the order is not projected (yet)
	Name       string
	// Seats is how many of the conflict's seat type the order holds.
	Seats int
}

// SeatConflictView is one seat-quota conflict of a conference.
type SeatConflictView struct {
	ConferenceID uuid.UUID
	Number       int
	SeatType     uuid.UUID
	SeatTypeName string
	Over         int
	Orders       []ConflictOrder
	KioskID      string
	// Resolution is "" while the conflict is open.
	Resolution    registrations.ResolutionKind
	MovedTo       uuid.UUID
	MovedToName   string
	QuotaRaisedBy int
	// TakenBack lists the seats a refund, waitlist or move took from
	// each order.
	TakenBack []registrations.OrderSeatChange
	Note      string
}

// Open reports a conflict that waits for the organizer.
func (v SeatConflictView) Open() bool { return v.Resolution == "" }

// SeatConflicts lists a conference's seat-quota conflicts: the open ones
// first, then by number.
func (m *Models) SeatConflicts(ctx context.Context, conferenceID uuid.UUID) ([]SeatConflictView, error) {
	rows, err := m.store.DB().QueryContext(ctx, `SELECT `+conflictColumns+` FROM rm_seat_conflicts WHERE conference_id = $1
		ORDER BY resolution <> '', conflict`, conferenceID[:])
	if err != nil {
		return nil, fmt.Errorf("conflicts of %s: %w", conferenceID, err)
	}
	var list []*seatConflict
	for rows.Next() {
		c, err := scanConflict(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("conflicts of %s: %w", conferenceID, err)
		}
		list = append(list, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conflicts of %s: %w", conferenceID, err)
	}
	out := make([]SeatConflictView, 0, len(list))
	for _, c := range list {
		v := SeatConflictView{
			ConferenceID: c.conferenceID, Number: c.number, SeatType: c.seatType, SeatTypeName: m.seatTypeName(c.conferenceID, c.seatType),
			Over: c.over, KioskID: c.kioskID, Resolution: c.resolution, MovedTo: c.movedTo, QuotaRaisedBy: c.quotaRaisedBy,
			TakenBack: c.changes, Note: c.note,
		}
		if c.movedTo != uuid.Nil {
			v.MovedToName = m.seatTypeName(c.conferenceID, c.movedTo)
		}
		for _, id := range c.orderIDs {
			co := ConflictOrder{OrderID: id}
			if o, err := m.Order(ctx, id); err == nil {
				co.AccessCode, co.Name, co.Seats = o.AccessCode, o.Name, o.Reserved.Get(c.seatType)
			} else if !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			v.Orders = append(v.Orders, co)
		}
		out = append(out, v)
	}
	return out, nil
}

// DuplicateCheckInView is a warning that an attendee was checked in on two
// nodes; both check-ins stand.
type DuplicateCheckInView struct {
	ConferenceID uuid.UUID
	// Attendee is the attendee id as recorded ("<order id>/<position>");
	// OrderID and Position are it parsed.
	Attendee   string
	OrderID    uuid.UUID
	Position   int
	Name       string // "" when the seat is not projected or not named
	AccessCode string
	// CheckIn is the later check-in, Earlier the one it was found against.
	CheckIn, Earlier registrations.CheckInRef
}

// DuplicateCheckIns lists a conference's duplicate check-in warnings, the
// latest first.
func (m *Models) DuplicateCheckIns(ctx context.Context, conferenceID uuid.UUID) ([]DuplicateCheckInView, error) {
	rows, err := m.store.DB().QueryContext(ctx, `SELECT w.check_in_event, w.attendee, w.order_id, w.position, w.kiosk_id,
		w.earlier_event, w.earlier_kiosk, COALESCE(s.name, ''), COALESCE(o.access_code, '')
		FROM rm_checkin_warnings w
		LEFT JOIN rm_order_seats s ON s.order_id = w.order_id AND s.position = w.position
		LEFT JOIN rm_orders o ON o.order_id = w.order_id
		WHERE w.conference_id = $1 ORDER BY w.line DESC, w.check_in_event`, conferenceID[:])
	if err != nil {
		return nil, fmt.Errorf("duplicate check-ins of %s: %w", conferenceID, err)
	}
	defer rows.Close()
	var out []DuplicateCheckInView
	for rows.Next() {
		v := DuplicateCheckInView{ConferenceID: conferenceID}
		if err := rows.Scan(idCol{&v.CheckIn.EventID}, &v.Attendee, idCol{&v.OrderID}, &v.Position, &v.CheckIn.KioskID,
			idCol{&v.Earlier.EventID}, &v.Earlier.KioskID, &v.Name, &v.AccessCode); err != nil {
			return nil, fmt.Errorf("duplicate check-ins of %s: %w", conferenceID, err)
		}
		v.Name = strings.TrimSpace(v.Name)
		out = append(out, v)
	}
	return out, rows.Err()
}

// OpenConflicts counts a conference's open seat-quota conflicts and its
// duplicate check-in warnings, for the navigation's badge.
func (m *Models) OpenConflicts(ctx context.Context, conferenceID uuid.UUID) (conflicts, duplicates int, err error) {
	err = m.store.DB().QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM rm_seat_conflicts WHERE conference_id = $1 AND resolution = ''),
		(SELECT COUNT(*) FROM rm_checkin_warnings WHERE conference_id = $2)`, conferenceID[:], conferenceID[:]).Scan(&conflicts, &duplicates)
	if err != nil {
		return 0, 0, fmt.Errorf("count conflicts of %s: %w", conferenceID, err)
	}
	return conflicts, duplicates, nil
}
