package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/kiosk"
	"conference/kiosk/readmodel"
	"conference/shared/contact"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/shared/webui"
)

// saleLine is a seat type the kiosk sells, as the sale form offers it.
type saleLine struct {
	readmodel.InventoryLine
	Conference string
	Checked    bool
}

type saleData struct {
	Lines  []saleLine
	Values url.Values
	Error  string
	// Problems holds one message per field at fault, shown next to it:
	// every one at once.
	Problems map[string]string
	// Refused is set when the kiosk refused the sale (policy, allocation).
	Refused bool
}

// Problem is the message of the field at fault, "" if none.
func (d saleData) Problem(field string) string { return d.Problems[field] }

// fieldProblem is what the "problem" template draws next to a field.
type fieldProblem struct{ Field, Message string }

func problemOf(d saleData, field string) fieldProblem {
	return fieldProblem{Field: field, Message: d.Problem(field)}
}

// Get is what was typed in a field.
func (d saleData) Get(name string) string { return d.Values.Get(name) }

// Payment reports whether method is the chosen payment.
func (d saleData) Payment(method string) bool { return d.Values.Get("payment") == method }

// PrintBadge reports whether the badge is to be printed (the default).
func (d saleData) PrintBadge() bool { return d.Values.Get("print") != "" }

// sellable lists the seat types of the kiosk's conferences sold at kiosks.
func (s *site) sellable(chosen []string) []saleLine {
	id, _ := s.k.Identity()
	var out []saleLine
	for _, conf := range id.Conferences {
		info, _ := s.k.Model().Conference(conf)
		for _, l := range s.k.Model().Inventory(conf) {
			if l.Policy.SellableAtKiosks {
				out = append(out, saleLine{InventoryLine: l, Conference: info.Name, Checked: slices.Contains(chosen, l.SeatType.String())})
			}
		}
	}
	return out
}

func (s *site) saleForm(c echo.Context) error {
	d := saleData{Lines: s.sellable(nil), Values: url.Values{"print": {"on"}}}
	return s.render(c, http.StatusOK, "sale", view{Title: "Walk-up sale", Section: "sale", Data: d})
}

// sell records a walk-up sale: seats, payment, the attendee named and
// checked in, and the badge printed, in one flow (kiosk.WalkUpSale).
func (s *site) sell(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	chosen := form["seat"]
	d := saleData{Values: form}
	refuse := func(status int, msg string) error {
		d.Lines, d.Error = s.sellable(chosen), msg
		return s.render(c, status, "sale", view{Title: "Walk-up sale", Section: "sale", Data: d})
	}
	req, problems := s.saleRequest(form, staffOf(c))
	if len(problems) > 0 {
		d.Problems = problems
		return refuse(http.StatusUnprocessableEntity, "Check the fields marked below. Nothing was sold.")
	}
	res, err := s.k.WalkUpSale(c.Request().Context(), req)
	problems = fieldProblems(err)
	switch {
	case err != nil && res.OrderID != uuid.Nil:
		// The sale itself is stored; a later step failed and the kiosk
		// finishes it at its next start.
		r := s.receipts.addSale(res.OrderID, &receipt{Heading: "Sold, not finished", Sale: &res, Attendee: res.Attendee,
			Warning: "The sale is recorded, but checking the attendee in could not be recorded: " + err.Error() +
				". The kiosk finishes it when it restarts."})
		return redirect(c, r.Path)
	case problems != nil:
		d.Problems = problems
		return refuse(http.StatusUnprocessableEntity, "Check the fields marked below. Nothing was sold.")
	case err != nil && registrations.ErrorCode(err) != "":
		d.Refused = true
		status := http.StatusUnprocessableEntity
		if registrations.ErrorCode(err) == registrations.CodeConflict {
			status = http.StatusConflict
		}
		return refuse(status, "Refused: "+domainMessage(err)+" Nothing was sold.")
	case err != nil:
		return err
	}
	heading := "Sold"
	if res.Outcome == kiosk.SalePendingHub {
		heading = "Sold, pending hub confirmation"
	}
	r := &receipt{Heading: heading, Sale: &res, Attendee: res.Attendee, CheckedIn: res.Attendee.CheckedIn(), Badge: res.Badge}
	r.Past = s.pastNames(res.Attendee.ConferenceID, res.PastAllocation)
	if res.PrintError != nil {
		r.Warning = "The sale stands and the attendee is checked in, but the badge did not print: " + res.PrintError.Error() +
			". Reprint it below or from the attendee's page."
	}
	s.receipts.addSale(res.OrderID, r)
	return redirect(c, r.Path)
}

