package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/payments"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
	"conference/shared/webui"
)

// orderPage is the registrant's order: what was reserved, the countdown,
// the registrant's details, payment, the access code and the attendees.
type orderPage struct {
	Order      registrationsapp.OrderView
	Conference string
	Slug       string
	// Location is the conference's time zone: times show in it.
	Location *time.Location
	Lines    []orderLine
	// Missing lists what was asked for but could not be reserved.
	Missing  []orderLine
	Form     *form
	Payment  *payments.Payment
	Rejected bool // the last payment attempt was declined
}

type orderLine struct {
	Name     string
	Quantity int
	Unit     registrations.Money
	Total    registrations.Money
}

// quoteLine is the row of a quote's line on an order page. It shows the
// line before any discount: the discount row below the lines takes off
// every discount (per seat type and order-wide), so the rows add up to
// the total as the reader sums them.
func quoteLine(name string, l registrations.OrderLine) orderLine {
	return orderLine{Name: name, Quantity: l.Quantity, Unit: l.UnitPrice, Total: l.Subtotal}
}

// seatNames names the conference and its seat types for an order page,
// from the read models (which keep unpublished conferences too) or, on a
// hub without them, from what is on sale.
// conferenceLocation is the time zone of a conference, for registrant
// pages: from the read models, or Conference Management's published list
// when the hub runs without them. UTC when unknown.
func (s *site) conferenceLocation(ctx context.Context, conferenceID uuid.UUID) *time.Location {
	if s.reads != nil {
		c, err := s.reads.Conference(ctx, conferenceID)
		if err != nil {
			return time.UTC
		}
		if loc, err := time.LoadLocation(c.TimeZone); err == nil {
			return loc
		}
		return time.UTC
	}
	if list, err := s.hub.Conferences.ListPublished(ctx); err == nil {
		for _, c := range list {
			if c.ID == conferenceID {
				return c.Location()
			}
		}
	}
	return time.UTC
}

func (s *site) seatNames(ctx context.Context, conferenceID uuid.UUID) (name, slug string, names map[uuid.UUID]string) {
	names = map[uuid.UUID]string{}
	if s.reads != nil {
		if c, err := s.reads.Conference(ctx, conferenceID); err == nil {
			name, slug = c.Name, c.Slug
		}
		if sts, err := s.reads.SeatTypes(ctx, conferenceID); err == nil {
			for _, st := range sts {
				names[st.SeatTypeID] = st.Name
			}
		}
		return name, slug, names
	}
	if list, err := s.hub.Conferences.ListPublished(ctx); err == nil {
		for _, c := range list {
			if c.ID == conferenceID {
				name, slug = c.Name, c.Slug
			}
		}
	}
	if sts, err := s.hub.Conferences.ListPublishedSeatTypes(ctx, conferenceID); err == nil {
		for _, st := range sts {
			names[st.ID] = st.Name
		}
	}
	return name, slug, names
}

func (s *site) orderView(ctx context.Context, o registrationsapp.OrderView) (*orderPage, error) {
	p := &orderPage{Order: o, Form: newForm(nil)}
	var names map[uuid.UUID]string
	p.Conference, p.Slug, names = s.seatNames(ctx, o.ConferenceID)
	p.Location = s.conferenceLocation(ctx, o.ConferenceID)
	name := func(id uuid.UUID) string {
		if n, ok := names[id]; ok {
			return n
		}
		return "Seat"
	}
	for _, l := range o.Quote.Lines {
		p.Lines = append(p.Lines, quoteLine(name(l.SeatType), l))
	}
	if o.Partial {
		for _, q := range o.Requested {
			if missing := q.Quantity - o.Reserved.Get(q.SeatType); missing > 0 {
				p.Missing = append(p.Missing, orderLine{Name: name(q.SeatType), Quantity: missing})
			}
		}
	}
	p.Form.Values.Set("name", o.Name)
	p.Form.Values.Set("email", o.Email)
	pays, err := s.hub.Payments.ForOrder(ctx, o.OrderID)
	if err != nil {
		return nil, err
	}
	if n := len(pays); n > 0 {
		last := pays[n-1]
		p.Payment = &last
		p.Rejected = last.Status == payments.StatusRejected
	}
	return p, nil
}

func (s *site) orderPage(c echo.Context) error {
	if id, err := uuid.Parse(c.Param("oid")); err == nil && !s.grants.has(c, id) {
		// The order's link opened in another browser (from its mail, say):
		// the access code and email open it here. Still a 404: the link
		// alone says nothing about the order.
		return s.render(c, http.StatusNotFound, "find", view{Title: "Find your order", Section: "find", Data: newForm(nil),
			Flash: "To open an order in this browser, enter its access code (in your confirmation mail) and your email."})
	}
	o, ok, err := s.orderFor(c)
	if !ok || err != nil {
		return err
	}
	p, err := s.orderView(c.Request().Context(), o)
	if err != nil {
		return err
	}
	return s.renderOrder(c, http.StatusOK, p)
}

func (s *site) renderOrder(c echo.Context, status int, p *orderPage) error {
	title := "Your order"
	if p.Conference != "" {
		title += " · " + p.Conference
	}
	return s.render(c, status, "order", view{Title: title, Section: "home", Data: p})
}

// orderState is what the order page's script polls: the status and expiry,
// so the page reloads when the process moves the order on.
func (s *site) orderState(c echo.Context) error {
	o, ok, err := s.orderFor(c)
	if !ok || err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{
		"status": o.Status, "expires_at": o.ExpiresAt.UTC().Format(time.RFC3339),
		"payment_pending": o.PaymentPending, "name": o.Name != "",
	})
}

