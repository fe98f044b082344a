package registrations

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/google/uuid"
)

// Money is an amount in integer minor units (cents) of an ISO 4217 currency.
// Floats never touch money: rounding is explicit where it happens.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// NewMoney returns amount minor units of currency.
func NewMoney(amount int64, currency string) Money {
	return Money{Amount: amount, Currency: currency}
}

// add returns m+o. A zero Money with no currency adopts the other's currency,
// so sums can start from Money{}. Mixing currencies is a programming error
// (priceSeats validates currencies before adding); unexported so the
// invariant panic cannot reach another package.
func (m Money) add(o Money) Money {
	return Money{Amount: m.Amount + o.Amount, Currency: sameCurrency(m, o)}
}

// sub returns m-o, with the same currency rules as add.
func (m Money) sub(o Money) Money {
	return Money{Amount: m.Amount - o.Amount, Currency: sameCurrency(m, o)}
}

// Mul returns m times n.
func (m Money) Mul(n int) Money { return Money{Amount: m.Amount * int64(n), Currency: m.Currency} }

// IsZero reports whether the amount is zero, whatever the currency.
func (m Money) IsZero() bool { return m.Amount == 0 }

// String renders the amount for logs, e.g. "12.50 EUR".
func (m Money) String() string {
	sign, a := "", m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, a/100, a%100, m.Currency)
}

func sameCurrency(m, o Money) string {
	switch {
	case m.Currency == o.Currency || o.Currency == "":
		return m.Currency
	case m.Currency == "":
		return o.Currency
	}
	panic(fmt.Sprintf("registrations: adding %s to %s", o.Currency, m.Currency))
}

func minMoney(a, b Money) Money {
	if b.Amount < a.Amount {
		return b
	}
	return a
}

// SeatQuantity is a number of seats of one seat type.
type SeatQuantity struct {
	SeatType uuid.UUID `json:"seat_type"`
	Quantity int       `json:"quantity"`
}

// Seats is a list of quantities per seat type. Values produced by this
// package are normalised: one entry per seat type, no zero quantities,
// sorted by seat type, so events and digests are identical on every node.
type Seats []SeatQuantity

// Get is the quantity of seatType (0 when absent).
func (s Seats) Get(seatType uuid.UUID) int {
	n := 0
	for _, q := range s {
		if q.SeatType == seatType {
			n += q.Quantity
		}
	}
	return n
}

// Total is the number of seats over all seat types.
func (s Seats) Total() int {
	n := 0
	for _, q := range s {
		n += q.Quantity
	}
	return n
}

// Equal reports whether s and o hold the same quantities per seat type.
func (s Seats) Equal(o Seats) bool {
	return slices.Equal(s.Normalize(), o.Normalize())
}

// Normalize merges duplicate seat types, drops zero quantities and sorts by
// seat type. It returns nil for an empty result.
func (s Seats) Normalize() Seats {
	m := map[uuid.UUID]int{}
	for _, q := range s {
		m[q.SeatType] += q.Quantity
	}
	return seatsFromMap(m)
}

// SeatTypes lists the seat types in s in normalised order.
func (s Seats) SeatTypes() []uuid.UUID {
	var out []uuid.UUID
	for _, q := range s.Normalize() {
		out = append(out, q.SeatType)
	}
	return out
}

func seatsFromMap(m map[uuid.UUID]int) Seats {
	var out Seats
	for t, n := range m {
		if n != 0 {
			out = append(out, SeatQuantity{SeatType: t, Quantity: n})
		}
	}
	slices.SortFunc(out, func(a, b SeatQuantity) int { return compareUUID(a.SeatType, b.SeatType) })
	return out
}

// MaxSeatsPerLine bounds one seat type's quantity in an order, which keeps
// price arithmetic far away from int64 overflow.
const MaxSeatsPerLine = 10_000

// validateRequest checks seats asked for by a person: real seat types and
// positive, bounded quantities.
func (s Seats) validateRequest() error {
	if len(s) == 0 {
		return invalidField("seats", "at least one seat is required")
	}
	for _, q := range s {
		if q.SeatType == uuid.Nil {
			return invalidField("seats", "seat type is required")
		}
		if q.Quantity <= 0 {
			return invalidField("seats", "seat quantity must be positive, got %d", q.Quantity)
		}
	}
	for _, q := range s.Normalize() {
		if q.Quantity > MaxSeatsPerLine {
			return invalidField("seats", "at most %d seats of one type per order", MaxSeatsPerLine)
		}
	}
	return nil
}

func compareUUID(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }
