package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	"conference/hub/readmodels"
	"conference/shared/registrations"
)

type promoPage struct {
	Codes     []promoRow
	SeatTypes []*conferences.SeatType
	Form      *form
	Currency  string
}

type promoRow struct {
	*conferences.PromoCode
	SeatTypeName string
	Use          readmodels.PromoCodeUseView
}

func (s *site) promoCodes(c echo.Context) error {
	return s.renderPromo(c, http.StatusOK, newForm(url.Values{"kind": {string(registrations.DiscountPercentage)}}))
}

func (s *site) renderPromo(c echo.Context, status int, f *form) error {
	conf := conferenceOf(c)
	ctx := c.Request().Context()
	codes, err := s.hub.Conferences.ListPromoCodes(ctx, organizerOf(c).ID, conf.ID)
	if err != nil {
		return err
	}
	sts, err := s.hub.Conferences.ListSeatTypes(ctx, organizerOf(c).ID, conf.ID)
	if err != nil {
		return err
	}
	uses := map[string]readmodels.PromoCodeUseView{}
	if list, err := s.reads.PromoCodeUse(ctx, conf.ID); err == nil {
		for _, u := range list {
			uses[u.Code] = u
		}
	}
	p := promoPage{SeatTypes: sts, Form: f, Currency: conf.Currency}
	for _, pc := range codes {
		row := promoRow{PromoCode: pc, SeatTypeName: "whole order", Use: uses[pc.Code]}
		for _, st := range sts {
			if st.ID == pc.SeatType {
				row.SeatTypeName = st.Name
			}
		}
		p.Codes = append(p.Codes, row)
	}
	return s.render(c, status, "org_promo", view{Title: "Promo codes · " + conf.Name, Section: "promo", Conference: conf, Data: p})
}

func (s *site) addPromoCode(c echo.Context) error {
	conf := conferenceOf(c)
	f := newForm(formValues(c))
	d := promoDetails(f, conf)
	if f.OK() {
		_, err := s.hub.Conferences.AddPromoCode(c.Request().Context(), organizerOf(c).ID, conf.ID, d)
		if err == nil {
			s.flash.Set(c, "Promo code "+registrations.NormalizePromoCode(d.Code)+" added.")
			return redirect(c, confURL(conf.ID, "/promo-codes"))
		}
		if err := promoSaveError(f, err); err != nil {
			return err
		}
	}
	return s.renderPromo(c, http.StatusUnprocessableEntity, f)
}

// promoEditPage is the edit form of one promo code.
type promoEditPage struct {
	Code      *conferences.PromoCode
	SeatTypes []*conferences.SeatType
	Form      *form
	Currency  string
}

// promoCodeOf finds one of the conference's promo codes by the :pcid in
// the path; nil when there is none (another tenant's ids included).
func (s *site) promoCodeOf(c echo.Context) (*conferences.PromoCode, error) {
	return ofConference(c, "pcid", s.hub.Conferences.ListPromoCodes, func(pc *conferences.PromoCode) uuid.UUID { return pc.ID })
}

func (s *site) editPromoCode(c echo.Context) error {
	pc, err := s.promoCodeOf(c)
	if err != nil || pc == nil {
		return s.notFoundOr(c, err)
	}
	conf := conferenceOf(c)
	loc := conf.Location()
	v := url.Values{
		"code": {pc.Code}, "description": {pc.Description}, "kind": {string(pc.Kind)},
		"max_uses": {strconv.Itoa(pc.MaxUses)},
	}
	if pc.Kind == registrations.DiscountPercentage {
		v.Set("percent", strconv.Itoa(pc.Percent))
	} else {
		v.Set("amount", formatAmount(pc.Amount.Amount))
	}
	if pc.SeatType != uuid.Nil {
		v.Set("seat_type", pc.SeatType.String())
	}
	if !pc.ValidFrom.IsZero() {
		v.Set("valid_from", pc.ValidFrom.In(loc).Format(dateTimeLocal))
	}
	if !pc.ValidUntil.IsZero() {
		v.Set("valid_until", pc.ValidUntil.In(loc).Format(dateTimeLocal))
	}
	return s.renderPromoEdit(c, http.StatusOK, pc, newForm(v))
}

