package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	"conference/shared/registrations"
)

// dateTimeLocal is the format of <input type="datetime-local">.
const dateTimeLocal = "2006-01-02T15:04"

func (s *site) conferenceList(c echo.Context) error {
	list, err := s.hub.Conferences.ListConferences(c.Request().Context(), organizerOf(c).ID)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "org_conferences", view{Title: "Your conferences", Section: "org", Data: list})
}

func (s *site) newConferenceForm(c echo.Context) error {
	f := newForm(url.Values{
		"time_zone": {"Europe/Lisbon"}, "currency": {"EUR"},
		"reservation_window": {strconv.Itoa(int(conferences.DefaultReservationWindow / time.Minute))},
	})
	return s.render(c, http.StatusOK, "conference_form", view{Title: "New conference", Section: "org", Data: f})
}

func (s *site) createConference(c echo.Context) error {
	f := newForm(formValues(c))
	in := conferenceDetails(f)
	if f.OK() {
		conf, err := s.hub.Conferences.CreateConference(c.Request().Context(), organizerOf(c).ID, in)
		if err == nil {
			s.flash.Set(c, "Conference created. Add its seat types, then publish it.")
			return redirect(c, confURL(conf.ID, ""))
		}
		if !conferenceError(f, err) {
			return err
		}
	}
	return s.render(c, http.StatusUnprocessableEntity, "conference_form", view{Title: "New conference", Section: "org", Data: f})
}

func (s *site) editConferenceForm(c echo.Context) error {
	conf := conferenceOf(c)
	loc := conf.Location()
	f := newForm(url.Values{
		"name": {conf.Name}, "slug": {conf.Slug}, "tagline": {conf.Tagline}, "description": {conf.Description},
		"venue": {conf.Venue}, "contact_email": {conf.ContactEmail}, "time_zone": {conf.TimeZone},
		"starts_at": {conf.StartsAt.In(loc).Format(dateTimeLocal)}, "ends_at": {conf.EndsAt.In(loc).Format(dateTimeLocal)},
		"reservation_window": {strconv.Itoa(int(conf.ReservationWindow / time.Minute))}, "currency": {conf.Currency},
	})
	return s.render(c, http.StatusOK, "conference_form", view{Title: "Edit " + conf.Name, Section: "org", Conference: conf, Data: f})
}

func (s *site) updateConference(c echo.Context) error {
	conf := conferenceOf(c)
	f := newForm(formValues(c))
	in := conferenceDetails(f)
	if f.OK() {
		_, err := s.hub.Conferences.UpdateConference(c.Request().Context(), organizerOf(c).ID, conf.ID, in)
		if err == nil {
			s.flash.Set(c, "Changes saved.")
			return redirect(c, confURL(conf.ID, ""))
		}
		if !conferenceError(f, err) {
			return err
		}
	}
	return s.render(c, http.StatusUnprocessableEntity, "conference_form", view{Title: "Edit " + conf.Name, Section: "org", Conference: conf, Data: f})
}

// conferenceDetails reads the conference form. Times are typed in the
// conference's time zone; what cannot be parsed fails next to its field,
// the rest is Conference Management's to validate.
func conferenceDetails(f *form) conferences.ConferenceDetails {
	loc := time.UTC
	if l, err := time.LoadLocation(strings.TrimSpace(f.Get("time_zone"))); err == nil && f.Get("time_zone") != "" {
		loc = l
	}
	at := func(name string) time.Time {
		v := strings.TrimSpace(f.Get(name))
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(dateTimeLocal, v, loc)
		if err != nil {
			f.Fail(name, "Enter a date and time, e.g. 2027-05-10T09:00.")
		}
		return t
	}
	d := conferences.ConferenceDetails{
		Slug: f.Get("slug"), Name: f.Get("name"), Tagline: f.Get("tagline"), Description: f.Get("description"),
		Venue: f.Get("venue"), ContactEmail: f.Get("contact_email"), TimeZone: f.Get("time_zone"),
		StartsAt: at("starts_at"), EndsAt: at("ends_at"), Currency: f.Get("currency"),
	}
	if v := strings.TrimSpace(f.Get("reservation_window")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 120 {
			f.Fail("reservation_window", "Reservation window must be a whole number of minutes from 1 to 120.")
		} else {
			d.ReservationWindow = time.Duration(n) * time.Minute
		}
	}
	// Validated even when a field did not parse, so the form shows every
	// error at once (a field's first message wins).
	if err := d.Normalize().Validate(); err != nil {
		failField(f, err)
	}
	return d
}

