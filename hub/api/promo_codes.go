package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	"conference/hub/readmodels"
	"conference/shared/registrations"
)

// promoInput is the body of POST .../promo-codes and, without the code,
// which never changes (its uses are counted per code), of PUT
// .../promo-codes/{id}.
type promoInput struct {
	Code        *string    `json:"code"`
	Description string     `json:"description"`
	Kind        string     `json:"kind"`
	Percent     int        `json:"percent"`
	Amount      *moneyJSON `json:"amount"`
	SeatType    *ID        `json:"seat_type"`
	MaxUses     int        `json:"max_uses"`
	ValidFrom   *time.Time `json:"valid_from"`
	ValidUntil  *time.Time `json:"valid_until"`
}

func (in promoInput) details(code string) conferences.PromoCodeDetails {
	d := conferences.PromoCodeDetails{
		Code: code, Description: in.Description, Kind: registrations.DiscountKind(in.Kind), Percent: in.Percent, MaxUses: in.MaxUses,
	}
	if in.Amount != nil {
		d.Amount = registrations.Money{Amount: in.Amount.Amount, Currency: in.Amount.Currency}
	}
	if in.SeatType != nil {
		d.SeatType = uuid.UUID(*in.SeatType)
	}
	if in.ValidFrom != nil {
		d.ValidFrom = *in.ValidFrom
	}
	if in.ValidUntil != nil {
		d.ValidUntil = *in.ValidUntil
	}
	return d
}

// promoCodeJSON is a promo code with how much it was used.
type promoCodeJSON struct {
	ID          uuid.UUID            `json:"id"`
	Code        string               `json:"code"`
	Description string               `json:"description"`
	Kind        string               `json:"kind"`
	Percent     *int                 `json:"percent"`
	Amount      *registrations.Money `json:"amount"`
	SeatType    *uuid.UUID           `json:"seat_type"`
	MaxUses     int                  `json:"max_uses"`
	ValidFrom   *time.Time           `json:"valid_from"`
	ValidUntil  *time.Time           `json:"valid_until"`
	CreatedAt   time.Time            `json:"created_at"`
	UpdatedAt   time.Time            `json:"updated_at"`
	// Uses are the orders holding a use now, Released the uses given back
	// by orders that never completed; ConfirmedOrders and Discount cover
	// the confirmed orders priced with the code.
	Uses            int                 `json:"uses"`
	Released        int                 `json:"released"`
	ConfirmedOrders int                 `json:"confirmed_orders"`
	Discount        registrations.Money `json:"discount"`
}

func toPromoCodeJSON(pc *conferences.PromoCode, use readmodels.PromoCodeUseView, currency string) promoCodeJSON {
	out := promoCodeJSON{
		ID: pc.ID, Code: pc.Code, Description: pc.Description, Kind: string(pc.Kind), MaxUses: pc.MaxUses,
		CreatedAt: pc.CreatedAt, UpdatedAt: pc.UpdatedAt,
		Uses: use.Uses, Released: use.Released, ConfirmedOrders: use.ConfirmedOrders, Discount: use.Discount,
	}
	if out.Discount.Currency == "" {
		out.Discount.Currency = currency
	}
	switch pc.Kind {
	case registrations.DiscountPercentage:
		percent := pc.Percent
		out.Percent = &percent
	case registrations.DiscountAmount:
		amount := pc.Amount
		out.Amount = &amount
	}
	if pc.SeatType != uuid.Nil {
		st := pc.SeatType
		out.SeatType = &st
	}
	if !pc.ValidFrom.IsZero() {
		t := pc.ValidFrom
		out.ValidFrom = &t
	}
	if !pc.ValidUntil.IsZero() {
		t := pc.ValidUntil
		out.ValidUntil = &t
	}
	return out
}

