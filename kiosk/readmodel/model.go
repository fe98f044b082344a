// Package readmodel holds the kiosk's local read models, built in memory
// from the local event log (hub events relayed by sync and the kiosk's own):
// the attendee list with its search index, the seat inventory this kiosk may
// sell, check-ins and badge prints. Nothing here is stored: a restart
// replays the log, so the models can never disagree with it.
//
// State changes reuse the domain aggregates' Apply (registrations.Order,
// SeatAssignments, SeatsAvailability, onsite.Attendance); this package only
// indexes what they say.
package readmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// Model is the kiosk's in-memory view of its log. Safe for concurrent use:
// Apply takes the write lock, queries the read lock.
type Model struct {
	mu       sync.RWMutex
	kioskID  string
	codec    *eventsourcing.Registry
	position int64
	skipped  map[string]int64 // events of types this build does not know, by type

	conferences map[uuid.UUID]*Conference
	orders      map[uuid.UUID]*orderView
	attendance  map[onsite.Seat]*onsite.Attendance
	prints      map[onsite.Seat]printLog
	attendees   map[onsite.Seat]*Attendee
	byToken     map[string]onsite.Seat
	byEmail     map[string][]*Attendee
	byCode      map[string][]*Attendee
	names       *nameIndex
	ownSales    map[uuid.UUID]*ownSale          // this kiosk's walk-up sales the hub has not applied
	pending     map[uuid.UUID]map[uuid.UUID]int // their seats, per conference and seat type
	revoked     map[string]onsite.KioskRevoked  // by kiosk id
	denied      int
	checkedIn   int
	duplicates  int
	printed     int // badges a printer accepted
	pdfs        int // badges opened as a PDF in the browser
	kioskNames  map[string]string
}

// Conference is what the kiosk knows of a conference: its name and seat
// types from Conference Management, and its seat availability.
type Conference struct {
	ID       uuid.UUID
	Name     string
	Currency string
	// TimeZone is the conference's IANA time zone; screens show times in
	// it (see Location).
	TimeZone  string
	SeatTypes map[uuid.UUID]SeatType
	loc       *time.Location // TimeZone, resolved
	// avail is the hub's SeatsAvailability as the hub's events received
	// so far make it; this kiosk's sales the hub has not applied yet are
	// held apart (see ownsales.go).
	avail *registrations.SeatsAvailability
}

// SeatType is a seat type with its price and on-site policy.
type SeatType struct {
	ID     uuid.UUID
	Name   string
	Price  registrations.Money
	Quota  int
	OnSite conferences.OnSitePolicy
}

type orderView struct {
	order      *registrations.Order
	assign     *registrations.SeatAssignments
	assignedAt map[int]time.Time
	seats      []onsite.Seat // attendee seats currently derived from this order
	cancelled  bool
}

// New returns an empty model for kioskID. codec must know the
// registrations and onsite events.
func New(kioskID string, codec *eventsourcing.Registry) *Model {
	return &Model{
		kioskID: kioskID, codec: codec,
		conferences: map[uuid.UUID]*Conference{}, orders: map[uuid.UUID]*orderView{},
		attendance: map[onsite.Seat]*onsite.Attendance{}, prints: map[onsite.Seat]printLog{}, attendees: map[onsite.Seat]*Attendee{},
		byToken: map[string]onsite.Seat{}, byEmail: map[string][]*Attendee{}, byCode: map[string][]*Attendee{},
		names: newNameIndex(), ownSales: map[uuid.UUID]*ownSale{}, pending: map[uuid.UUID]map[uuid.UUID]int{},
		revoked: map[string]onsite.KioskRevoked{}, skipped: map[string]int64{},
		kioskNames: map[string]string{},
	}
}

// Position is the last log position applied.
func (m *Model) Position() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.position
}

// BeginBulk defers sorting the name index until the first search, for a
// replay of the whole log at start-up.
func (m *Model) BeginBulk() {
	m.mu.Lock()
	m.names.bulk = true
	m.mu.Unlock()
}

// EndBulk ends a bulk load.
func (m *Model) EndBulk() {
	m.mu.Lock()
	m.names.bulk = false
	m.names.sort()
	m.mu.Unlock()
}

// Apply folds events (in log order) into the model. Events at or below the
// applied position are ignored, so overlapping catch-ups are harmless. An
// event whose payload does not decode is an error naming it; the model
// stays at the event before it.
func (m *Model) Apply(events ...eventstore.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range events {
		if e.Position != 0 && e.Position <= m.position {
			continue
		}
		if err := m.apply(e); err != nil {
			return fmt.Errorf("read model at position %d (%s %s): %w", e.Position, e.Type, e.EventID, err)
		}
		if e.Position != 0 {
			m.position = e.Position
		}
	}
	return nil
}

func (m *Model) apply(e eventstore.Event) error {
	if strings.HasPrefix(e.Type, "conferences.") {
		return m.applyCatalog(e)
	}
	ev, err := m.codec.Decode(e.Type, e.Schema, e.Data)
	if errors.Is(err, eventsourcing.ErrUnknownEvent) {
		m.skipped[e.Type]++ // a newer hub's event type: not ours to interpret
		return nil
	}
	if err != nil {
		return err
	}
	switch ev := ev.(type) {
	case onsite.AttendeeCheckedIn, onsite.BadgePrinted, onsite.BadgePrintFailed:
		m.applyAttendance(ev)
	case onsite.ScanDenied:
		m.denied++
	case onsite.KioskRevoked:
		m.applyKioskRevoked(e, ev)
	case onsite.KioskNamed:
		// Names are the hub's to give: a kiosk's upload of one names nobody.
		if e.Origin == "hub" {
			m.kioskNames[ev.KioskID] = ev.Name
		}
	case registrations.SeatAssignmentsCreated, registrations.SeatAssigned,
		registrations.SeatAssigneeUpdated, registrations.SeatUnassigned:
		m.applyAssignments(e, ev)
	default:
		if strings.HasPrefix(e.StreamID, "order-") {
			m.applyOrder(ev)
		} else if strings.HasPrefix(e.StreamID, "availability-") {
			m.applyAvailability(ev)
		}
	}
	return nil
}

// applyCatalog keeps conference and seat type details from the
// Conference Management integration events the hub relays.
func (m *Model) applyCatalog(e eventstore.Event) error {
	switch e.Type {
	case conferences.TypeConferenceCreated, conferences.TypeConferenceUpdated:
		var c conferences.ConferenceInfo
		if err := json.Unmarshal(e.Data, &c); err != nil {
			return err
		}
		conf := m.conference(c.ConferenceID)
		conf.Name, conf.Currency, conf.TimeZone = c.Name, c.Currency, c.TimeZone
		conf.loc = location(c.TimeZone)
	case conferences.TypeSeatTypeCreated, conferences.TypeSeatTypeUpdated:
		var s conferences.SeatTypeInfo
		if err := json.Unmarshal(e.Data, &s); err != nil {
			return err
		}
		conf := m.conference(s.ConferenceID)
		conf.SeatTypes[s.SeatType] = SeatType{ID: s.SeatType, Name: s.Name, Price: s.Price, Quota: s.Quota, OnSite: s.OnSite}
	case conferences.TypeConferencePublished, conferences.TypeConferenceUnpublished,
		conferences.TypePromoCodeCreated, conferences.TypePromoCodeUpdated, conferences.TypePromoCodeRemoved:
		// Known, and nothing a door needs.
	default:
		m.skipped[e.Type]++
	}
	return nil
}

func (m *Model) conference(id uuid.UUID) *Conference {
	c, ok := m.conferences[id]
	if !ok {
		c = &Conference{ID: id, SeatTypes: map[uuid.UUID]SeatType{}, avail: registrations.NewSeatsAvailability()}
		m.conferences[id] = c
	}
	return c
}

func (m *Model) applyAvailability(ev eventsourcing.Event) {
	var conf uuid.UUID
	switch e := ev.(type) {
	case registrations.OnSiteSeatsSold:
		conf = e.ConferenceID
		m.settleOwnSale(e)
	default:
		conf = conferenceOf(ev)
	}
	if conf == uuid.Nil {
		return
	}
	m.conference(conf).avail.Apply(ev)
}