// conferenceError places a refusal from Conference Management next to its
// field; false means it was not a refusal but a failure.
func conferenceError(f *form, err error) bool {
	switch {
	case failField(f, err):
		return true
	case errors.Is(err, conferences.ErrConflict):
		f.Fail("slug", "Web address is already taken by another conference; choose another.")
		return true
	}
	return false
}

func (s *site) publish(c echo.Context) error {
	conf := conferenceOf(c)
	if _, err := s.hub.Conferences.Publish(c.Request().Context(), organizerOf(c).ID, conf.ID); err != nil {
		return err
	}
	s.flash.Set(c, "Published: registrants can now buy seats at /c/"+conf.Slug+".")
	return redirect(c, confURL(conf.ID, ""))
}

func (s *site) unpublish(c echo.Context) error {
	conf := conferenceOf(c)
	if _, err := s.hub.Conferences.Unpublish(c.Request().Context(), organizerOf(c).ID, conf.ID); err != nil {
		return err
	}
	s.flash.Set(c, "Unpublished: the conference is hidden from registrants. Existing orders stay valid.")
	return redirect(c, confURL(conf.ID, ""))
}

// overview is the conference's home in the back office.
type overview struct {
	Conference *conferences.Conference
	SeatTypes  []seatTypeCounts
	Public     string
}

func (s *site) conferenceOverview(c echo.Context) error {
	conf := conferenceOf(c)
	counts, err := s.seatCounts(c.Request().Context(), conf)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "conference_overview", view{
		Title: conf.Name, Section: "org", Conference: conf,
		Data: overview{Conference: conf, SeatTypes: counts, Public: "/c/" + conf.Slug},
	})
}

func (s *site) newSeatTypeForm(c echo.Context) error {
	conf := conferenceOf(c)
	f := newForm(nil)
	return s.render(c, http.StatusOK, "seat_type_form", view{Title: "New seat type", Section: "org", Conference: conf, Data: seatTypeForm{Form: f, Currency: conf.Currency}})
}

type seatTypeForm struct {
	Form     *form
	Currency string
	SeatType *conferences.SeatType
	Sold     int
}

func (s *site) addSeatType(c echo.Context) error {
	conf := conferenceOf(c)
	f := newForm(formValues(c))
	in := seatTypeDetails(f, conf)
	if f.OK() {
		_, err := s.hub.Conferences.AddSeatType(c.Request().Context(), organizerOf(c).ID, conf.ID, in)
		if err == nil {
			s.flash.Set(c, "Seat type "+in.Name+" added.")
			return redirect(c, confURL(conf.ID, ""))
		}
		if !seatTypeError(f, err, 0) {
			return err
		}
	}
	return s.render(c, http.StatusUnprocessableEntity, "seat_type_form", view{Title: "New seat type", Section: "org", Conference: conf, Data: seatTypeForm{Form: f, Currency: conf.Currency}})
}

func (s *site) seatType(c echo.Context) (*conferences.SeatType, error) {
	return ofConference(c, "sid", s.hub.Conferences.ListSeatTypes, func(st *conferences.SeatType) uuid.UUID { return st.ID })
}

// ofConference finds the item of the path's conference whose id is the
// path parameter param, among what list returns for the signed-in
// organizer; nil for a malformed or unknown id (another tenant's too).
func ofConference[T any](c echo.Context, param string, list func(ctx context.Context, organizerID, conferenceID uuid.UUID) ([]*T, error), idOf func(*T) uuid.UUID) (*T, error) {
	id, err := uuid.Parse(c.Param(param))
	if err != nil {
		return nil, nil
	}
	items, err := list(c.Request().Context(), organizerOf(c).ID, conferenceOf(c).ID)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if idOf(it) == id {
			return it, nil
		}
	}
	return nil, nil
}

func (s *site) editSeatTypeForm(c echo.Context) error {
	conf := conferenceOf(c)
	st, err := s.seatType(c)
	if err != nil || st == nil {
		return orNotFound(s, c, err)
	}
	f := newForm(url.Values{
		"name": {st.Name}, "description": {st.Description}, "price": {formatAmount(st.Price.Amount)},
		"quota": {strconv.Itoa(st.Quota)}, "kiosk_allocation_size": {strconv.Itoa(st.OnSite.KioskAllocationSize)},
	})
	if st.OnSite.SellableAtKiosks {
		f.Values.Set("sellable_at_kiosks", "on")
	}
	if st.OnSite.SellPastAllocation {
		f.Values.Set("sell_past_allocation", "on")
	}
	sold, _ := s.seatsTaken(c.Request().Context(), conf.ID, st.ID)
	return s.render(c, http.StatusOK, "seat_type_form", view{Title: "Edit " + st.Name, Section: "org", Conference: conf,
		Data: seatTypeForm{Form: f, Currency: conf.Currency, SeatType: st, Sold: sold}})
}

