package registrations

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

func TestPriceComputesLinesAndTotals(t *testing.T) {
	q, err := Price(seats(fullPass, 2, workshop, 1), PricingInput{Prices: prices}, t0)
	must(t, err)
	if len(q.Lines) != 2 {
		t.Fatalf("got %d lines, want 2", len(q.Lines))
	}
	full := q.Lines[0]
	if full.SeatType != fullPass || full.Quantity != 2 || full.UnitPrice != eur(10000) || full.Total != eur(20000) {
		t.Errorf("full pass line = %+v", full)
	}
	if q.Subtotal != eur(24000) || q.Discount != eur(0) || q.Total != eur(24000) {
		t.Errorf("totals = %s - %s = %s, want 240.00 - 0 = 240.00", q.Subtotal, q.Discount, q.Total)
	}
}

func TestPromoCodesTakeMoneyOff(t *testing.T) {
	order := seats(fullPass, 2, workshop, 1) // 200.00 + 40.00
	tests := []struct {
		name         string
		promo        PromoCode
		wantDiscount int64
	}{
		{"percentage of the whole order", PromoCode{Code: "TEN", Kind: DiscountPercentage, Percent: 10}, 2400},
		{"amount off the whole order", PromoCode{Code: "FIFTY", Kind: DiscountAmount, Amount: eur(5000)}, 5000},
		{"percentage of one seat type", PromoCode{Code: "WS50", Kind: DiscountPercentage, Percent: 50, SeatType: workshop}, 2000},
		{"amount per seat of one seat type", PromoCode{Code: "FP10", Kind: DiscountAmount, Amount: eur(1000), SeatType: fullPass}, 2000},
		{"amount larger than the order makes it free, not negative", PromoCode{Code: "BIG", Kind: DiscountAmount, Amount: eur(999999)}, 24000},
		{"seat-type amount larger than the line stops at the line", PromoCode{Code: "WSBIG", Kind: DiscountAmount, Amount: eur(999999), SeatType: workshop}, 4000},
		{"hundred per cent makes it free", PromoCode{Code: "SPEAKER", Kind: DiscountPercentage, Percent: 100}, 24000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Price(order, PricingInput{Prices: prices, Promo: tt.promo}, t0)
			must(t, err)
			if q.Discount != eur(tt.wantDiscount) {
				t.Errorf("discount = %s, want %s", q.Discount, eur(tt.wantDiscount))
			}
			if q.Total != eur(24000-tt.wantDiscount) || q.Total.Amount < 0 {
				t.Errorf("total = %s, want %s", q.Total, eur(24000-tt.wantDiscount))
			}
			if q.PromoCode != tt.promo.Code {
				t.Errorf("promo code on quote = %q", q.PromoCode)
			}
		})
	}
}

func TestPercentageDiscountRoundsDownInTheOrganizersFavour(t *testing.T) {
	odd := []SeatPrice{{SeatType: workshop, Price: eur(999)}}
	q, err := Price(seats(workshop, 1), PricingInput{Prices: odd, Promo: PromoCode{Code: "THIRD", Kind: DiscountPercentage, Percent: 33}}, t0)
	must(t, err)
	// 33% of 9.99 is 3.2967: the discount is 3.29, not 3.30.
	if q.Discount != eur(329) || q.Total != eur(670) {
		t.Fatalf("discount %s, total %s; want 3.29 and 6.70", q.Discount, q.Total)
	}
}

