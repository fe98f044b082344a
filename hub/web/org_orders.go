package web

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	"conference/hub/payments"
	"conference/hub/readmodels"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

// orderStatuses are the filters of the order list.
var orderStatuses = []registrations.OrderStatus{
	registrations.OrderStatusPending, registrations.OrderStatusReserved, registrations.OrderStatusConfirmed,
	registrations.OrderStatusExpired, registrations.OrderStatusRejected, registrations.OrderStatusCancelled,
}

type orderList struct {
	Orders   []readmodels.OrderView
	Query    string
	Status   string
	Statuses []registrations.OrderStatus
}

func (s *site) orderList(c echo.Context) error {
	if s.reads == nil {
		return errNoReads
	}
	conf := conferenceOf(c)
	q, status := strings.TrimSpace(c.QueryParam("q")), c.QueryParam("status")
	f := readmodels.OrdersFilter{Query: q, Limit: 200}
	for _, st := range orderStatuses {
		if string(st) == status {
			f.Status = st
		}
	}
	list, err := s.reads.Orders(c.Request().Context(), conf.ID, f)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "org_orders", view{Title: "Orders · " + conf.Name, Section: "orders", Conference: conf,
		Data: orderList{Orders: list, Query: q, Status: string(f.Status), Statuses: orderStatuses}})
}

type orderDetail struct {
	Order    registrationsapp.OrderView
	Lines    []orderLine
	Payments []payments.Payment
	Seats    []readmodels.SeatPosition
	Closed   bool
	// Cancel is the cancel form: a refused reason comes back in it with
	// its message.
	Cancel *form
}

// maxCancelReason bounds the reason kept with a cancelled order, in
// characters, like the field's maxlength.
const maxCancelReason = 500

// conferenceOrder loads :oid and checks it belongs to the conference that
// loadConference already checked belongs to the organizer.
func (s *site) conferenceOrder(c echo.Context) (registrationsapp.OrderView, bool, error) {
	id, err := uuid.Parse(c.Param("oid"))
	if err != nil {
		return registrationsapp.OrderView{}, false, s.notFound(c)
	}
	o, err := s.hub.Registrations.GetOrder(c.Request().Context(), id)
	if errors.Is(err, registrations.ErrOrderNotPlaced) || (err == nil && o.ConferenceID != conferenceOf(c).ID) {
		return o, false, s.notFound(c)
	}
	if err != nil {
		return o, false, err
	}
	return o, true, nil
}

func (s *site) orderDetail(c echo.Context) error {
	o, ok, err := s.conferenceOrder(c)
	if !ok || err != nil {
		return err
	}
	return s.renderOrgOrder(c, http.StatusOK, o, newForm(nil))
}

// renderOrgOrder draws the organizer's page of one order, with cancel as its
// cancel form.
func (s *site) renderOrgOrder(c echo.Context, status int, o registrationsapp.OrderView, cancel *form) error {
	ctx := c.Request().Context()
	conf := conferenceOf(c)
	d := orderDetail{Order: o, Cancel: cancel}
	_, _, names := s.seatNames(ctx, conf.ID)
	if sts, err := s.hub.Conferences.ListSeatTypes(ctx, conf.OrganizerID, conf.ID); err == nil {
		for _, st := range sts {
			names[st.ID] = st.Name
		}
	}
	for _, l := range o.Quote.Lines {
		d.Lines = append(d.Lines, quoteLine(names[l.SeatType], l))
	}
	var err error
	if d.Payments, err = s.hub.Payments.ForOrder(ctx, o.OrderID); err != nil {
		return err
	}
	if o.Status == registrations.OrderStatusConfirmed {
		// A walk-up order whose seats have not arrived from its kiosk yet
		// has none to show; anything else is a failure.
		if d.Seats, err = s.orderSeats(ctx, o); err != nil && registrations.ErrorCode(err) == "" {
			return err
		}
	}
	switch o.Status {
	case registrations.OrderStatusExpired, registrations.OrderStatusRejected, registrations.OrderStatusCancelled:
		d.Closed = true
	}
	return s.render(c, status, "org_order", view{Title: "Order " + o.AccessCode, Section: "orders", Conference: conf, Data: d})
}

