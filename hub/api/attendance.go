package api

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/shared/registrations"
)

// The people of a conference beyond its orders: who waits for a sold-out
// seat type (with the offers made to them), and who came through the door
// (check-ins from the kiosks, and how many of each seat type sold).

// waitlistEntryJSON is one registrant waiting for seats of a seat type.
type waitlistEntryJSON struct {
	ID           uuid.UUID                    `json:"id"`
	SeatType     uuid.UUID                    `json:"seat_type"`
	SeatTypeName string                       `json:"seat_type_name"`
	Quantity     int                          `json:"quantity"`
	Name         string                       `json:"name"`
	Email        string                       `json:"email"`
	Status       registrations.WaitlistStatus `json:"status"`
	// Place is the 1-based place in line among those still waiting;
	// null for entries no longer waiting.
	Place          *int       `json:"place"`
	OfferedSeats   int        `json:"offered_seats"`
	OfferExpiresAt *time.Time `json:"offer_expires_at"`
	JoinedAt       time.Time  `json:"joined_at"`
	// OfferState says where the offer stands now; OrderID and OrderStatus
	// are the order a taken offer became (null before it is listed).
	OfferState  registrations.OfferState `json:"offer_state"`
	OrderID     *uuid.UUID               `json:"order_id"`
	OrderStatus *string                  `json:"order_status"`
}

func (a *api) handleListWaitlist(c echo.Context) error {
	confID, err := a.ownConference(c)
	if err != nil {
		return err
	}
	list, err := a.rm.Waitlist(c.Request().Context(), confID)
	if err != nil {
		return err
	}
	out := make([]waitlistEntryJSON, 0, len(list))
	now := a.h.Now()
	for _, w := range list {
		e := waitlistEntryJSON{
			ID: w.EntryID, SeatType: w.SeatType, SeatTypeName: w.SeatTypeName, Quantity: w.Quantity, Name: w.Name, Email: w.Email,
			Status: w.Status, OfferedSeats: w.OfferedSeats, OfferExpiresAt: optionalTime(w.OfferExpiresAt), JoinedAt: w.JoinedAt,
			OfferState: w.Offer(now),
		}
		if w.Place > 0 {
			place := w.Place
			e.Place = &place
		}
		if w.OrderStatus != "" {
			id, status := w.EntryID, string(w.OrderStatus)
			e.OrderID, e.OrderStatus = &id, &status
		}
		out = append(out, e)
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": out})
}

// seatTypeAttendanceJSON is how many sold seats of a seat type were
// checked in.
type seatTypeAttendanceJSON struct {
	SeatType  uuid.UUID `json:"seat_type"`
	Name      string    `json:"name"`
	Sold      int       `json:"sold"`
	CheckedIn int       `json:"checked_in"`
}

type attendanceJSON struct {
	SeatTypes []seatTypeAttendanceJSON `json:"seat_types"`
	Sold      int                      `json:"sold"`
	CheckedIn int                      `json:"checked_in"`
}

func (a *api) handleAttendance(c echo.Context) error {
	confID, err := a.ownConference(c)
	if err != nil {
		return err
	}
	v, err := a.rm.Attendance(c.Request().Context(), confID)
	if err != nil {
		return err
	}
	out := attendanceJSON{SeatTypes: make([]seatTypeAttendanceJSON, 0, len(v.SeatTypes)), Sold: v.Sold, CheckedIn: v.CheckedIn}
	for _, st := range v.SeatTypes {
		out.SeatTypes = append(out.SeatTypes, seatTypeAttendanceJSON{SeatType: st.SeatType, Name: st.Name, Sold: st.Sold, CheckedIn: st.CheckedIn})
	}
	return c.JSON(http.StatusOK, out)
}

// checkInJSON is a seat checked in at the door: the first check-in, and
// how many were recorded.
type checkInJSON struct {
	OrderID      uuid.UUID  `json:"order_id"`
	AccessCode   *string    `json:"access_code"`
	Position     int        `json:"position"`
	SeatType     *uuid.UUID `json:"seat_type"`
	SeatTypeName string     `json:"seat_type_name"`
	Name         string     `json:"name"`
	Email        string     `json:"email"`
	Company      string     `json:"company"`
	KioskID      string     `json:"kiosk_id"`
	KioskName    *string    `json:"kiosk_name"`
	Staff        string     `json:"staff"`
	CheckedInAt  time.Time  `json:"checked_in_at"`
	CheckIns     int        `json:"check_ins"`
}

func (a *api) handleListCheckIns(c echo.Context) error {
	ctx := c.Request().Context()
	l, err := a.listOf(c)
	if err != nil {
		return err
	}
	names, err := a.kioskNames(ctx, organizerOf(c), l.conferenceID)
	if err != nil {
		return err
	}
	list, err := a.rm.CheckIns(ctx, l.conferenceID, l.query, l.limit, l.offset)
	if err != nil {
		return err
	}
	out := make([]checkInJSON, 0, len(list))
	for _, v := range list {
		ci := checkInJSON{
			OrderID: v.OrderID, Position: v.Position, SeatTypeName: v.SeatTypeName, Name: v.Name, Email: v.Email, Company: v.Company,
			KioskID: v.KioskID, KioskName: names.of(v.KioskID), Staff: v.Staff, CheckedInAt: v.At, CheckIns: v.CheckIns,
		}
		if v.AccessCode != "" {
			code := v.AccessCode
			ci.AccessCode = &code
		}
		if v.SeatType != uuid.Nil {
			st := v.SeatType
			ci.SeatType = &st
		}
		out = append(out, ci)
	}
	return c.JSON(http.StatusOK, map[string]any{"check_ins": out})
}
