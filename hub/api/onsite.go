package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/readmodels"
	"conference/shared/registrations"
)

// What sync surfaces at the venue, for the organizer: seat-quota conflicts
// (sales kiosks made offline past what the quota could hold), resolved
// here, and duplicate check-ins (one attendee let in on two kiosks), which
// are warnings only: both check-ins stand.

// conflictOrderJSON is an order a conflict names.
type conflictOrderJSON struct {
	OrderID    uuid.UUID `json:"order_id"`
	AccessCode *string   `json:"access_code"` // null until the order is projected
	Name       string    `json:"name"`
	Seats      int       `json:"seats"`
}

// resolutionJSON is how the organizer resolved a conflict.
type resolutionJSON struct {
	Kind          registrations.ResolutionKind    `json:"kind"`
	MovedTo       *uuid.UUID                      `json:"moved_to"`
	MovedToName   string                          `json:"moved_to_name"`
	QuotaRaisedBy int                             `json:"quota_raised_by"`
	TakenBack     []registrations.OrderSeatChange `json:"taken_back"`
	Note          string                          `json:"note"`
}

// seatConflictJSON is one seat-quota conflict.
type seatConflictJSON struct {
	Number       int                 `json:"number"`
	Status       string              `json:"status"`
	SeatType     uuid.UUID           `json:"seat_type"`
	SeatTypeName string              `json:"seat_type_name"`
	Over         int                 `json:"over"`
	KioskID      string              `json:"kiosk_id"`
	KioskName    *string             `json:"kiosk_name"`
	Orders       []conflictOrderJSON `json:"orders"`
	Resolution   *resolutionJSON     `json:"resolution"`
}

// kioskNames names the conference's kiosks by id, for answers that say
// where something happened.
type kioskNames map[string]string

func (n kioskNames) of(id string) *string {
	if name, ok := n[id]; ok {
		return &name
	}
	return nil
}

func (a *api) kioskNames(ctx context.Context, organizerID, conferenceID uuid.UUID) (kioskNames, error) {
	list, err := a.h.Kiosks.List(ctx, organizerID, conferenceID)
	if err != nil {
		return nil, err
	}
	out := kioskNames{}
	for _, k := range list {
		out[k.ID] = k.Name
	}
	return out, nil
}

func toSeatConflictJSON(v readmodels.SeatConflictView, names kioskNames) seatConflictJSON {
	out := seatConflictJSON{
		Number: v.Number, Status: "open", SeatType: v.SeatType, SeatTypeName: v.SeatTypeName, Over: v.Over,
		KioskID: v.KioskID, KioskName: names.of(v.KioskID), Orders: []conflictOrderJSON{},
	}
	for _, o := range v.Orders {
		co := conflictOrderJSON{OrderID: o.OrderID, Name: o.Name, Seats: o.Seats}
		if o.AccessCode != "" {
			code := o.AccessCode
			co.AccessCode = &code
		}
		out.Orders = append(out.Orders, co)
	}
	if v.Open() {
		return out
	}
	out.Status = "resolved"
	r := &resolutionJSON{Kind: v.Resolution, MovedToName: v.MovedToName, QuotaRaisedBy: v.QuotaRaisedBy, TakenBack: v.TakenBack, Note: v.Note}
	if v.MovedTo != uuid.Nil {
		moved := v.MovedTo
		r.MovedTo = &moved
	}
	if r.TakenBack == nil {
		r.TakenBack = []registrations.OrderSeatChange{}
	}
	out.Resolution = r
	return out
}

// conflicts lists the conference's conflicts as the API shows them.
func (a *api) conflicts(ctx context.Context, organizerID, conferenceID uuid.UUID) ([]seatConflictJSON, error) {
	names, err := a.kioskNames(ctx, organizerID, conferenceID)
	if err != nil {
		return nil, err
	}
	list, err := a.rm.SeatConflicts(ctx, conferenceID)
	if err != nil {
		return nil, err
	}
	out := make([]seatConflictJSON, 0, len(list))
	for _, v := range list {
		out = append(out, toSeatConflictJSON(v, names))
	}
	return out, nil
}

func (a *api) handleListConflicts(c echo.Context) error {
	confID, err := a.ownConference(c)
	if err != nil {
		return err
	}
	out, err := a.conflicts(c.Request().Context(), organizerOf(c), confID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"conflicts": out})
}

// resolutionInput is the body of POST .../conflicts/{number}/resolve.
type resolutionInput struct {
	Kind       string `json:"kind"`
	ToSeatType *ID    `json:"to_seat_type"`
	Note       string `json:"note"`
}

var resolutionKinds = []registrations.ResolutionKind{
	registrations.ResolveRaiseQuota, registrations.ResolveMoveSeats, registrations.ResolveWaitlist, registrations.ResolveRefund,
}