func (s *site) setRegistrant(c echo.Context) error {
	o, ok, err := s.orderFor(c)
	if !ok || err != nil {
		return err
	}
	ctx := c.Request().Context()
	f := newForm(formValues(c))
	name, email := strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("email"))
	// The domain checks both fields and names every one at fault, so the
	// form shows all its errors at once.
	err = s.hub.Registrations.SetRegistrant(ctx, o.OrderID, name, email)
	switch {
	case err == nil:
		s.flash.Set(c, "Thank you, "+name+".")
		next := "#pay"
		if o.Quote.Total.IsZero() {
			next = ""
		}
		return redirect(c, "/orders/"+o.OrderID.String()+next)
	case errors.Is(err, registrations.ErrOrderClosed):
		f.Fail("name", "This order is closed: it expired or was cancelled.")
	case !failFields(f, err, registrantHints, ""):
		return err
	}
	p, err := s.orderView(ctx, o)
	if err != nil {
		return err
	}
	p.Form = f
	return s.renderOrder(c, http.StatusUnprocessableEntity, p)
}

// registrantHints say what an empty field of the registrant form is for.
var registrantHints = map[string]string{
	"name":  "Enter your name.",
	"email": "Enter your email: you need it with the access code to find your order.",
}

// failFields puts each field the registrations domain refused next to its
// field, field+suffix in the form ("name_2" for the third seat's name); an
// empty field gets its hint from hints when there is one. It reports
// whether err named any field.
func failFields(f *form, err error, hints map[string]string, suffix string) bool {
	fes := fieldErrors(err)
	for _, fe := range fes {
		key := fe.Field + suffix
		if hint, ok := hints[fe.Field]; ok && strings.TrimSpace(f.Get(key)) == "" {
			f.Fail(key, hint)
			continue
		}
		f.Fail(key, capitalize(fe.Message)+".")
	}
	return len(fes) > 0
}

// fieldErrors are the registrations domain's refusals of err that name
// their field.
func fieldErrors(err error) []*registrations.Error {
	var out []*registrations.Error
	for _, e := range webui.ErrorsOf[*registrations.Error](err) {
		if e.Field != "" {
			out = append(out, e)
		}
	}
	return out
}

// paymentWait bounds how long "Pay" waits for the processor to have opened
// the order's payment.
const paymentWait = 3 * time.Second

// startPayment sends the registrant to the payment processor's page for
// the order's payment (a new attempt after a declined one).
func (s *site) startPayment(c echo.Context) error {
	o, ok, err := s.orderFor(c)
	if !ok || err != nil {
		return err
	}
	back := "/orders/" + o.OrderID.String()
	switch {
	case o.Status != registrations.OrderStatusReserved || !o.PaymentPending:
		s.flash.Set(c, "This order has nothing to pay now.")
		return redirect(c, back)
	case o.Name == "" || o.Email == "":
		s.flash.Set(c, "Enter your name and email first.")
		return redirect(c, back+"#registrant")
	}
	// The process asks Payments once the details are saved: wait a moment
	// for a registrant who pressed "Pay" right away.
	pay, err := s.hub.Payments.StartWithin(c.Request().Context(), o.OrderID, paymentWait)
	if errors.Is(err, payments.ErrNotFound) {
		s.flash.Set(c, "The payment is being prepared. Try again in a moment.")
		return redirect(c, back)
	}
	if err != nil {
		return err
	}
	return redirect(c, "/pay/"+pay.ID.String())
}

// paymentView is the fake processor's page.
type paymentView struct {
	Payment payments.Payment
	Back    string
}

// payment finds the payment in the URL; the registrant reaches it only for
// an order this browser may open.
func (s *site) payment(c echo.Context) (payments.Payment, bool, error) {
	id, err := uuid.Parse(c.Param("pid"))
	if err != nil {
		return payments.Payment{}, false, s.notFound(c)
	}
	pay, err := s.hub.Payments.Get(c.Request().Context(), id)
	if errors.Is(err, payments.ErrNotFound) || (err == nil && !s.grants.has(c, pay.OrderID)) {
		return payments.Payment{}, false, s.notFound(c)
	}
	if err != nil {
		return payments.Payment{}, false, err
	}
	return pay, true, nil
}

func (s *site) paymentPage(c echo.Context) error {
	pay, ok, err := s.payment(c)
	if !ok || err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "payment", view{Title: "Pay " + formatMoney(pay.Amount), Section: "pay",
		Data: paymentView{Payment: pay, Back: "/orders/" + pay.OrderID.String()}})
}

func (s *site) decidePayment(c echo.Context) error {
	pay, ok, err := s.payment(c)
	if !ok || err != nil {
		return err
	}
	ctx := c.Request().Context()
	back := "/orders/" + pay.OrderID.String()
	switch c.FormValue("decision") {
	case "accept":
		_, err = s.hub.Payments.Accept(ctx, pay.ID)
		if err == nil {
			s.flash.Set(c, "Payment accepted. Confirming your order…")
		}
	case "reject":
		_, err = s.hub.Payments.Reject(ctx, pay.ID)
		if err == nil {
			s.flash.Set(c, "The payment was declined. Your seats stay reserved until the time runs out: you can try again.")
		}
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "Choose to accept or to decline the payment.")
	}
	if errors.Is(err, payments.ErrConflict) {
		s.flash.Set(c, "This payment was already "+string(pay.Status)+".")
		return redirect(c, back)
	}
	if err != nil {
		return err
	}
	return redirect(c, back)
}
