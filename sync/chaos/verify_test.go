package chaos

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"conference/hub/hubapp"
	"conference/kiosk"
	"conference/shared/eventstore"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/sync/digest"
	"conference/sync/merge"
)

// verdict is what the databases say after the run: counts for the log,
// and every broken rule.
type verdict struct {
	problems []string

	hubEvents, kioskEvents                int
	walkUps, certain, pastAllocation      int
	conflicts, overflowSales              int
	checkIns, sharedAttendees, duplicates int
	acks                                  map[string]int
}

func (v *verdict) problem(format string, args ...any) {
	if len(v.problems) < 40 {
		v.problems = append(v.problems, fmt.Sprintf(format, args...))
	} else if len(v.problems) == 40 {
		v.problems = append(v.problems, "... (more problems left out)")
	}
}

// nodeDB is one kiosk's database, read after the run.
type nodeDB struct {
	name, kioskID string
	own           []eventstore.Event
	digest        map[string]string
	replicated    map[uuid.UUID]int // event id -> copies, for events of other origins
}

var codec = merge.Registry()

// verify opens every database once the children are stopped and checks
// the rules of DESIGN section 6 on them.
func (h *harness) verify(ctx context.Context) (*verdict, error) {
	v := &verdict{acks: map[string]int{}}
	store, err := hubapp.OpenStore(ctx, h.hubDB, discard, nil)
	if err != nil {
		return nil, fmt.Errorf("open hub database: %w", err)
	}
	defer store.Close()
	hubLog, err := readAll(ctx, store)
	if err != nil {
		return nil, err
	}
	v.hubEvents = len(hubLog)
	for i, e := range hubLog {
		if e.Position != int64(i+1) {
			v.problem("hub log: position %d where %d belongs: a position skipped or seen twice", e.Position, i+1)
			break
		}
	}
	hubDigest, err := digest.Compute(ctx, store, h.fx.ConferenceID)
	if err != nil {
		return nil, err
	}
	var nodes []nodeDB
	for _, p := range h.kiosks {
		n, err := h.readKiosk(ctx, p)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	byID := map[uuid.UUID][]*eventstore.Event{}
	for i := range hubLog {
		byID[hubLog[i].EventID] = append(byID[hubLog[i].EventID], &hubLog[i])
	}

	h.checkExactlyOnce(v, hubLog, byID, nodes)
	for _, n := range nodes {
		if diff := digestDiff(hubDigest, n.digest); diff != "" {
			v.problem("digest of %s differs from the hub's: %s", n.name, diff)
		}
	}
	if err := h.checkSeats(ctx, v, store, hubLog); err != nil {
		return nil, err
	}
	h.checkAcks(v, hubLog, byID)
	if err := checkDuplicates(v, hubLog); err != nil {
		return nil, err
	}
	return v, nil
}

func readAll(ctx context.Context, s eventstore.Store) ([]eventstore.Event, error) {
	var out []eventstore.Event
	var after int64
	for {
		page, err := s.ReadLog(ctx, after, 4096)
		if err != nil {
			return nil, fmt.Errorf("read log after %d: %w", after, err)
		}
		if len(page) == 0 {
			return out, nil
		}
		out = append(out, page...)
		after = page[len(page)-1].Position
	}
}

func (h *harness) readKiosk(ctx context.Context, p *proc) (nodeDB, error) {
	n := nodeDB{name: p.cfg.Name, kioskID: h.kioskID[p.cfg.Name], replicated: map[uuid.UUID]int{}}
	k, err := kiosk.Open(ctx, kiosk.Config{Path: p.cfg.DB, Logger: discard})
	if err != nil {
		return n, fmt.Errorf("open %s: %w", n.name, err)
	}
	defer k.Close()
	if n.own, err = k.OwnEventsAfter(ctx, 0, 1<<30); err != nil {
		return n, err
	}
	if n.digest, err = digest.Compute(ctx, k.Store(), h.fx.ConferenceID); err != nil {
		return n, err
	}
	all, err := readAll(ctx, k.Store())
	if err != nil {
		return n, err
	}
	for _, e := range all {
		if e.Origin != n.kioskID {
			n.replicated[e.EventID]++
		}
	}
	return n, nil
}

// checkExactlyOnce: every kiosk's own events are at the hub exactly once,
// in a gap-free origin_seq; the hub holds nothing of a kiosk's that the
// kiosk does not; no node holds a copy twice.
func (h *harness) checkExactlyOnce(v *verdict, hubLog []eventstore.Event, byID map[uuid.UUID][]*eventstore.Event, nodes []nodeDB) {
	for id, copies := range byID {
		if len(copies) > 1 {
			v.problem("hub holds event %s %d times", id, len(copies))
		}
	}
	atHub := map[string]int{}
	for _, e := range hubLog {
		if e.Origin != "hub" {
			atHub[e.Origin]++
		}
	}
	for _, n := range nodes {
		v.kioskEvents += len(n.own)
		for i, e := range n.own {
			if e.OriginSeq != int64(i+1) {
				v.problem("%s: own origin_seq %d at index %d (gap)", n.name, e.OriginSeq, i)
				break
			}
		}
		for _, e := range n.own {
			copies := byID[e.EventID]
			switch {
			case len(copies) == 0:
				v.problem("%s's event %s (%s, seq %d) never reached the hub", n.name, e.EventID, e.Type, e.OriginSeq)
			case copies[0].Origin != n.kioskID || copies[0].OriginSeq != e.OriginSeq:
				v.problem("%s's event %s is at the hub as origin %s seq %d, want %s seq %d",
					n.name, e.EventID, copies[0].Origin, copies[0].OriginSeq, n.kioskID, e.OriginSeq)
			}
		}
		if atHub[n.kioskID] != len(n.own) {
			v.problem("hub holds %d events of %s, the kiosk recorded %d", atHub[n.kioskID], n.name, len(n.own))
		}
		for id, c := range n.replicated {
			if c > 1 {
				v.problem("%s holds replicated event %s %d times", n.name, id, c)
			}
		}
	}
}

// checkSeats replays the conference's SeatsAvailability at the hub and
// checks every on-site sale against the state it landed on: a sale within
// the kiosk's allocation (or within free seats) raises no conflict; a sale
// the quota cannot hold raises exactly one, for exactly the overflow.
func (h *harness) checkSeats(ctx context.Context, v *verdict, store eventstore.Store, hubLog []eventstore.Event) error {
	stream, err := store.ReadStream(ctx, registrations.AvailabilityStreamID(h.fx.ConferenceID), 0)
	if err != nil {
		return err
	}
	type key struct {
		order    uuid.UUID
		seatType uuid.UUID
	}
	want := map[key]int{}  // overflow each sale should have raised
	got := map[key][]int{} // conflicts raised naming it
	sold := map[uuid.UUID]registrations.OnSiteSeatsSold{}
	a := registrations.NewSeatsAvailability()
	for _, e := range stream {
		ev, err := codec.Decode(e.Type, e.Schema, e.Data)
		if err != nil {
			return fmt.Errorf("decode %s at %d: %w", e.Type, e.Position, err)
		}
		switch ev := ev.(type) {
		case registrations.OnSiteSeatsSold:
			if _, again := sold[ev.OrderID]; again {
				v.problem("order %s sold on site twice (OnSiteSeatsSold at version %d)", ev.OrderID, e.StreamVersion)
			}
			sold[ev.OrderID] = ev
			for _, q := range ev.PastAllocation {
				if over := q.Quantity - a.Remaining(q.SeatType); over > 0 {
					want[key{ev.OrderID, q.SeatType}] = over
				}
			}
		case registrations.SeatQuotaConflictRaised:
			v.conflicts++
			for _, o := range ev.OrderIDs {
				got[key{o, ev.SeatType}] = append(got[key{o, ev.SeatType}], ev.Over)
			}
		}
		a.Apply(ev)
	}
	v.overflowSales = len(want)
	for k, over := range want {
		if g := got[k]; len(g) != 1 || g[0] != over {
			v.problem("on-site order %s overflowed the quota by %d but raised conflicts %v (want exactly one of %d)", k.order, over, g, over)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			v.problem("conflicts %v name order %s, which the quota could hold (sold %+v)", g, k.order, sold[k.order])
		}
	}
	for _, st := range a.SeatTypes() {
		if u := a.UncoveredOverbooking(st); u > 0 {
			v.problem("seat type %s is overbooked by %d seats no open conflict accounts for", st, u)
		}
	}
	// Walk-up sales the kiosk called certain came out of its allocation.
	for _, ak := range h.acksOf("walkup") {
		order := uuid.MustParse(ak.fields[0])
		v.walkUps++
		s, ok := sold[order]
		if !ok {
			v.problem("acknowledged walk-up %s of %s never sold at the hub", order, ak.node)
			continue
		}
		if len(s.PastAllocation) > 0 {
			v.pastAllocation++
		}
		if ak.fields[2] != string(kiosk.SaleCertain) {
			continue
		}
		v.certain++
		if len(s.PastAllocation) > 0 {
			v.problem("walk-up %s of %s was certain (inside its allocation) at the kiosk, the hub sold %+v past it", order, ak.node, s.PastAllocation)
		}
		for k, g := range got {
			if k.order == order {
				v.problem("walk-up %s of %s sold inside its allocation raised conflicts %v", order, ak.node, g)
			}
		}
	}
	return nil
}

func (h *harness) acksOf(kind string) []ack {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []ack
	for _, a := range h.acks {
		if a.kind == kind {
			out = append(out, a)
		}
	}
	return out
}

// checkAcks: every action a child confirmed is in the hub's log.
func (h *harness) checkAcks(v *verdict, hubLog []eventstore.Event, byID map[uuid.UUID][]*eventstore.Event) {
	streams := map[string][]string{} // stream id -> event types
	for _, e := range hubLog {
		streams[e.StreamID] = append(streams[e.StreamID], e.Type)
	}
	has := func(stream, typ string) bool { return slices.Contains(streams[stream], typ) }
	h.mu.Lock()
	acks := slices.Clone(h.acks)
	h.mu.Unlock()
	for _, a := range acks {
		v.acks[a.kind]++
		arg := func(i int) string {
			if i < len(a.fields) {
				return a.fields[i]
			}
			return ""
		}
		id, _ := uuid.Parse(arg(0))
		var ok bool
		switch a.kind {
		case "order":
			ok = has(registrations.OrderStreamID(id), registrations.OrderPlaced{}.EventType())
		case "assign":
			ok = len(streams[registrations.AssignmentsStreamID(id)]) > 0
		case "cancel":
			ok = has(registrations.OrderStreamID(id), registrations.OrderCancelled{}.EventType())
		case "resolve":
			n, _ := strconv.Atoi(arg(0))
			ok = resolved(hubLog, n)
		case "checkin", "walkup":
			ev := uuid.MustParse(arg(0))
			if a.kind == "walkup" {
				ev = uuid.MustParse(arg(1))
			}
			c := byID[ev]
			ok = len(c) == 1 && c[0].Origin == h.kioskID[a.node]
		default:
			v.problem("unknown ack %q from %s", a.kind, a.node)
			continue
		}
		if !ok {
			v.problem("acknowledged %s %s of %s is missing from the hub's log", a.kind, strings.Join(a.fields, " "), a.node)
		}
	}
}

func resolved(hubLog []eventstore.Event, n int) bool {
	for _, e := range hubLog {
		if e.Type != (registrations.SeatQuotaConflictResolved{}).EventType() {
			continue
		}
		ev, err := codec.Decode(e.Type, e.Schema, e.Data)
		if r, ok := ev.(registrations.SeatQuotaConflictResolved); err == nil && ok && r.Conflict == n {
			return true
		}
	}
	return false
}

// checkDuplicates: a check-in with an earlier one of the same attendee on
// another node, "earlier" by (hlc, origin, origin_seq), has exactly one
// DuplicateCheckInDetected; no other check-in has one.
func checkDuplicates(v *verdict, hubLog []eventstore.Event) error {
	type row struct {
		e    *eventstore.Event
		seat string
	}
	bySeat := map[string][]row{}
	warned := map[uuid.UUID]int{}
	for i := range hubLog {
		e := &hubLog[i]
		switch e.Type {
		case onsite.AttendeeCheckedIn{}.EventType():
			ev, err := codec.Decode(e.Type, e.Schema, e.Data)
			if err != nil {
				return err
			}
			c := ev.(onsite.AttendeeCheckedIn)
			seat := c.ConferenceID.String() + "/" + onsite.Seat{OrderID: c.OrderID, Position: c.Position}.String()
			bySeat[seat] = append(bySeat[seat], row{e, seat})
			v.checkIns++
		case registrations.DuplicateCheckInDetected{}.EventType():
			ev, err := codec.Decode(e.Type, e.Schema, e.Data)
			if err != nil {
				return err
			}
			warned[ev.(registrations.DuplicateCheckInDetected).CheckIn.EventID]++
		}
	}
	before := func(a, b *eventstore.Event) bool {
		if a.HLC != b.HLC {
			return a.HLC < b.HLC
		}
		if a.Origin != b.Origin {
			return a.Origin < b.Origin
		}
		return a.OriginSeq < b.OriginSeq
	}
	want := map[uuid.UUID]string{}
	for seat, rows := range bySeat {
		origins := map[string]bool{}
		for _, later := range rows {
			origins[later.e.Origin] = true
			for _, other := range rows {
				if other.e.Origin != later.e.Origin && before(other.e, later.e) {
					want[later.e.EventID] = seat
					break
				}
			}
		}
		if len(origins) > 1 {
			v.sharedAttendees++
		}
	}
	v.duplicates = len(want)
	for id, seat := range want {
		if warned[id] != 1 {
			v.problem("check-in %s of %s, later than one on another kiosk, has %d duplicate warnings (want 1)", id, seat, warned[id])
		}
	}
	for id, n := range warned {
		if _, ok := want[id]; !ok {
			v.problem("check-in %s has %d duplicate warnings but no earlier check-in on another node", id, n)
		}
	}
	return nil
}

// digestDiff names the parts where b differs from a, with both values.
func digestDiff(a, b map[string]string) string {
	var parts []string
	for _, k := range digest.Diff(a, b) {
		parts = append(parts, fmt.Sprintf("%s hub=%s node=%s", k, a[k], b[k]))
	}
	return strings.Join(parts, "; ")
}
