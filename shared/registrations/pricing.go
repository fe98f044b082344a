package registrations

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// MaxUnitPrice bounds a seat price (in minor units) so that price times
// MaxSeatsPerLine stays far inside int64.
const MaxUnitPrice = 100_000_000_000

// SeatPrice is the unit price of a seat type, as published by Conference
// Management.
type SeatPrice struct {
	SeatType uuid.UUID `json:"seat_type"`
	Price    Money     `json:"price"`
}

// DiscountKind says how a promo code takes money off.
type DiscountKind string

// Discount kinds.
const (
	// DiscountPercentage takes Percent per cent off, rounded down.
	DiscountPercentage DiscountKind = "percentage"
	// DiscountAmount takes a fixed Amount off: once per order for an
	// order-wide code, once per seat for a seat-type code.
	DiscountAmount DiscountKind = "amount"
)

// PromoCode is the organizer's definition of a discount. It travels inside
// OrderPlaced so an order can be repriced later with the terms it was
// placed under, even after the code expired or was used up.
type PromoCode struct {
	Code    string       `json:"code"`
	Kind    DiscountKind `json:"kind"`
	Percent int          `json:"percent,omitempty"`
	Amount  Money        `json:"amount"`
	// SeatType limits the discount to one seat type; uuid.Nil means the
	// whole order.
	SeatType uuid.UUID `json:"seat_type"`
	// MaxUses is how many orders may use the code; 0 is unlimited.
	MaxUses int `json:"max_uses,omitempty"`
	// ValidFrom and ValidUntil bound when the code may be used; zero
	// means unbounded. ValidUntil is exclusive.
	ValidFrom  time.Time `json:"valid_from"`
	ValidUntil time.Time `json:"valid_until"`
}

// IsZero reports whether p is "no promo code".
func (p PromoCode) IsZero() bool { return p.Code == "" }

// NormalizePromoCode is the canonical spelling of a code as typed by a
// person: trimmed and upper case, so "summer24 " finds "SUMMER24".
func NormalizePromoCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// Validate checks the definition itself, for Conference Management to call
// when the organizer saves a code.
func (p PromoCode) Validate() error {
	if NormalizePromoCode(p.Code) == "" {
		return invalidf("promo code is required")
	}
	switch p.Kind {
	case DiscountPercentage:
		if p.Percent < 1 || p.Percent > 100 {
			return invalidf("promo percentage must be between 1 and 100, got %d", p.Percent)
		}
	case DiscountAmount:
		if p.Amount.Amount <= 0 || p.Amount.Currency == "" {
			return invalidf("promo amount must be positive and have a currency")
		}
	default:
		return invalidf("promo kind must be %q or %q, got %q", DiscountPercentage, DiscountAmount, p.Kind)
	}
	if p.MaxUses < 0 {
		return invalidf("promo max uses cannot be negative")
	}
	if !p.ValidFrom.IsZero() && !p.ValidUntil.IsZero() && !p.ValidUntil.After(p.ValidFrom) {
		return invalidf("promo validity window ends before it starts")
	}
	return nil
}

// CheckUsable reports why the code cannot be used at now after uses orders
// used it, or nil.
func (p PromoCode) CheckUsable(uses int, now time.Time) error {
	if !p.ValidFrom.IsZero() && now.Before(p.ValidFrom) {
		return fmt.Errorf("%s: %w", p.Code, ErrPromoNotYetValid)
	}
	if !p.ValidUntil.IsZero() && !now.Before(p.ValidUntil) {
		return fmt.Errorf("%s: %w", p.Code, ErrPromoExpired)
	}
	if p.MaxUses > 0 && uses >= p.MaxUses {
		return fmt.Errorf("%s: %w", p.Code, ErrPromoExhausted)
	}
	return nil
}

// CheckApplies reports ErrPromoNotApplicable when p discounts one seat type
// and seats hold none of it: the code would take nothing off, and the
// registrant must hear so rather than pay full price unawares. An
// order-wide code applies to any order.
func (p PromoCode) CheckApplies(seats Seats) error {
	if p.IsZero() || p.SeatType == uuid.Nil || seats.Get(p.SeatType) > 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", p.Code, ErrPromoNotApplicable)
}

// FindPromoCode looks code up (case-insensitively) among a conference's codes.
func FindPromoCode(codes []PromoCode, code string) (PromoCode, error) {
	want := NormalizePromoCode(code)
	for _, p := range codes {
		if NormalizePromoCode(p.Code) == want {
			return p, nil
		}
	}
	return PromoCode{}, fmt.Errorf("%q: %w", code, ErrPromoUnknown)
}

// PricingInput is what an order is priced from: the seat prices, the promo
// code the registrant entered (zero for none) and how many orders already
// used it, which the caller reads from PromoCodeUsage.
type PricingInput struct {
	Prices    []SeatPrice
	Promo     PromoCode
	PromoUses int
}