// conferenceOf reads the conference id every availability event carries.
func conferenceOf(ev eventsourcing.Event) uuid.UUID {
	switch e := ev.(type) {
	case registrations.SeatTypeAdded:
		return e.ConferenceID
	case registrations.SeatQuotaIncreased:
		return e.ConferenceID
	case registrations.SeatQuotaDecreased:
		return e.ConferenceID
	case registrations.SeatsReserved:
		return e.ConferenceID
	case registrations.SeatReservationCommitted:
		return e.ConferenceID
	case registrations.SeatReservationCancelled:
		return e.ConferenceID
	case registrations.SoldSeatsCancelled:
		return e.ConferenceID
	case registrations.SeatAllocationGranted:
		return e.ConferenceID
	case registrations.SeatAllocationReturned:
		return e.ConferenceID
	case registrations.SeatQuotaConflictRaised:
		return e.ConferenceID
	case registrations.SeatQuotaConflictResolved:
		return e.ConferenceID
	}
	return uuid.Nil
}

func (m *Model) orderView(id uuid.UUID) *orderView {
	ov, ok := m.orders[id]
	if !ok {
		ov = &orderView{order: registrations.NewOrder()}
		m.orders[id] = ov
	}
	return ov
}

func (m *Model) applyOrder(ev eventsourcing.Event) {
	var id uuid.UUID
	switch e := ev.(type) {
	case registrations.OrderPlaced:
		id = e.OrderID
	case registrations.WalkUpOrderPlaced:
		id = e.OrderID
		if e.KioskID == m.kioskID && m.kioskID != "" {
			m.countOwnSale(e)
		}
	case registrations.OrderReservationCompleted:
		id = e.OrderID
	case registrations.OrderPartiallyReserved:
		id = e.OrderID
	case registrations.OrderRegistrantAssigned:
		id = e.OrderID
	case registrations.OrderConfirmed:
		id = e.OrderID
	case registrations.OrderExpired:
		id = e.OrderID
	case registrations.OrderRejected:
		id = e.OrderID
	case registrations.OrderCancelled:
		id = e.OrderID
	default:
		return
	}
	ov := m.orderView(id)
	ov.order.Apply(ev)
	m.refreshOrder(id, ov)
}

func (m *Model) applyAssignments(env eventstore.Event, ev eventsourcing.Event) {
	var id uuid.UUID
	pos := -1
	switch e := ev.(type) {
	case registrations.SeatAssignmentsCreated:
		id = e.OrderID
	case registrations.SeatAssigned:
		id, pos = e.OrderID, e.Position
	case registrations.SeatAssigneeUpdated:
		id = e.OrderID
	case registrations.SeatUnassigned:
		id, pos = e.OrderID, e.Position
	}
	ov := m.orderView(id)
	if ov.assign == nil {
		ov.assign = registrations.NewSeatAssignments()
		ov.assignedAt = map[int]time.Time{}
	}
	ov.assign.Apply(ev)
	if pos >= 0 {
		// When the seat changed hands, by the recording node's clock: a
		// badge issued before that belongs to the previous attendee.
		ov.assignedAt[pos] = env.HLC.Time()
	}
	m.refreshOrder(id, ov)
}

func (m *Model) applyAttendance(ev eventsourcing.Event) {
	var seat onsite.Seat
	switch e := ev.(type) {
	case onsite.AttendeeCheckedIn:
		seat = onsite.Seat{OrderID: e.OrderID, Position: e.Position}
	case onsite.BadgePrinted:
		seat = onsite.Seat{OrderID: e.OrderID, Position: e.Position}
	case onsite.BadgePrintFailed:
		seat = onsite.Seat{OrderID: e.OrderID, Position: e.Position}
	}
	at, ok := m.attendance[seat]
	if !ok {
		at = onsite.NewAttendance()
		m.attendance[seat] = at
	}
	m.applyPrint(seat, at, ev)
	wasIn, wasDup := at.CheckedIn(), at.Duplicate()
	at.Apply(ev)
	if !wasIn && at.CheckedIn() {
		m.checkedIn++
	}
	if !wasDup && at.Duplicate() {
		m.duplicates++
	}
	if a, ok := m.attendees[seat]; ok {
		a.attendance = at
	}
}
