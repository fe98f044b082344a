package hubtest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/hubapp"
	"conference/shared/eventsourcing"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// What sync's merge records at the hub when kiosk events arrive, played by
// a test through the domain's own aggregates, so the domain's rules decide.

// RecordOnSiteSale records a kiosk's walk-up sale of n seats as it reaches
// the hub: the order, then the sale applied to the conference's
// SeatsAvailability (a seat-quota conflict when the quota cannot hold it).
// It returns the order's id.
func RecordOnSiteSale(t testing.TB, h *hubapp.Hub, conferenceID, seatType uuid.UUID, kiosk, buyer string, n int) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	id := ids.New()
	orders := eventsourcing.NewRepository(h.Store, h.App.Events(), registrations.NewOrder)
	err := orders.Update(ctx, registrations.OrderStreamID(id), eventsourcing.Metadata{}, func(o *registrations.Order) error {
		return o.PlaceWalkUp(registrations.PlaceWalkUp{
			OrderID: id, ConferenceID: conferenceID, KioskID: kiosk, Seats: registrations.Seats{{SeatType: seatType, Quantity: n}},
			Pricing:    registrations.PricingInput{Prices: []registrations.SeatPrice{{SeatType: seatType, Price: registrations.NewMoney(2500, "EUR")}}},
			AccessCode: ids.NewAccessCode(), Name: buyer, Email: "walkup@example.com", Method: registrations.PaymentCash,
		}, time.Now())
	})
	if err != nil {
		t.Fatalf("walk-up order: %v", err)
	}
	avail := eventsourcing.NewRepository(h.Store, h.App.Events(), registrations.NewSeatsAvailability)
	err = avail.Update(ctx, registrations.AvailabilityStreamID(conferenceID), eventsourcing.Metadata{}, func(a *registrations.SeatsAvailability) error {
		return a.RecordOnSiteSale(kiosk, id, registrations.Seats{{SeatType: seatType, Quantity: n}})
	})
	if err != nil {
		t.Fatalf("on-site sale: %v", err)
	}
	return id
}

// RecordDuplicateCheckIn records the warning sync's merge raises when two
// kiosks checked the same seat in.
func RecordDuplicateCheckIn(t testing.TB, h *hubapp.Hub, conferenceID uuid.UUID, seat onsite.Seat, later, earlier string) {
	t.Helper()
	reg := eventsourcing.NewRegistry()
	registrations.RegisterEvents(reg)
	registrations.RegisterMergeEvents(reg)
	warnings := eventsourcing.NewRepository(h.Store, reg, registrations.NewCheckInWarnings)
	err := warnings.Update(context.Background(), registrations.CheckInWarningsStreamID(conferenceID), eventsourcing.Metadata{},
		func(w *registrations.CheckInWarnings) error {
			return w.RecordDuplicate(conferenceID, seat.String(),
				registrations.CheckInRef{EventID: ids.New(), KioskID: later}, registrations.CheckInRef{EventID: ids.New(), KioskID: earlier})
		})
	if err != nil {
		t.Fatalf("duplicate check-in: %v", err)
	}
}

// RecordCheckIn records a kiosk's check-in of a seat as it reaches the hub.
func RecordCheckIn(t testing.TB, h *hubapp.Hub, conferenceID uuid.UUID, seat onsite.Seat, kiosk string) {
	t.Helper()
	reg := eventsourcing.NewRegistry()
	onsite.RegisterEvents(reg)
	attendance := eventsourcing.NewRepository(h.Store, reg, onsite.NewAttendance)
	err := attendance.Update(context.Background(), onsite.AttendanceStreamID(seat), eventsourcing.Metadata{}, func(a *onsite.Attendance) error {
		return a.CheckIn(onsite.CheckIn{ConferenceID: conferenceID, Seat: seat, KioskID: kiosk, Staff: "door"}, time.Now())
	})
	if err != nil {
		t.Fatalf("check-in: %v", err)
	}
}