// OrderLine is the price of one seat type in an order.
type OrderLine struct {
	SeatType  uuid.UUID `json:"seat_type"`
	Quantity  int       `json:"quantity"`
	UnitPrice Money     `json:"unit_price"`
	Subtotal  Money     `json:"subtotal"`
	// Discount is the seat-type promo taken off this line; an order-wide
	// discount appears only in Quote.Discount.
	Discount Money `json:"discount"`
	Total    Money `json:"total"`
}

// Quote is a priced order: its lines and totals. Total is never negative.
type Quote struct {
	Lines     []OrderLine `json:"lines"`
	Subtotal  Money       `json:"subtotal"`
	Discount  Money       `json:"discount"`
	Total     Money       `json:"total"`
	PromoCode string      `json:"promo_code,omitempty"`
}

// Nothing is the quote of an order that holds no seats: zero in q's
// currency, with no lines and no promo code.
func (q Quote) Nothing() Quote {
	zero := Money{Currency: q.Total.Currency}
	return Quote{Subtotal: zero, Discount: zero, Total: zero}
}

// Price quotes seats at the given prices, applying in.Promo if it is usable
// at now and applies to the seats. Every seat type must have a price and all prices one currency.
func Price(seats Seats, in PricingInput, now time.Time) (Quote, error) {
	if !in.Promo.IsZero() {
		if err := in.Promo.Validate(); err != nil {
			return Quote{}, err
		}
		if err := in.Promo.CheckUsable(in.PromoUses, now); err != nil {
			return Quote{}, err
		}
		if err := in.Promo.CheckApplies(seats); err != nil {
			return Quote{}, err
		}
	}
	return priceSeats(seats, in.Prices, in.Promo)
}

// Reprice quotes seats under the terms an order was placed with (the unit
// prices on its lines and its promo code), without checking the code's
// validity again: a registrant keeps the discount they were granted.
func Reprice(seats Seats, placed Quote, promo PromoCode) (Quote, error) {
	prices := make([]SeatPrice, 0, len(placed.Lines))
	for _, l := range placed.Lines {
		prices = append(prices, SeatPrice{SeatType: l.SeatType, Price: l.UnitPrice})
	}
	q, err := priceSeats(seats, prices, promo)
	if err == nil && q.Total.Currency == "" {
		// No seats left to price: keep the currency so "0.00 EUR" says what it is.
		q.Subtotal.Currency, q.Discount.Currency, q.Total.Currency = placed.Total.Currency, placed.Total.Currency, placed.Total.Currency
	}
	return q, err
}

func priceSeats(seats Seats, prices []SeatPrice, promo PromoCode) (Quote, error) {
	currency := ""
	byType := map[uuid.UUID]Money{}
	for _, p := range prices {
		if p.Price.Amount < 0 || p.Price.Amount > MaxUnitPrice {
			return Quote{}, invalidf("seat price out of range: %s", p.Price)
		}
		if currency == "" {
			currency = p.Price.Currency
		} else if p.Price.Currency != currency {
			return Quote{}, ErrCurrencyMismatch
		}
		byType[p.SeatType] = p.Price
	}
	if !promo.IsZero() && promo.Kind == DiscountAmount && promo.Amount.Currency != currency && currency != "" {
		return Quote{}, fmt.Errorf("promo %s is in %s: %w", promo.Code, promo.Amount.Currency, ErrCurrencyMismatch)
	}
	zero := Money{Currency: currency}
	q := Quote{Subtotal: zero, Discount: zero, Total: zero, PromoCode: promo.Code}
	for _, s := range seats.Normalize() {
		unit, ok := byType[s.SeatType]
		if !ok {
			return Quote{}, fmt.Errorf("seat type %s: %w", s.SeatType, ErrSeatTypeNotPriced)
		}
		if s.Quantity < 0 || s.Quantity > MaxSeatsPerLine {
			return Quote{}, invalidf("seat quantity out of range: %d", s.Quantity)
		}
		line := OrderLine{SeatType: s.SeatType, Quantity: s.Quantity, UnitPrice: unit, Subtotal: unit.Mul(s.Quantity), Discount: zero}
		if !promo.IsZero() && promo.SeatType == s.SeatType {
			line.Discount = discount(promo, line.Subtotal, s.Quantity)
		}
		line.Total = line.Subtotal.sub(line.Discount)
		q.Lines = append(q.Lines, line)
		q.Subtotal = q.Subtotal.add(line.Subtotal)
		q.Discount = q.Discount.add(line.Discount)
	}
	if !promo.IsZero() && promo.SeatType == uuid.Nil {
		q.Discount = q.Discount.add(discount(promo, q.Subtotal.sub(q.Discount), 1))
	}
	q.Total = q.Subtotal.sub(q.Discount)
	return q, nil
}

// discount is what promo takes off base, applying a fixed amount times
// times; it never exceeds base, so totals cannot go negative.
func discount(promo PromoCode, base Money, times int) Money {
	var d Money
	switch promo.Kind {
	case DiscountPercentage:
		// Rounded down: the organizer never loses a cent to rounding.
		d = Money{Amount: base.Amount * int64(promo.Percent) / 100, Currency: base.Currency}
	case DiscountAmount:
		d = Money{Amount: promo.Amount.Amount, Currency: base.Currency}.Mul(times)
	}
	return minMoney(d, base)
}