func (in resolutionInput) resolution() (registrations.Resolution, error) {
	r := registrations.Resolution{Kind: registrations.ResolutionKind(in.Kind), Note: strings.TrimSpace(in.Note)}
	known := false
	for _, k := range resolutionKinds {
		known = known || k == r.Kind
	}
	switch {
	case !known:
		return r, invalid("kind", "must be raise_quota, move_seats, waitlist or refund")
	case utf8.RuneCountInString(r.Note) > 500:
		return r, invalid("note", "must be at most 500 characters")
	case r.Kind == registrations.ResolveMoveSeats && in.ToSeatType == nil:
		return r, invalid("to_seat_type", "is required to move the seats")
	case r.Kind != registrations.ResolveMoveSeats && in.ToSeatType != nil:
		return r, invalid("to_seat_type", "is only for move_seats")
	}
	if in.ToSeatType != nil {
		r.ToSeatType = uuid.UUID(*in.ToSeatType)
	}
	return r, nil
}

// handleResolveConflict records the organizer's resolution (an event sync
// carries to the kiosks) and answers with the resolved conflict.
func (a *api) handleResolveConflict(c echo.Context) error {
	ctx := c.Request().Context()
	confID, err := a.ownConference(c)
	if err != nil {
		return err
	}
	number, err := strconv.Atoi(c.Param("number"))
	if err != nil || number < 1 {
		return notFound("conflict")
	}
	var in resolutionInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	res, err := in.resolution()
	if err != nil {
		return err
	}
	_, err = a.h.ResolveSeatConflict(ctx, organizerOf(c), confID, number, res)
	switch {
	case errors.Is(err, registrations.ErrConflictNotFound):
		return notFound("conflict")
	case errors.Is(err, registrations.ErrConflictResolved):
		return apiErr(http.StatusConflict, CodeConflictResolved, "", "conflict %d is resolved already", number)
	case errors.Is(err, registrations.ErrNotEnoughSeats):
		return apiErr(http.StatusConflict, CodeNotEnoughSeats, "to_seat_type", "the seat type has not enough free seats for them; raise its quota first")
	case registrations.ErrorCode(err) == registrations.CodeInvalid || registrations.ErrorCode(err) == registrations.CodeNotFound:
		var de *registrations.Error
		errors.As(err, &de)
		return invalid("to_seat_type", "%s", de.Message)
	case err != nil:
		return err
	}
	// Read your write: the conflict comes from the read models.
	if err := a.waitForHead(ctx); err != nil {
		return err
	}
	list, err := a.conflicts(ctx, organizerOf(c), confID)
	if err != nil {
		return err
	}
	for _, v := range list {
		if v.Number == number {
			return c.JSON(http.StatusOK, v)
		}
	}
	return notFound("conflict")
}

// waitForHead waits until the read models reflect every event appended so
// far, so an answer shows the caller's own write.
func (a *api) waitForHead(ctx context.Context) error {
	head, err := a.h.Store.Head(ctx)
	if err != nil {
		return err
	}
	return a.rm.WaitFor(ctx, head)
}

// checkInRefJSON is one check-in a duplicate warning names.
type checkInRefJSON struct {
	EventID   uuid.UUID `json:"event_id"`
	KioskID   string    `json:"kiosk_id"`
	KioskName *string   `json:"kiosk_name"`
}

// duplicateCheckInJSON is a warning that an attendee was let in on two
// kiosks; both check-ins stand.
type duplicateCheckInJSON struct {
	Attendee   string         `json:"attendee"`
	OrderID    uuid.UUID      `json:"order_id"`
	Position   int            `json:"position"`
	Name       string         `json:"name"`
	AccessCode *string        `json:"access_code"`
	CheckIn    checkInRefJSON `json:"check_in"`
	Earlier    checkInRefJSON `json:"earlier"`
}

func (a *api) handleListDuplicateCheckIns(c echo.Context) error {
	ctx := c.Request().Context()
	confID, err := a.ownConference(c)
	if err != nil {
		return err
	}
	names, err := a.kioskNames(ctx, organizerOf(c), confID)
	if err != nil {
		return err
	}
	list, err := a.rm.DuplicateCheckIns(ctx, confID)
	if err != nil {
		return err
	}
	out := make([]duplicateCheckInJSON, 0, len(list))
	for _, v := range list {
		d := duplicateCheckInJSON{Attendee: v.Attendee, OrderID: v.OrderID, Position: v.Position, Name: v.Name,
			CheckIn: checkInRefJSON{EventID: v.CheckIn.EventID, KioskID: v.CheckIn.KioskID, KioskName: names.of(v.CheckIn.KioskID)},
			Earlier: checkInRefJSON{EventID: v.Earlier.EventID, KioskID: v.Earlier.KioskID, KioskName: names.of(v.Earlier.KioskID)}}
		if v.AccessCode != "" {
			code := v.AccessCode
			d.AccessCode = &code
		}
		out = append(out, d)
	}
	return c.JSON(http.StatusOK, map[string]any{"duplicate_check_ins": out})
}
