package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	"conference/hub/readmodels"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

// readModels is the part of *readmodels.Models the API lists and searches
// with: order lists, attendee lists, access-code lookup.
type readModels interface {
	Orders(ctx context.Context, conferenceID uuid.UUID, f readmodels.OrdersFilter) ([]readmodels.OrderView, error)
	Attendees(ctx context.Context, conferenceID uuid.UUID, query string, limit, offset int) ([]readmodels.AttendeeView, error)
	OrderByAccessCode(ctx context.Context, code, email string) (readmodels.OrderView, error)
	SeatTypes(ctx context.Context, conferenceID uuid.UUID) ([]readmodels.SeatTypeView, error)
	PublishedConferences(ctx context.Context) ([]readmodels.ConferenceView, error)
	ConferenceBySlug(ctx context.Context, slug string) (readmodels.ConferenceView, error)
	WaitFor(ctx context.Context, position int64) error
	PromoCodeUse(ctx context.Context, conferenceID uuid.UUID) ([]readmodels.PromoCodeUseView, error)
	Waitlist(ctx context.Context, conferenceID uuid.UUID) ([]readmodels.WaitlistEntryView, error)
	SeatConflicts(ctx context.Context, conferenceID uuid.UUID) ([]readmodels.SeatConflictView, error)
	DuplicateCheckIns(ctx context.Context, conferenceID uuid.UUID) ([]readmodels.DuplicateCheckInView, error)
	CheckIns(ctx context.Context, conferenceID uuid.UUID, query string, limit, offset int) ([]readmodels.CheckInView, error)
	Attendance(ctx context.Context, conferenceID uuid.UUID) (readmodels.AttendanceView, error)
}

var _ readModels = (*readmodels.Models)(nil)

// ownConference checks the :conferenceID of the path belongs to the
// caller; another tenant's conference is not found, as if absent.
func (a *api) ownConference(c echo.Context) (uuid.UUID, error) {
	conf, err := a.ownConferenceRecord(c)
	if err != nil {
		return uuid.Nil, err
	}
	return conf.ID, nil
}

// ownConferenceRecord is ownConference with the conference's details.
func (a *api) ownConferenceRecord(c echo.Context) (*conferences.Conference, error) {
	id, err := pathID(c, "conferenceID", "conference")
	if err != nil {
		return nil, err
	}
	return a.h.Conferences.GetConference(c.Request().Context(), organizerOf(c), id)
}

// conferenceOrder is the :orderID of one of the caller's conferences.
func (a *api) conferenceOrder(c echo.Context) (registrationsapp.OrderView, error) {
	confID, err := a.ownConference(c)
	if err != nil {
		return registrationsapp.OrderView{}, err
	}
	orderID, err := pathID(c, "orderID", "order")
	if err != nil {
		return registrationsapp.OrderView{}, err
	}
	v, err := a.h.Registrations.GetOrder(c.Request().Context(), orderID)
	if registrations.ErrorCode(err) == registrations.CodeNotFound || (err == nil && v.ConferenceID != confID) {
		return v, notFound("order")
	}
	return v, err
}

func (a *api) handleGetConferenceOrder(c echo.Context) error {
	v, err := a.conferenceOrder(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toOrderJSON(v, true))
}

func (a *api) handleCancelOrder(c echo.Context) error {
	v, err := a.conferenceOrder(c)
	if err != nil {
		return err
	}
	var in cancelInput
	if err := decodeOptional(c, &in); err != nil {
		return err
	}
	if err := a.h.Registrations.CancelOrder(c.Request().Context(), v.OrderID, in.reason("cancelled by the organizer")); err != nil {
		return orderError(v, err)
	}
	v, err = a.h.Registrations.GetOrder(c.Request().Context(), v.OrderID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toOrderJSON(v, true))
}

// listQuery is what a list of one of the caller's conferences reads from
// the request: the conference, ?limit=, ?offset= and the search text ?q=.
type listQuery struct {
	conferenceID  uuid.UUID
	limit, offset int
	query         string
}

func (a *api) listOf(c echo.Context) (listQuery, error) {
	confID, err := a.ownConference(c)
	if err != nil {
		return listQuery{}, err
	}
	limit, offset, err := listPage(c)
	if err != nil {
		return listQuery{}, err
	}
	q, err := searchText(c)
	if err != nil {
		return listQuery{}, err
	}
	return listQuery{conferenceID: confID, limit: limit, offset: offset, query: q}, nil
}

// listPage reads ?limit= and ?offset=.
func listPage(c echo.Context) (limit, offset int, err error) {
	if s := c.QueryParam("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > readmodels.MaxLimit {
			return 0, 0, invalid("limit", "must be a whole number from 1 to %d", readmodels.MaxLimit)
		}
	}
	if s := c.QueryParam("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 || offset > 10_000_000 {
			return 0, 0, invalid("offset", "must be a whole number from 0")
		}
	}
	return limit, offset, nil
}

func searchText(c echo.Context) (string, error) {
	q := c.QueryParam("q")
	if len(q) > 200 {
		return "", invalid("q", "must be at most 200 characters")
	}
	return q, nil
}