// saleRequest reads the sale form and checks every field at once, so the
// form shows each problem next to its field. The email follows the one
// rule of the system (contact.ParseOptionalEmail: a cash buyer may give
// none); policies and allocation are the core's to judge.
func (s *site) saleRequest(form url.Values, staff string) (kiosk.WalkUpRequest, map[string]string) {
	req := kiosk.WalkUpRequest{
		Name: strings.TrimSpace(form.Get("name")), Email: strings.TrimSpace(form.Get("email")),
		Company: strings.TrimSpace(form.Get("company")), Role: strings.TrimSpace(form.Get("role")),
		PaymentRef: strings.TrimSpace(form.Get("payment_ref")), Staff: staff, Print: form.Get("print") != "",
	}
	problems := map[string]string{}
	fail := func(field, msg string) {
		if _, seen := problems[field]; !seen {
			problems[field] = msg
		}
	}
	id, _ := s.k.Identity()
	for _, v := range form["seat"] {
		st, err := uuid.Parse(v)
		if err != nil {
			fail("seat", "Choose seat types from the list.")
			continue
		}
		if slices.ContainsFunc(req.Seats, func(q registrations.SeatQuantity) bool { return q.SeatType == st }) {
			continue
		}
		req.Seats = append(req.Seats, registrations.SeatQuantity{SeatType: st, Quantity: 1})
		for _, conf := range id.Conferences {
			if _, ok := s.k.Model().SeatType(conf, st); !ok {
				continue
			}
			if req.ConferenceID != uuid.Nil && req.ConferenceID != conf {
				fail("seat", "Sell seats of one conference at a time.")
			}
			req.ConferenceID = conf
		}
	}
	if len(form["seat"]) == 0 {
		fail("seat", "Choose at least one seat type.")
	}
	if req.Name == "" {
		fail("name", "Type the attendee's name.")
	}
	if email, err := contact.ParseOptionalEmail(req.Email); err != nil {
		var ee *contact.EmailError
		errors.As(err, &ee)
		fail("email", "Email "+ee.Reason+", or leave it empty.")
	} else {
		req.Email = email
	}
	switch m := registrations.PaymentMethod(form.Get("payment")); m {
	case registrations.PaymentCash, registrations.PaymentCardPresent:
		req.Payment = m
	default:
		fail("payment", "Choose how they paid: cash or card.")
	}
	// The email's length is the email rule's (254); the rest is text.
	for field, v := range map[string]string{"name": req.Name, "company": req.Company, "role": req.Role, "payment_ref": req.PaymentRef} {
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > onsite.MaxTextLength {
			fail(field, fmt.Sprintf("Too long: at most %d characters.", onsite.MaxTextLength))
		}
	}
	if len(problems) > 0 {
		return req, problems
	}
	return req, nil
}

// fieldProblems are the core's refusals of err that name a field of the
// form, by field; nil when there are none.
func fieldProblems(err error) map[string]string {
	var out map[string]string
	for _, e := range webui.ErrorsOf[*registrations.Error](err) {
		if _, seen := out[e.Field]; e.Field == "" || seen {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[e.Field] = upperFirst(e.Message) + "."
	}
	return out
}

// pastNames says which seats were sold beyond the allocation.
func (s *site) pastNames(conf uuid.UUID, past registrations.Seats) string {
	var parts []string
	for _, q := range past {
		name := q.SeatType.String()
		if l, ok := s.k.Model().SeatType(conf, q.SeatType); ok {
			name = l.Name
		}
		parts = append(parts, fmt.Sprintf("%d × %s", q.Quantity, name))
	}
	return strings.Join(parts, ", ")
}