func TestUnusablePromoCodesAreRefusedWithAClearError(t *testing.T) {
	window := PromoCode{Code: "EARLY", Kind: DiscountPercentage, Percent: 20, MaxUses: 3,
		ValidFrom: t0, ValidUntil: t0.Add(24 * time.Hour)}
	tests := []struct {
		name string
		uses int
		now  time.Time
		want error
	}{
		{"before the window", 0, t0.Add(-time.Second), ErrPromoNotYetValid},
		{"at the end of the window", 0, t0.Add(24 * time.Hour), ErrPromoExpired},
		{"all uses taken", 3, t0.Add(time.Hour), ErrPromoExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Price(seats(fullPass, 1), PricingInput{Prices: prices, Promo: window, PromoUses: tt.uses}, tt.now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := Price(seats(fullPass, 1), PricingInput{Prices: prices, Promo: window, PromoUses: 2}, t0.Add(time.Hour)); err != nil {
		t.Fatalf("last use inside the window refused: %v", err)
	}
}

func TestAPromoCodeForASeatTypeTheOrderLacksIsRefused(t *testing.T) {
	workshopOnly := PromoCode{Code: "WS50", Kind: DiscountPercentage, Percent: 50, SeatType: workshop}
	_, err := Price(seats(fullPass, 2), PricingInput{Prices: prices, Promo: workshopOnly}, t0)
	if !errors.Is(err, ErrPromoNotApplicable) || ErrorCode(err) != CodeInvalid {
		t.Fatalf("error = %v, want ErrPromoNotApplicable", err)
	}
	// Repricing what was reserved keeps the terms the order was placed
	// under, even when the discounted seats could not be reserved.
	placedQuote, err := Price(seats(fullPass, 1, workshop, 1), PricingInput{Prices: prices, Promo: workshopOnly}, t0)
	must(t, err)
	if _, err := Reprice(seats(fullPass, 1), placedQuote, workshopOnly); err != nil {
		t.Fatalf("repricing a partial reservation: %v", err)
	}
}

func TestFindPromoCodeIgnoresCaseAndReportsUnknownCodes(t *testing.T) {
	codes := []PromoCode{{Code: "SUMMER", Kind: DiscountPercentage, Percent: 5}}
	if p, err := FindPromoCode(codes, " summer "); err != nil || p.Code != "SUMMER" {
		t.Fatalf("FindPromoCode = %+v, %v", p, err)
	}
	if _, err := FindPromoCode(codes, "WINTER"); !errors.Is(err, ErrPromoUnknown) || ErrorCode(err) != CodeNotFound {
		t.Fatalf("unknown code error = %v", err)
	}
}

func TestPricingRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		in   PricingInput
		s    Seats
		want error
	}{
		{"seat type without a price", PricingInput{Prices: prices}, seats(uuid.New(), 1), ErrSeatTypeNotPriced},
		{"two currencies", PricingInput{Prices: []SeatPrice{{fullPass, eur(1)}, {workshop, NewMoney(1, "USD")}}}, seats(fullPass, 1), ErrCurrencyMismatch},
		{"promo amount in another currency", PricingInput{Prices: prices, Promo: PromoCode{Code: "X", Kind: DiscountAmount, Amount: NewMoney(100, "USD")}}, seats(fullPass, 1), ErrCurrencyMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Price(tt.s, tt.in, t0); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
	bad := []PromoCode{
		{Code: "", Kind: DiscountPercentage, Percent: 10},
		{Code: "P", Kind: DiscountPercentage, Percent: 101},
		{Code: "A", Kind: DiscountAmount},
		{Code: "K", Kind: "bogus"},
		{Code: "W", Kind: DiscountPercentage, Percent: 5, ValidFrom: t0, ValidUntil: t0},
	}
	for _, p := range bad {
		if err := p.Validate(); ErrorCode(err) != CodeInvalid {
			t.Errorf("Validate(%+v) = %v, want invalid", p, err)
		}
	}
}

func TestRepriceKeepsTheTermsTheOrderWasPlacedWith(t *testing.T) {
	promo := PromoCode{Code: "TEN", Kind: DiscountPercentage, Percent: 10, ValidUntil: t0.Add(time.Minute)}
	placed, err := Price(seats(fullPass, 3), PricingInput{Prices: prices, Promo: promo}, t0)
	must(t, err)
	// An hour later the code has expired, but the order keeps its discount.
	q, err := Reprice(seats(fullPass, 1), placed, promo)
	must(t, err)
	if q.Total != eur(9000) {
		t.Fatalf("repriced total = %s, want 90.00", q.Total)
	}
	none, err := Reprice(nil, placed, promo)
	must(t, err)
	if none.Total != eur(0) {
		t.Fatalf("nothing reserved costs %s, want 0.00 EUR", none.Total)
	}
}

func TestMoneyArithmetic(t *testing.T) {
	if got := eur(150).add(eur(250)).Mul(3); got != eur(1200) {
		t.Errorf("(1.50+2.50)*3 = %s", got)
	}
	if got := (Money{}).add(eur(5)); got != eur(5) {
		t.Errorf("zero Money adopts currency: got %+v", got)
	}
	if got := eur(-1234).String(); got != "-12.34 EUR" {
		t.Errorf("String = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("adding USD to EUR did not panic")
		}
	}()
	_ = eur(1).add(NewMoney(1, "USD"))
}

var twoUses = PromoCode{Code: "duo", Kind: DiscountPercentage, Percent: 50, MaxUses: 2, ValidUntil: t0.Add(time.Hour)}

func redeemed(order [16]byte) PromoCodeRedeemed {
	return PromoCodeRedeemed{ConferenceID: conference, Code: "DUO", OrderID: order, RedeemedAt: t0}
}

func TestPromoCodeUsesAreCountedPerOrder(t *testing.T) {
	u := NewPromoCodeUsage()
	must(t, u.Redeem(conference, twoUses, orderA, t0))
	thenEvents(t, u, redeemed(orderA))
	if u.ID() != "promo-"+conference.String()+"-DUO" || u.Uses() != 1 || u.UsesExcept(orderA) != 0 {
		t.Fatalf("id %q uses %d", u.ID(), u.Uses())
	}
}

func TestRedeemingTwiceForOneOrderCountsOnce(t *testing.T) {
	u := NewPromoCodeUsage()
	eventsourcing.Replay(u, "p", 0, redeemed(orderA))
	must(t, u.Redeem(conference, twoUses, orderA, t0))
	thenEvents(t, u)
}

func TestALimitedCodeRunsOutAndReleasedUsesComeBack(t *testing.T) {
	u := NewPromoCodeUsage()
	eventsourcing.Replay(u, "p", 0, redeemed(orderA), redeemed(orderB))
	thenError(t, u, u.Redeem(conference, twoUses, entry1, t0), ErrPromoExhausted)

	must(t, u.Release(orderB))
	must(t, u.Redeem(conference, twoUses, entry1, t0))
	if u.Uses() != 2 {
		t.Fatalf("uses = %d", u.Uses())
	}
	unused := NewPromoCodeUsage()
	thenError(t, unused, unused.Release(orderA), ErrPromoNotRedeemed)
}

func TestAnExpiredCodeCannotBeRedeemed(t *testing.T) {
	u := NewPromoCodeUsage()
	thenError(t, u, u.Redeem(conference, twoUses, orderA, t0.Add(time.Hour)), ErrPromoExpired)
}
