// Package digest summarises a conference's converging state in a few
// short strings, so a hub and a kiosk can prove they agree by comparing
// them (DESIGN section 6). The same function runs on every node's store.
//
// Nodes hold the same events after exchange, but not in the same order:
// each appends its own facts first and the others' when they arrive. Every
// part of a digest is therefore computed so that the order in which
// concurrent origins interleave cannot change it:
//
//   - sums are commutative (seats sold, allocated);
//   - what only the hub decides (quotas, reservations, conflicts, duplicate
//     check-in warnings) is folded in the hub's own origin_seq order, which
//     every node preserves;
//   - what two nodes may both write (a seat's attendee, an order's status)
//     is last-writer-wins by (hlc, origin, origin_seq);
//   - sets (events, check-ins) are sorted before hashing.
//
// Each value is "<count>:<16 hex digits of SHA-256 over the sorted lines>".
package digest

import (
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/sync/scope"
)

// Parts of a digest.
const (
	Events            = "events"
	Attendees         = "attendees"
	Orders            = "orders"
	CheckIns          = "checkins"
	Seats             = "seats"
	Conflicts         = "conflicts"
	DuplicateCheckIns = "duplicate_checkins"
)

// Compute reads the store's whole log and returns the digest of one
// conference's state.
func Compute(ctx context.Context, store eventstore.Store, conference uuid.UUID) (map[string]string, error) {
	return ComputeCut(ctx, store, conference, Cut{})
}

// Cut selects the part of a log a digest covers; the zero Cut is all of it.
//
// A kiosk compares its state with the hub's at a point both can name: the
// hub log position it has applied (every event of its conferences up to it
// is in the kiosk's log, none after it) and the last of its own events it
// holds, all of which the hub stored. The hub computes its digest over
// exactly that: its events up to the position, plus the kiosk's events up
// to that sequence number wherever they landed in its log. The kiosk
// computes its own over its log up to the local position where it read
// both.
type Cut struct {
	// Position bounds the log positions read (0: no bound).
	Position int64
	// Origin, when set, makes its events count by OriginSeq alone: up to
	// OriginSeq wherever they lie in the log, and none past it.
	Origin    string
	OriginSeq int64
}

// KioskCut is the cut a kiosk names in its digest request, at the hub:
// the hub log up to position, plus the kiosk's own events up to upSeq.
func KioskCut(position int64, kioskID string, upSeq int64) Cut {
	return Cut{Position: position, Origin: kioskID, OriginSeq: upSeq}
}

func (c Cut) includes(e *eventstore.Event) bool {
	if c.Origin != "" && e.Origin == c.Origin {
		return e.OriginSeq <= c.OriginSeq
	}
	return c.Position == 0 || e.Position <= c.Position
}

// ComputeCut is Compute over the part of the log cut selects.
func ComputeCut(ctx context.Context, store eventstore.Store, conference uuid.UUID, cut Cut) (map[string]string, error) {
	if conference == uuid.Nil {
		return nil, fmt.Errorf("digest: conference id is required")
	}
	s := newState()
	cls := scope.NewClassifier()
	var after int64
	for {
		evs, err := store.ReadLog(ctx, after, 4096)
		if err != nil {
			return nil, fmt.Errorf("digest of %s: read log after %d: %w", conference, after, err)
		}
		for i := range evs {
			e := &evs[i]
			if cut.Origin == "" && cut.Position > 0 && e.Position > cut.Position {
				return s.digest(), nil
			}
			// The classifier learns every stream, included or not: a
			// stream's conference is named by its first event.
			if c, ok := cls.Conference(e); ok && c == conference && cut.includes(e) {
				if err := s.add(e); err != nil {
					return nil, fmt.Errorf("digest of %s: event %s at %d: %w", conference, e.EventID, e.Position, err)
				}
			}
		}
		if len(evs) < 4096 {
			break
		}
		after = evs[len(evs)-1].Position
	}
	return s.digest(), nil
}

// Diff lists the parts where two digests differ, for logs and errors.
func Diff(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

var registry = func() *eventsourcing.Registry {
	r := eventsourcing.NewRegistry()
	registrations.RegisterEvents(r)
	registrations.RegisterMergeEvents(r)
	onsite.RegisterEvents(r)
	return r
}()

// stamp orders writes for last-writer-wins.
type stamp struct {
	hlc    int64
	origin string
	seq    int64
}

func stampOf(e *eventstore.Event) stamp { return stamp{int64(e.HLC), e.Origin, e.OriginSeq} }

func (a stamp) after(b stamp) bool {
	if a.hlc != b.hlc {
		return a.hlc > b.hlc
	}
	if a.origin != b.origin {
		return a.origin > b.origin
	}
	return a.seq > b.seq
}

type decoded struct {
	origin string
	seq    int64
	ev     eventsourcing.Event
}

type seatKey struct {
	order    uuid.UUID
	position int
}

type seatWrite struct {
	at       stamp
	attendee registrations.Attendee
}

type orderWrite struct {
	at     stamp
	status string
}

type state struct {
	events    []string
	hubOnly   []decoded // folded in hub origin_seq order
	sold      map[uuid.UUID]int
	allocated map[string]int // kiosk|seat type
	checkIns  []string
	seats     map[seatKey]seatWrite
	buyers    []string
	orders    map[uuid.UUID]orderWrite
}

func newState() *state {
	return &state{sold: map[uuid.UUID]int{}, allocated: map[string]int{}, seats: map[seatKey]seatWrite{}, orders: map[uuid.UUID]orderWrite{}}
}

// interesting are the event types a digest reads beyond counting them.
var interesting = func() map[string]bool {
	m := map[string]bool{onsite.AttendeeCheckedIn{}.EventType(): true}
	for _, e := range registrations.Events() {
		m[e.EventType()] = true
	}
	m[registrations.DuplicateCheckInDetected{}.EventType()] = true
	return m
}()

func (s *state) add(e *eventstore.Event) error {
	s.events = append(s.events, e.EventID.String())
	if !interesting[e.Type] {
		return nil
	}
	ev, err := registry.Decode(e.Type, e.Schema, e.Data)
	if err != nil {
		return err
	}
	at := stampOf(e)
	switch ev := ev.(type) {
	case registrations.SeatTypeAdded, registrations.SeatQuotaIncreased, registrations.SeatQuotaDecreased,
		registrations.SeatsReserved, registrations.SeatQuotaConflictRaised, registrations.DuplicateCheckInDetected:
		s.hubOnly = append(s.hubOnly, decoded{e.Origin, e.OriginSeq, ev})
	case registrations.SeatReservationCommitted:
		s.hubOnly = append(s.hubOnly, decoded{e.Origin, e.OriginSeq, ev})
		s.addSold(ev.Seats, 1)
	case registrations.SeatReservationCancelled:
		s.hubOnly = append(s.hubOnly, decoded{e.Origin, e.OriginSeq, ev})
	case registrations.SoldSeatsCancelled:
		s.addSold(ev.Seats, -1)
	case registrations.OnSiteSeatsSold:
		s.addSold(ev.Seats, 1)
		for _, q := range ev.FromAllocation {
			s.allocated[ev.KioskID+"|"+q.SeatType.String()] -= q.Quantity
		}
	case registrations.SeatAllocationGranted:
		s.allocated[ev.KioskID+"|"+ev.SeatType.String()] += ev.Quantity
	case registrations.SeatAllocationReturned:
		s.allocated[ev.KioskID+"|"+ev.SeatType.String()] -= ev.Quantity
	case registrations.SeatQuotaConflictResolved:
		s.hubOnly = append(s.hubOnly, decoded{e.Origin, e.OriginSeq, ev})
		for _, o := range ev.Orders {
			s.sold[ev.SeatType] -= o.Quantity
			if ev.MovedTo != uuid.Nil {
				s.sold[ev.MovedTo] += o.Quantity
			}
		}
	case onsite.AttendeeCheckedIn:
		s.checkIns = append(s.checkIns, fmt.Sprintf("%s %s", onsite.Seat{OrderID: ev.OrderID, Position: ev.Position}, e.EventID))
	case registrations.SeatAssigned:
		s.writeSeat(seatKey{ev.OrderID, ev.Position}, at, ev.Attendee)
	case registrations.SeatAssigneeUpdated:
		s.writeSeat(seatKey{ev.OrderID, ev.Position}, at, ev.Attendee)
	case registrations.SeatUnassigned:
		s.writeSeat(seatKey{ev.OrderID, ev.Position}, at, registrations.Attendee{})
	case registrations.WalkUpOrderPlaced:
		s.buyers = append(s.buyers, fmt.Sprintf("%s %q %q %v", ev.OrderID, ev.Name, ev.Email, ev.Seats.Normalize()))
		s.writeOrder(ev.OrderID, at, "walk-up confirmed")
	case registrations.OrderPlaced:
		s.writeOrder(ev.OrderID, at, "pending")
	case registrations.OrderReservationCompleted:
		s.writeOrder(ev.OrderID, at, "reserved")
	case registrations.OrderPartiallyReserved:
		s.writeOrder(ev.OrderID, at, "reserved")
	case registrations.OrderConfirmed:
		s.writeOrder(ev.OrderID, at, "confirmed")
	case registrations.OrderExpired:
		s.writeOrder(ev.OrderID, at, "expired")
	case registrations.OrderRejected:
		s.writeOrder(ev.OrderID, at, "rejected")
	case registrations.OrderCancelled:
		s.writeOrder(ev.OrderID, at, "cancelled")
	}
	return nil
}

func (s *state) addSold(seats registrations.Seats, sign int) {
	for _, q := range seats {
		s.sold[q.SeatType] += sign * q.Quantity
	}
}

func (s *state) writeSeat(k seatKey, at stamp, a registrations.Attendee) {
	if w, ok := s.seats[k]; !ok || at.after(w.at) {
		s.seats[k] = seatWrite{at, a}
	}
}

func (s *state) writeOrder(id uuid.UUID, at stamp, status string) {
	if w, ok := s.orders[id]; !ok || at.after(w.at) {
		s.orders[id] = orderWrite{at, status}
	}
}

func (s *state) digest() map[string]string {
	slices.SortFunc(s.hubOnly, func(a, b decoded) int {
		if c := strings.Compare(a.origin, b.origin); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	quota := map[uuid.UUID]int{}
	reservations := map[uuid.UUID]registrations.Seats{}
	type conflict struct {
		raised   registrations.SeatQuotaConflictRaised
		resolved registrations.ResolutionKind
	}
	conflicts := map[int]*conflict{}
	var duplicates []string
	for _, d := range s.hubOnly {
		switch ev := d.ev.(type) {
		case registrations.SeatTypeAdded:
			quota[ev.SeatType] = ev.Quota
		case registrations.SeatQuotaIncreased:
			quota[ev.SeatType] = ev.Quota
		case registrations.SeatQuotaDecreased:
			quota[ev.SeatType] = ev.Quota
		case registrations.SeatsReserved:
			reservations[ev.ReservationID] = ev.Reserved
		case registrations.SeatReservationCommitted:
			delete(reservations, ev.ReservationID)
		case registrations.SeatReservationCancelled:
			delete(reservations, ev.ReservationID)
		case registrations.SeatQuotaConflictRaised:
			conflicts[ev.Conflict] = &conflict{raised: ev}
		case registrations.SeatQuotaConflictResolved:
			quota[ev.SeatType] += ev.QuotaRaisedBy
			if c, ok := conflicts[ev.Conflict]; ok {
				c.resolved = ev.Kind
			}
		case registrations.DuplicateCheckInDetected:
			duplicates = append(duplicates, fmt.Sprintf("%s %s %s", ev.CheckIn.EventID, ev.CheckIn.KioskID, ev.Attendee))
		}
	}
	reserved := map[uuid.UUID]int{}
	for _, r := range reservations {
		for _, q := range r {
			reserved[q.SeatType] += q.Quantity
		}
	}
	allocated := map[uuid.UUID]int{}
	for k, n := range s.allocated {
		t, _ := uuid.Parse(k[strings.LastIndexByte(k, '|')+1:])
		allocated[t] += n
	}
	var seatLines []string
	types := map[uuid.UUID]bool{}
	for _, m := range []map[uuid.UUID]int{quota, reserved, s.sold, allocated} {
		for t := range m {
			types[t] = true
		}
	}
	for t := range types {
		seatLines = append(seatLines, fmt.Sprintf("%s quota=%d reserved=%d sold=%d allocated=%d", t, quota[t], reserved[t], s.sold[t], allocated[t]))
	}
	var conflictLines []string
	for _, c := range conflicts {
		r := c.raised
		conflictLines = append(conflictLines, fmt.Sprintf("%06d %s over=%d orders=%v kiosk=%s resolved=%q", r.Conflict, r.SeatType, r.Over, r.OrderIDs, r.KioskID, c.resolved))
	}
	var attendees []string
	for k, w := range s.seats {
		if !w.attendee.IsZero() {
			a := w.attendee
			attendees = append(attendees, fmt.Sprintf("%s/%d %q %q %q %q", k.order, k.position, a.Name, a.Email, a.Company, a.Role))
		}
	}
	attendees = append(attendees, s.buyers...)
	var orders []string
	for id, w := range s.orders {
		orders = append(orders, id.String()+" "+w.status)
	}
	return map[string]string{
		Events:            sum(s.events),
		Attendees:         sum(attendees),
		Orders:            sum(orders),
		CheckIns:          sum(s.checkIns),
		Seats:             sum(seatLines),
		Conflicts:         sum(conflictLines),
		DuplicateCheckIns: sum(duplicates),
	}
}

// sum hashes lines as a set: sorted, one per line.
func sum(lines []string) string {
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return fmt.Sprintf("%d:%x", len(lines), h.Sum(nil)[:8])
}
