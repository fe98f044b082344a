package readmodel

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/shared/onsite"
	"conference/shared/registrations"
)

// Attendee is one person of a confirmed order: the positions of its seat
// assignments held by one email, or, for positions nobody was assigned to
// yet, the order's registrant. Seat is the lowest of those positions and
// identifies the attendee for check-in, badges and tokens.
type Attendee struct {
	Seat         onsite.Seat
	ConferenceID uuid.UUID
	Name, Email  string
	Company      string
	Role         string
	SeatTypes    []uuid.UUID
	AccessCode   string
	KioskID      string // walk-up orders: the kiosk that sold them

	words      []string
	gone       bool // removed; still referenced by the name index until compaction
	assignedAt time.Time
	attendance *onsite.Attendance
}

// AttendeeView is a copy of an attendee with what kiosk screens show.
type AttendeeView struct {
	Seat           onsite.Seat
	ConferenceID   uuid.UUID
	ConferenceName string
	Name, Email    string
	Company, Role  string
	SeatTypes      []SeatTypeRef
	AccessCode     string
	WalkUpKioskID  string
	CheckIns       []onsite.CheckInRecord
	// Prints counts the badges issued (printed, opened as a PDF or refused
	// by the printer): after the first, another needs a reason. Printed
	// counts those a printer accepted. PrintLog lists them all.
	Prints   int
	Printed  int
	PrintLog []PrintRecord
	// PendingHub lists the seats of this kiosk's walk-up sale that were
	// sold past its allocation, until the hub's merge of the sale arrives.
	PendingHub registrations.Seats
	// AssignedAt is when the current attendee took the seat, zero when it
	// came with the order; badges issued earlier are revoked.
	AssignedAt time.Time
}

// CheckedIn reports whether any check-in of the attendee is known.
func (v AttendeeView) CheckedIn() bool { return len(v.CheckIns) > 0 }

// FailedPrints counts the prints the printer refused.
func (v AttendeeView) FailedPrints() int {
	return v.countPrints(func(p PrintRecord) bool { return p.Failed })
}

// PDFs counts the badges opened as a PDF in the browser.
func (v AttendeeView) PDFs() int {
	return v.countPrints(func(p PrintRecord) bool { return p.Output == onsite.OutputPDF })
}

func (v AttendeeView) countPrints(match func(PrintRecord) bool) int {
	n := 0
	for _, p := range v.PrintLog {
		if match(p) {
			n++
		}
	}
	return n
}

// SeatTypeRef names a seat type held.
type SeatTypeRef struct {
	ID   uuid.UUID
	Name string
}

// refreshOrder re-derives the attendees of one order after any change to
// the order or its assignments.
func (m *Model) refreshOrder(id uuid.UUID, ov *orderView) {
	o := ov.order
	var next []*Attendee
	if o.Status() == registrations.OrderStatusConfirmed {
		next = m.deriveAttendees(ov)
	}
	keep := map[onsite.Seat]bool{}
	for _, a := range next {
		keep[a.Seat] = true
		m.upsert(a)
	}
	for _, s := range ov.seats {
		if !keep[s] {
			m.remove(s)
		}
	}
	if len(ov.seats) > 0 && len(next) == 0 {
		ov.cancelled = true
	}
	ov.seats = ov.seats[:0]
	for _, a := range next {
		ov.seats = append(ov.seats, a.Seat)
	}
}

func (m *Model) deriveAttendees(ov *orderView) []*Attendee {
	o := ov.order
	regName, regEmail := o.Registrant()
	var positions []registrations.SeatPosition
	if ov.assign != nil {
		positions = ov.assign.Positions()
	}
	var out []*Attendee
	for _, h := range registrations.SeatHolders(positions, o.Reserved()) {
		a := &Attendee{Seat: onsite.Seat{OrderID: o.OrderID(), Position: h.Seat}, ConferenceID: o.ConferenceID(),
			Name: regName, Email: regEmail, AccessCode: o.AccessCode(), KioskID: o.KioskID(),
			SeatTypes: h.SeatTypes, assignedAt: ov.assignedAt[h.Seat]}
		if !h.Attendee.IsZero() {
			a.Name, a.Email, a.Company, a.Role = h.Attendee.Name, h.Attendee.Email, h.Attendee.Company, h.Attendee.Role
		}
		out = append(out, a)
	}
	return out
}