// handleListOrders lists a conference's orders, newest first, filtered by
// ?status= and searched by ?q= (access code, email or name).
func (a *api) handleListOrders(c echo.Context) error {
	l, err := a.listOf(c)
	if err != nil {
		return err
	}
	status := c.QueryParam("status")
	if status != "" && !knownStatus(status) {
		return invalid("status", "must be an order status: pending, reserved, confirmed, expired, rejected or cancelled")
	}
	rm := a.rm
	list, err := rm.Orders(c.Request().Context(), l.conferenceID, readmodels.OrdersFilter{
		Status: registrations.OrderStatus(status), Query: l.query, Limit: l.limit, Offset: l.offset,
	})
	if err != nil {
		return err
	}
	out := make([]orderJSON, 0, len(list))
	for _, v := range list {
		out = append(out, readOrderJSON(v, true))
	}
	return c.JSON(http.StatusOK, map[string]any{"orders": out})
}

// readOrderJSON is orderJSON from the order read model.
func readOrderJSON(v readmodels.OrderView, withCode bool) orderJSON {
	lines := make([]registrations.OrderLine, 0, len(v.Lines))
	names := map[uuid.UUID]string{}
	for _, l := range v.Lines {
		lines = append(lines, l.OrderLine)
		names[l.SeatType] = l.Name
	}
	out := toOrderJSON(registrationsapp.OrderView{
		OrderID: v.OrderID, ConferenceID: v.ConferenceID, Status: v.Status, Requested: v.Requested, Reserved: v.Reserved,
		Partial: v.Partial, AccessCode: v.AccessCode, ExpiresAt: v.ExpiresAt, Name: v.Name, Email: v.Email,
		PaymentPending: v.PaymentPending, Reason: v.Reason,
		Quote: registrations.Quote{Lines: lines, Subtotal: v.Subtotal, Discount: v.Discount, Total: v.Total, PromoCode: v.PromoCode},
	}, withCode)
	for i := range out.Lines {
		out.Lines[i].Name = names[out.Lines[i].SeatType]
	}
	return out
}

// attendeeJSON is an assigned seat of a confirmed order.
type attendeeJSON struct {
	OrderID      uuid.UUID `json:"order_id"`
	AccessCode   string    `json:"access_code"`
	Position     int       `json:"position"`
	SeatType     uuid.UUID `json:"seat_type"`
	SeatTypeName string    `json:"seat_type_name"`
	registrations.Attendee
}

func (a *api) handleListAttendees(c echo.Context) error {
	l, err := a.listOf(c)
	if err != nil {
		return err
	}
	rm := a.rm
	list, err := rm.Attendees(c.Request().Context(), l.conferenceID, l.query, l.limit, l.offset)
	if err != nil {
		return err
	}
	out := make([]attendeeJSON, 0, len(list))
	for _, v := range list {
		out = append(out, attendeeJSON{
			OrderID: v.OrderID, AccessCode: v.AccessCode, Position: v.Position, SeatType: v.SeatType,
			SeatTypeName: v.SeatTypeName, Attendee: v.Attendee,
		})
	}
	return c.JSON(http.StatusOK, map[string]any{"attendees": out})
}

// lookupInput is the body of POST /orders/lookup.
type lookupInput struct {
	AccessCode string `json:"access_code"`
	Email      string `json:"email"`
}

// handleLookupOrder finds an order by its access code and the registrant's
// email. A miss costs one guess at the code, one at the email and one of
// the client IP (a.guesses), and every miss looks the same; a look-up
// that finds the order costs nothing.
func (a *api) handleLookupOrder(c echo.Context) error {
	var in lookupInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := checkEmail("email", in.Email); err != nil {
		return err // no order has such an address: not a guess
	}
	guess, wait := a.guesses.Try(a.clientIP(c), readmodels.GuessTargets(in.AccessCode, in.Email)...)
	if guess == nil {
		return rateLimited(wait)
	}
	v, err := a.lookup(c.Request().Context(), in)
	var ae *Error
	if errors.Is(err, readmodels.ErrNotFound) || (errors.As(err, &ae) && ae.Status == http.StatusNotFound) {
		guess.Wrong()
		return notFound("order")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// lookup is the access-code lookup behind the rate limit: the part the
// fuzz test drives.
func (a *api) lookup(ctx context.Context, in lookupInput) (orderJSON, error) {
	if len(in.AccessCode) > 64 || len(in.Email) > 320 {
		return orderJSON{}, notFound("order")
	}
	rm := a.rm
	// Read our own writes: a registrant who just set their email finds
	// the order at once.
	head, err := a.h.Store.Head(ctx)
	if err != nil {
		return orderJSON{}, err
	}
	if err := rm.WaitFor(ctx, head); err != nil {
		return orderJSON{}, err
	}
	v, err := rm.OrderByAccessCode(ctx, in.AccessCode, in.Email)
	if err != nil {
		return orderJSON{}, err
	}
	// The answer carries the code: the caller proved they know it, and
	// the order endpoints want it.
	return readOrderJSON(v, true), nil
}