func (s *site) renderPromoEdit(c echo.Context, status int, pc *conferences.PromoCode, f *form) error {
	conf := conferenceOf(c)
	sts, err := s.hub.Conferences.ListSeatTypes(c.Request().Context(), organizerOf(c).ID, conf.ID)
	if err != nil {
		return err
	}
	return s.render(c, status, "org_promo_edit", view{Title: "Promo code " + pc.Code + " · " + conf.Name, Section: "promo",
		Conference: conf, Data: promoEditPage{Code: pc, SeatTypes: sts, Form: f, Currency: conf.Currency}})
}

func (s *site) updatePromoCode(c echo.Context) error {
	pc, err := s.promoCodeOf(c)
	if err != nil || pc == nil {
		return s.notFoundOr(c, err)
	}
	conf := conferenceOf(c)
	f := newForm(formValues(c))
	f.Values.Set("code", pc.Code) // counted per code: it never changes
	d := promoDetails(f, conf)
	if f.OK() {
		_, err := s.hub.Conferences.UpdatePromoCode(c.Request().Context(), organizerOf(c).ID, conf.ID, pc.ID, d)
		if err == nil {
			s.flash.Set(c, "Promo code "+pc.Code+" saved.")
			return redirect(c, confURL(conf.ID, "/promo-codes"))
		}
		if err := promoSaveError(f, err); err != nil {
			return err
		}
	}
	return s.renderPromoEdit(c, http.StatusUnprocessableEntity, pc, f)
}

// notFoundOr answers 404 for a missing thing, or returns the error that
// kept it from being looked up.
func (s *site) notFoundOr(c echo.Context, err error) error {
	if err != nil {
		return err
	}
	return s.notFound(c)
}

// promoDetails reads the promo code form, marking what it cannot read.
func promoDetails(f *form, conf *conferences.Conference) conferences.PromoCodeDetails {
	loc := conf.Location()
	d := conferences.PromoCodeDetails{
		Code: f.Get("code"), Description: f.Get("description"), Kind: registrations.DiscountKind(f.Get("kind")),
		MaxUses: intField(f, "max_uses", "Maximum uses", false),
	}
	switch d.Kind {
	case registrations.DiscountPercentage:
		d.Percent = intField(f, "percent", "Percentage", true)
	case registrations.DiscountAmount:
		amount, err := parseAmount(f.Get("amount"))
		if err != nil {
			f.Fail("amount", strings.Replace(err.Error(), "Price", "Amount", 1))
		}
		d.Amount = registrations.NewMoney(amount, conf.Currency)
	default:
		f.Fail("kind", "Choose a percentage or a fixed amount.")
	}
	if v := f.Get("seat_type"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			f.Fail("seat_type", "Choose one of the seat types.")
		}
		d.SeatType = id
	}
	for _, w := range []struct {
		name string
		to   *time.Time
	}{{"valid_from", &d.ValidFrom}, {"valid_until", &d.ValidUntil}} {
		if v := strings.TrimSpace(f.Get(w.name)); v != "" {
			t, err := time.ParseInLocation(dateTimeLocal, v, loc)
			if err != nil {
				f.Fail(w.name, "Enter a date and time, e.g. 2027-05-10T09:00.")
			}
			*w.to = t
		}
	}
	return d
}

// promoSaveError puts a refused save next to its field; other errors are
// returned.
func promoSaveError(f *form, err error) error {
	var ve *conferences.ValidationError
	switch {
	case errors.As(err, &ve):
		field := strings.TrimSuffix(ve.Field, ".amount")
		if strings.HasPrefix(field, "amount") {
			field = "amount"
		}
		f.Fail(field, capitalize(strings.ReplaceAll(field, "_", " "))+" "+ve.Message+".")
	case errors.Is(err, conferences.ErrConflict):
		f.Fail("code", "This conference has this code already.")
	case errors.Is(err, conferences.ErrNotFound):
		f.Fail("seat_type", "Choose one of the seat types.")
	default:
		return err
	}
	return nil
}

func (s *site) removePromoCode(c echo.Context) error {
	conf := conferenceOf(c)
	id, err := uuid.Parse(c.Param("pcid"))
	if err != nil {
		return s.notFound(c)
	}
	err = s.hub.Conferences.RemovePromoCode(c.Request().Context(), organizerOf(c).ID, conf.ID, id)
	if errors.Is(err, conferences.ErrNotFound) {
		return s.notFound(c)
	}
	if err != nil {
		return err
	}
	s.flash.Set(c, "Promo code withdrawn. Orders placed with it keep their discount.")
	return redirect(c, confURL(conf.ID, "/promo-codes"))
}
