// Package mergetest builds hub and kiosk stores on real SQLite files and
// records the facts sync moves (online sales, walk-up sales, check-ins)
// through the real domain, so sync rules can be tested end to end by
// calling them directly: Upload (kiosk -> hub) and Download (hub -> kiosk).
package mergetest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/sync/merge"
	"conference/sync/scope"
)

// Open opens a store for node ("hub" or a kiosk id) in dir, closed when the
// test ends.
func Open(tb testing.TB, dir, node string) *sqlitestore.Store {
	tb.Helper()
	s, err := sqlitestore.Open(context.Background(), filepath.Join(dir, node+".db"),
		sqlitestore.Options{Node: node, Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatalf("open %s store: %v", node, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Conference is a conference with two seat types at the hub.
type Conference struct {
	ID       uuid.UUID
	FullPass uuid.UUID
	Workshop uuid.UUID
}

var registry = merge.Registry()

// NewConference records the conference's seat types at the hub.
func NewConference(tb testing.TB, hub eventstore.Store, fullPass, workshop int) Conference {
	tb.Helper()
	c := Conference{ID: ids.New(), FullPass: ids.New(), Workshop: ids.New()}
	repo := eventsourcing.NewRepository(hub, registry, registrations.NewSeatsAvailability)
	err := repo.Update(context.Background(), registrations.AvailabilityStreamID(c.ID), eventsourcing.Metadata{},
		func(a *registrations.SeatsAvailability) error {
			if err := a.AddSeatType(c.ID, c.FullPass, fullPass); err != nil {
				return err
			}
			return a.AddSeatType(c.ID, c.Workshop, workshop)
		})
	if err != nil {
		tb.Fatalf("new conference: %v", err)
	}
	return c
}

// Prices are the conference's prices (full pass 100.00, workshop 40.00).
func (c Conference) Prices() []registrations.SeatPrice {
	return []registrations.SeatPrice{
		{SeatType: c.FullPass, Price: registrations.NewMoney(10000, "EUR")},
		{SeatType: c.Workshop, Price: registrations.NewMoney(4000, "EUR")},
	}
}

// SellOnline records a paid online order at the hub the way the process
// manager would: placed, reserved, committed, confirmed, seats named. It
// returns the order id; reserved is what availability really held.
func SellOnline(tb testing.TB, hub eventstore.Store, c Conference, seats registrations.Seats, name string) (uuid.UUID, registrations.Seats) {
	tb.Helper()
	ctx, now := context.Background(), time.Now()
	orderID := ids.New()
	orders := eventsourcing.NewRepository(hub, registry, registrations.NewOrder)
	avail := eventsourcing.NewRepository(hub, registry, registrations.NewSeatsAvailability, eventsourcing.WithSnapshotEvery(100))
	assignments := eventsourcing.NewRepository(hub, registry, registrations.NewSeatAssignments)
	meta := eventsourcing.Metadata{CorrelationID: orderID}
	must(tb, orders.Update(ctx, registrations.OrderStreamID(orderID), meta, func(o *registrations.Order) error {
		return o.Place(registrations.PlaceOrder{OrderID: orderID, ConferenceID: c.ID, Seats: seats,
			Pricing: registrations.PricingInput{Prices: c.Prices()}, AccessCode: ids.NewAccessCode()}, now)
	}))
	var held registrations.Seats
	must(tb, avail.Update(ctx, registrations.AvailabilityStreamID(c.ID), meta, func(a *registrations.SeatsAvailability) error {
		if err := a.MakeReservation(orderID, seats); err != nil {
			return err
		}
		held, _ = a.Reservation(orderID)
		if held.Total() == 0 {
			return nil
		}
		return a.CommitReservation(orderID)
	}))
	must(tb, orders.Update(ctx, registrations.OrderStreamID(orderID), meta, func(o *registrations.Order) error {
		if err := o.MarkSeatsReserved(held, now.Add(time.Hour)); err != nil {
			return err
		}
		if err := o.SetRegistrant(name, "buyer@example.org"); err != nil {
			return err
		}
		if held.Total() == 0 {
			return o.Reject("sold out", now)
		}
		return o.Confirm(now)
	}))
	if held.Total() > 0 {
		must(tb, assignments.Update(ctx, registrations.AssignmentsStreamID(orderID), meta, func(s *registrations.SeatAssignments) error {
			if err := s.Create(orderID, c.ID, held); err != nil {
				return err
			}
			return s.AssignSeat(0, registrations.Attendee{Name: name, Email: "attendee@example.org"})
		}))
	}
	return orderID, held
}

// WalkUp records a walk-up sale on a kiosk: the one event a kiosk records.
func WalkUp(tb testing.TB, kiosk eventstore.Store, kioskID string, c Conference, seats registrations.Seats, name string) uuid.UUID {
	tb.Helper()
	orderID := ids.New()
	orders := eventsourcing.NewRepository(kiosk, registry, registrations.NewOrder)
	must(tb, orders.Update(context.Background(), registrations.OrderStreamID(orderID), eventsourcing.Metadata{CorrelationID: orderID},
		func(o *registrations.Order) error {
			return o.PlaceWalkUp(registrations.PlaceWalkUp{OrderID: orderID, ConferenceID: c.ID, KioskID: kioskID, Seats: seats,
				Pricing: registrations.PricingInput{Prices: c.Prices()}, AccessCode: ids.NewAccessCode(), Name: name,
				Method: registrations.PaymentCash}, time.Now())
		}))
	return orderID
}

// CheckIn records a check-in of seat on a kiosk. It reports false when the
// kiosk already knows a check-in of that seat (the kiosk refuses it).
func CheckIn(tb testing.TB, kiosk eventstore.Store, kioskID string, c Conference, seat onsite.Seat) bool {
	tb.Helper()
	attendance := eventsourcing.NewRepository(kiosk, registry, onsite.NewAttendance)
	err := attendance.Update(context.Background(), onsite.AttendanceStreamID(seat), eventsourcing.Metadata{},
		func(a *onsite.Attendance) error {
			return a.CheckIn(onsite.CheckIn{ConferenceID: c.ID, Seat: seat, KioskID: kioskID, Staff: "Ana"}, time.Now())
		})
	if err != nil && registrations.ErrorCode(err) == registrations.CodeConflict {
		return false
	}
	must(tb, err)
	return true
}

// Pending returns the kiosk's own events the hub has not acknowledged:
// those of origin kioskID after origin_seq acked; kioskID "" reads the
// whole log.
func Pending(ctx context.Context, kiosk eventstore.Store, kioskID string, acked int64) ([]eventstore.Event, error) {
	var out []eventstore.Event
	var after int64
	for {
		evs, err := kiosk.ReadLog(ctx, after, 4096)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if kioskID == "" || (e.Origin == kioskID && e.OriginSeq > acked) {
				out = append(out, e)
			}
		}
		if len(evs) < 4096 {
			return out, nil
		}
		after = evs[len(evs)-1].Position
	}
}

// Upload sends the kiosk's unacknowledged events to the hub in batches of
// size, as the transport does, and returns the acknowledged origin_seq.
func Upload(tb testing.TB, m *merge.Merger, kiosk eventstore.Store, kioskID string, size int) int64 {
	tb.Helper()
	ctx := context.Background()
	acked, err := m.Acked(ctx, kioskID)
	must(tb, err)
	pending, err := Pending(ctx, kiosk, kioskID, acked)
	must(tb, err)
	for len(pending) > 0 {
		n := min(size, len(pending))
		if acked, err = m.Accept(ctx, kioskID, pending[:n]); err != nil {
			tb.Fatalf("upload from %s: %v", kioskID, err)
		}
		pending = pending[n:]
	}
	return acked
}

// Download brings the kiosk's copy of the conference up to the hub's head
// from checkpoint after, in pages of size, and returns the new checkpoint.
func Download(tb testing.TB, p *scope.Pager, kiosk eventstore.Store, c Conference, after int64, size int) int64 {
	tb.Helper()
	ctx := context.Background()
	for {
		evs, next, err := p.Page(ctx, after, []uuid.UUID{c.ID}, size)
		must(tb, err)
		must(tb, merge.ApplyDown(ctx, kiosk, evs))
		if next == after {
			return after
		}
		after = next
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(fmt.Errorf("mergetest: %w", err))
	}
}

// World is a hub and its kiosks on real SQLite files in one directory.
type World struct {
	TB         testing.TB
	Hub        *sqlitestore.Store
	Merger     *merge.Merger
	Pager      *scope.Pager
	Alloc      *merge.Allocations
	Conference Conference
	Kiosks     map[string]*Kiosk
	// Batch and Page are the upload batch and download page sizes.
	Batch, Page int
}

// Kiosk is one kiosk's store and its hub checkpoint.
type Kiosk struct {
	ID         string
	Store      *sqlitestore.Store
	Checkpoint int64
}

// NewWorld opens a hub with a conference (quotas for its full pass and
// workshop) and kiosks with the given ids.
func NewWorld(tb testing.TB, fullPass, workshop int, kioskIDs ...string) *World {
	tb.Helper()
	dir := tb.TempDir()
	hub := Open(tb, dir, merge.Hub)
	w := &World{TB: tb, Hub: hub, Merger: merge.New(hub), Pager: scope.New(hub), Alloc: merge.NewAllocations(hub),
		Conference: NewConference(tb, hub, fullPass, workshop), Kiosks: map[string]*Kiosk{}, Batch: 7, Page: 5}
	for _, id := range kioskIDs {
		w.Kiosks[id] = &Kiosk{ID: id, Store: Open(tb, dir, id)}
	}
	return w
}

// Upload sends a kiosk's unacknowledged events to the hub.
func (w *World) Upload(id string) {
	w.TB.Helper()
	k := w.Kiosks[id]
	Upload(w.TB, w.Merger, k.Store, id, w.Batch)
}

// Download brings a kiosk up to the hub's head.
func (w *World) Download(id string) {
	w.TB.Helper()
	k := w.Kiosks[id]
	k.Checkpoint = Download(w.TB, w.Pager, k.Store, w.Conference, k.Checkpoint, w.Page)
}

// Sync exchanges both ways: upload, then download.
func (w *World) Sync(id string) {
	w.TB.Helper()
	w.Upload(id)
	w.Download(id)
}