func (s *site) updateSeatType(c echo.Context) error {
	conf := conferenceOf(c)
	st, err := s.seatType(c)
	if err != nil || st == nil {
		return orNotFound(s, c, err)
	}
	ctx := c.Request().Context()
	f := newForm(formValues(c))
	in := seatTypeDetails(f, conf)
	sold, err := s.seatsTaken(ctx, conf.ID, st.ID)
	if err != nil {
		return err
	}
	if f.OK() {
		_, err := s.hub.Conferences.UpdateSeatType(ctx, organizerOf(c).ID, conf.ID, st.ID, in, s.hub.Sold)
		if err == nil {
			s.flash.Set(c, "Seat type "+in.Name+" saved.")
			return redirect(c, confURL(conf.ID, ""))
		}
		if !seatTypeError(f, err, sold) {
			return err
		}
	}
	return s.render(c, http.StatusUnprocessableEntity, "seat_type_form", view{Title: "Edit " + st.Name, Section: "org", Conference: conf,
		Data: seatTypeForm{Form: f, Currency: conf.Currency, SeatType: st, Sold: sold}})
}

func seatTypeDetails(f *form, conf *conferences.Conference) conferences.SeatTypeDetails {
	d := conferences.SeatTypeDetails{Name: f.Get("name"), Description: f.Get("description")}
	price, err := parseAmount(f.Get("price"))
	if err != nil {
		f.Fail("price", err.Error())
	}
	d.Price = registrations.NewMoney(price, conf.Currency)
	d.Quota = intField(f, "quota", "Quota", true)
	d.OnSite = conferences.OnSitePolicy{
		SellableAtKiosks:    f.Checked("sellable_at_kiosks"),
		SellPastAllocation:  f.Checked("sell_past_allocation"),
		KioskAllocationSize: intField(f, "kiosk_allocation_size", "Kiosk allocation", false),
	}
	if f.OK() {
		if err := d.Normalize().ValidateFor(conf); err != nil {
			seatTypeError(f, err, 0)
		}
	}
	return d
}

func seatTypeError(f *form, err error, sold int) bool {
	var ve *conferences.ValidationError
	switch {
	case errors.As(err, &ve):
		// The domain names nested fields (price.amount,
		// on_site.kiosk_allocation_size); the form's fields are flat.
		field := ve.Field
		if strings.HasPrefix(field, "price.") {
			field = "price"
		}
		field = strings.TrimPrefix(field, "on_site.")
		f.Fail(field, capitalize(fieldLabel(ve.Field))+" "+ve.Message+".")
		return true
	case errors.Is(err, conferences.ErrQuotaBelowSold):
		f.Fail("quota", fmt.Sprintf("Quota cannot be lower than the %d seats already sold or reserved.", sold))
		return true
	case errors.Is(err, conferences.ErrConflict):
		f.Fail("name", "Name is already used by another seat type of this conference.")
		return true
	}
	return false
}

// intField reads a whole number; an empty optional field is 0.
func intField(f *form, name, label string, required bool) int {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		if required {
			f.Fail(name, label+" is required.")
		}
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		f.Fail(name, label+" must be a whole number, 0 or more.")
		return 0
	}
	return n
}

// parseAmount reads "12", "12.5" or "12.50" (dot or comma) as minor units.
func parseAmount(s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	if s == "" {
		return 0, errors.New("Price is required (0 for free).")
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" && frac == "" {
		return 0, errors.New("Price must be an amount such as 120 or 99.50.")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(orZero(whole), 10, 64)
	c, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 || c < 0 || w > 100_000_000 {
		return 0, errors.New("Price must be an amount such as 120 or 99.50.")
	}
	return w*100 + c, nil
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func orNotFound(s *site, c echo.Context, err error) error {
	if err != nil {
		return err
	}
	return s.notFound(c)
}

func confURL(id uuid.UUID, rest string) string { return "/org/conferences/" + id.String() + rest }

// seatsTaken is how many seats of a seat type are in use (reserved, sold,
// leased to kiosks): the floor of its quota, shown next to the field.
func (s *site) seatsTaken(ctx context.Context, conferenceID, seatTypeID uuid.UUID) (int, error) {
	return s.hub.Sold.SeatsSold(ctx, conferenceID, seatTypeID)
}