func (m *Model) upsert(a *Attendee) {
	if old, ok := m.attendees[a.Seat]; ok {
		if old.Name == a.Name && old.Email == a.Email && old.AccessCode == a.AccessCode {
			old.Company, old.Role, old.SeatTypes, old.assignedAt = a.Company, a.Role, a.SeatTypes, a.assignedAt
			return
		}
		m.remove(a.Seat)
	}
	a.words = Words(Fold(a.Name))
	a.attendance = m.attendance[a.Seat]
	m.attendees[a.Seat] = a
	m.byToken[a.Seat.TokenID()] = a.Seat
	m.names.add(a)
	if a.Email != "" {
		k := strings.ToLower(a.Email)
		m.byEmail[k] = append(m.byEmail[k], a)
	}
	if a.AccessCode != "" {
		k := normalizeCode(a.AccessCode)
		m.byCode[k] = append(m.byCode[k], a)
	}
}

func (m *Model) remove(s onsite.Seat) {
	a, ok := m.attendees[s]
	if !ok {
		return
	}
	delete(m.attendees, s)
	m.names.remove(a)
	m.byEmail[strings.ToLower(a.Email)] = without(m.byEmail[strings.ToLower(a.Email)], a)
	m.byCode[normalizeCode(a.AccessCode)] = without(m.byCode[normalizeCode(a.AccessCode)], a)
	// byToken keeps the seat: a badge of a seat that is gone is revoked,
	// not unknown.
}

func without(list []*Attendee, a *Attendee) []*Attendee {
	return slices.DeleteFunc(list, func(x *Attendee) bool { return x == a })
}

// normalizeCode lets staff type an access code in any case, with or
// without its dash.
func normalizeCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, strings.TrimSpace(s))
}

func (m *Model) view(a *Attendee) AttendeeView {
	v := AttendeeView{Seat: a.Seat, ConferenceID: a.ConferenceID, Name: a.Name, Email: a.Email,
		Company: a.Company, Role: a.Role, AccessCode: a.AccessCode, WalkUpKioskID: a.KioskID, AssignedAt: a.assignedAt}
	conf := m.conferences[a.ConferenceID]
	if conf != nil {
		v.ConferenceName = conf.Name
	}
	for _, st := range a.SeatTypes {
		ref := SeatTypeRef{ID: st}
		if conf != nil {
			ref.Name = conf.SeatTypes[st].Name
		}
		v.SeatTypes = append(v.SeatTypes, ref)
	}
	if a.attendance != nil {
		v.CheckIns, v.Prints, v.Printed = a.attendance.CheckIns(), a.attendance.Prints(), a.attendance.Printed()
	}
	v.PrintLog = m.printLogOf(a.Seat)
	if s, ok := m.ownSales[a.Seat.OrderID]; ok && len(s.past) > 0 {
		v.PendingHub = append(registrations.Seats(nil), s.past...)
	}
	return v
}

// DefaultLimit bounds Find's results: a door screen shows a handful.
const DefaultLimit = 20

// Find looks attendees of conference up by access code, email, or the
// prefixes of words of their name (accents and case ignored), in that
// order of precedence. uuid.Nil searches every conference.
func (m *Model) Find(conference uuid.UUID, query string, limit int) []AttendeeView {
	query = strings.TrimSpace(query)
	if query == "" {
		return nil
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	keep := func(a *Attendee) bool { return conference == uuid.Nil || a.ConferenceID == conference }
	var out []AttendeeView
	seen := map[onsite.Seat]bool{}
	add := func(list []*Attendee) {
		for _, a := range list {
			if len(out) < limit && !seen[a.Seat] && keep(a) {
				seen[a.Seat] = true
				out = append(out, m.view(a))
			}
		}
	}
	add(m.byCode[normalizeCode(query)])
	if strings.Contains(query, "@") {
		add(m.byEmail[strings.ToLower(query)])
	}
	if len(out) < limit {
		add(m.names.search(Words(Fold(query)), limit, func(a *Attendee) bool { return keep(a) && !seen[a.Seat] }))
	}
	return out
}

// Attendee returns the attendee identified by seat.
func (m *Model) Attendee(s onsite.Seat) (AttendeeView, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	a, ok := m.attendees[s]
	if !ok {
		return AttendeeView{}, false
	}
	return m.view(a), true
}

// TokenSeat resolves the seat id of a badge token. known is true for seats
// that existed at some point, so a gone seat reads as revoked, not unknown;
// current says whether it still identifies an attendee.
func (m *Model) TokenSeat(tokenID string) (v AttendeeView, known, current bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s, known := m.byToken[tokenID]
	if !known {
		return AttendeeView{}, false, false
	}
	a, current := m.attendees[s]
	if !current {
		return AttendeeView{Seat: s}, true, false
	}
	return m.view(a), true, true
}