// promoUses reads the use of every promo code of the conference.
func (a *api) promoUses(ctx context.Context, conferenceID uuid.UUID) (map[string]readmodels.PromoCodeUseView, error) {
	list, err := a.rm.PromoCodeUse(ctx, conferenceID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]readmodels.PromoCodeUseView, len(list))
	for _, u := range list {
		out[u.Code] = u
	}
	return out, nil
}

func (a *api) handleListPromoCodes(c echo.Context) error {
	ctx := c.Request().Context()
	conf, err := a.ownConferenceRecord(c)
	if err != nil {
		return err
	}
	codes, err := a.h.Conferences.ListPromoCodes(ctx, organizerOf(c), conf.ID)
	if err != nil {
		return err
	}
	uses, err := a.promoUses(ctx, conf.ID)
	if err != nil {
		return err
	}
	out := make([]promoCodeJSON, 0, len(codes))
	for _, pc := range codes {
		out = append(out, toPromoCodeJSON(pc, uses[pc.Code], conf.Currency))
	}
	return c.JSON(http.StatusOK, map[string]any{"promo_codes": out})
}

func (a *api) handleAddPromoCode(c echo.Context) error {
	ctx := c.Request().Context()
	conf, err := a.ownConferenceRecord(c)
	if err != nil {
		return err
	}
	var in promoInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Code == nil {
		return invalid("code", "is required")
	}
	pc, err := a.h.Conferences.AddPromoCode(ctx, organizerOf(c), conf.ID, in.details(*in.Code))
	if err != nil {
		return promoError(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/organizer/conferences/"+conf.ID.String()+"/promo-codes/"+pc.ID.String())
	return c.JSON(http.StatusCreated, toPromoCodeJSON(pc, readmodels.PromoCodeUseView{}, conf.Currency))
}

// conferencePromoCode is the :promoCodeID of one of the caller's
// conferences.
func (a *api) conferencePromoCode(c echo.Context) (*conferences.Conference, *conferences.PromoCode, error) {
	conf, err := a.ownConferenceRecord(c)
	if err != nil {
		return nil, nil, err
	}
	id, err := pathID(c, "promoCodeID", "promo code")
	if err != nil {
		return nil, nil, err
	}
	codes, err := a.h.Conferences.ListPromoCodes(c.Request().Context(), organizerOf(c), conf.ID)
	if err != nil {
		return nil, nil, err
	}
	i := slices.IndexFunc(codes, func(pc *conferences.PromoCode) bool { return pc.ID == id })
	if i < 0 {
		return nil, nil, notFound("promo code")
	}
	return conf, codes[i], nil
}

func (a *api) handleUpdatePromoCode(c echo.Context) error {
	ctx := c.Request().Context()
	conf, pc, err := a.conferencePromoCode(c)
	if err != nil {
		return err
	}
	var in promoInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Code != nil {
		return apiErr(http.StatusBadRequest, CodeUnknownField, "code", "a promo code's code never changes: withdraw it and add another")
	}
	updated, err := a.h.Conferences.UpdatePromoCode(ctx, organizerOf(c), conf.ID, pc.ID, in.details(pc.Code))
	if err != nil {
		return promoError(err)
	}
	uses, err := a.promoUses(ctx, conf.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPromoCodeJSON(updated, uses[updated.Code], conf.Currency))
}

// handleWithdrawPromoCode removes a promo code: registrants can no longer
// use it; orders placed with it keep their discount.
func (a *api) handleWithdrawPromoCode(c echo.Context) error {
	conf, pc, err := a.conferencePromoCode(c)
	if err != nil {
		return err
	}
	if err := a.h.Conferences.RemovePromoCode(c.Request().Context(), organizerOf(c), conf.ID, pc.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// promoError names the clash of a refused promo code; other refusals
// (validation, another tenant's seat type) map as usual.
func promoError(err error) error {
	if errors.Is(err, conferences.ErrConflict) {
		return apiErr(http.StatusConflict, CodeConflict, "code", "the conference has this promo code already")
	}
	return err
}