func (s *site) cancelOrder(c echo.Context) error {
	o, ok, err := s.conferenceOrder(c)
	if !ok || err != nil {
		return err
	}
	f := newForm(formValues(c))
	reason := strings.TrimSpace(f.Get("reason"))
	if n := utf8.RuneCountInString(reason); n > maxCancelReason {
		// Cutting it would keep a reason the organizer never wrote.
		f.Fail("reason", fmt.Sprintf("Reason must be at most %d characters; this one has %d. Shorten it; the order was not cancelled.", maxCancelReason, n))
		return s.renderOrgOrder(c, http.StatusUnprocessableEntity, o, f)
	}
	if reason == "" {
		reason = "cancelled by the organizer"
	}
	err = s.hub.Registrations.CancelOrder(c.Request().Context(), o.OrderID, reason)
	switch {
	case err == nil:
		s.flash.Set(c, "Order cancelled. Its seats go back on sale and any payment is refunded.")
	case registrations.ErrorCode(err) != "":
		var de *registrations.Error
		errors.As(err, &de)
		s.flash.Set(c, "The order was not cancelled: "+de.Message+".")
	default:
		return err
	}
	return redirect(c, confURL(conferenceOf(c).ID, "/orders/"+o.OrderID.String()))
}

type attendeeList struct {
	Attendees []readmodels.AttendeeView
	Query     string
	Limit     int
}

const attendeePage = 500

func (s *site) attendeeList(c echo.Context) error {
	if s.reads == nil {
		return errNoReads
	}
	conf := conferenceOf(c)
	q := strings.TrimSpace(c.QueryParam("q"))
	list, err := s.reads.Attendees(c.Request().Context(), conf.ID, q, attendeePage, 0)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "org_attendees", view{Title: "Attendees · " + conf.Name, Section: "attendees", Conference: conf,
		Data: attendeeList{Attendees: list, Query: q, Limit: attendeePage}})
}

// attendeesCSV exports every assigned attendee (matching q, if given).
// Cells starting with a formula character are prefixed with an apostrophe
// so a spreadsheet does not run what an attendee typed as their name.
func (s *site) attendeesCSV(c echo.Context) error {
	if s.reads == nil {
		return errNoReads
	}
	conf := conferenceOf(c)
	ctx := c.Request().Context()
	q := strings.TrimSpace(c.QueryParam("q"))
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+conf.Slug+`-attendees.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write([]string{"name", "email", "company", "role", "seat_type", "access_code", "order_id", "position"})
	for offset := 0; ; offset += readmodels.MaxLimit {
		list, err := s.reads.Attendees(ctx, conf.ID, q, readmodels.MaxLimit, offset)
		if err != nil {
			s.hub.Log.Error("attendee export", "conference", conf.ID, "err", err)
			return nil // headers are sent; a cut file is the visible failure
		}
		for _, a := range list {
			_ = w.Write([]string{cell(a.Name), cell(a.Email), cell(a.Company), cell(a.Role), cell(a.SeatTypeName),
				a.AccessCode, a.OrderID.String(), strconv.Itoa(a.Position + 1)})
		}
		if len(list) < readmodels.MaxLimit {
			break
		}
	}
	w.Flush()
	return w.Error()
}

func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (s *site) waitlist(c echo.Context) error {
	if s.reads == nil {
		return errNoReads
	}
	conf := conferenceOf(c)
	list, err := s.reads.Waitlist(c.Request().Context(), conf.ID)
	if err != nil {
		return err
	}
	page := waitlistList{Window: inWords(s.hub.Registrations.WaitlistOfferWindow())}
	now := s.hub.Now()
	for _, e := range list {
		page.Rows = append(page.Rows, waitlistRow{WaitlistEntryView: e, State: e.Offer(now), Conference: conf})
	}
	return s.render(c, http.StatusOK, "org_waitlist", view{Title: "Waitlist · " + conf.Name, Section: "waitlist", Conference: conf, Data: page})
}

// waitlistList is the organizer's waitlist: every entry with its offer.
type waitlistList struct {
	Rows   []waitlistRow
	Window string
}

// waitlistRow is an entry, where its offer stands, and its conference
// (for the order link and the time zone).
type waitlistRow struct {
	readmodels.WaitlistEntryView
	State      registrations.OfferState
	Conference *conferences.Conference
}
