package registrations

import (
	"errors"
	"fmt"
)

// Code classifies a domain error so adapters can map it once (HTTP status,
// sync error kind) without knowing every sentinel.
type Code string

// Error codes. They survive the wire, so their spelling is stable.
const (
	CodeInvalid  Code = "invalid"
	CodeConflict Code = "conflict"
	CodeNotFound Code = "not_found"
)

// Error is a domain error with a stable code and a message safe to show to
// the person who caused it.
type Error struct {
	Code    Code
	Message string
	// Field names the input at fault ("name", "email", "company", "role",
	// "seats") when one is, so a form can show the message next to it and
	// the API can name it. Validations of several fields join one *Error
	// per field at fault (errors.Join), so a form can show them all.
	Field string
}

func (e *Error) Error() string { return e.Message }

// ErrorCode returns the code of the first *Error in err's chain, or "" when
// err is not a domain error (callers treat that as internal).
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func invalidf(format string, args ...any) error {
	return &Error{Code: CodeInvalid, Message: fmt.Sprintf(format, args...)}
}

// invalidField is invalidf naming the input at fault.
func invalidField(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Message: fmt.Sprintf(format, args...), Field: field}
}

func sentinel(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Sentinel errors. Match them with errors.Is; call sites wrap them with
// context using %w, so ErrorCode still finds the code.
var (
	// Order.
	ErrOrderAlreadyPlaced = sentinel(CodeConflict, "order already placed")
	ErrOrderNotPlaced     = sentinel(CodeNotFound, "order not placed")
	ErrOrderClosed        = sentinel(CodeConflict, "order is expired, rejected or cancelled")
	ErrOrderConfirmed     = sentinel(CodeConflict, "order is already confirmed")
	ErrSeatsNotReserved   = sentinel(CodeConflict, "order has no reserved seats")
	ErrNotExpiredYet      = sentinel(CodeConflict, "order reservation has not expired yet")
	// ErrRegistrantMissing: payment cannot start, and a free order is not
	// confirmed, before the registrant's name and email are given, so
	// every order has someone to reach.
	ErrRegistrantMissing = sentinel(CodeConflict, "the registrant's name and email are not given yet")

	// Pricing.
	ErrPromoUnknown     = sentinel(CodeNotFound, "promo code unknown")
	ErrPromoExpired     = sentinel(CodeInvalid, "promo code expired")
	ErrPromoNotYetValid = sentinel(CodeInvalid, "promo code not valid yet")
	ErrPromoExhausted   = sentinel(CodeConflict, "promo code has no uses left")
	// ErrPromoNotApplicable: the code discounts a seat type the order
	// does not ask for, so it would take nothing off.
	ErrPromoNotApplicable = sentinel(CodeInvalid, "promo code does not apply to any seat in the order")
	ErrCurrencyMismatch   = sentinel(CodeInvalid, "prices use more than one currency")
	ErrSeatTypeNotPriced  = sentinel(CodeInvalid, "seat type has no price")

	// SeatsAvailability.
	ErrUnknownSeatType      = sentinel(CodeNotFound, "seat type unknown")
	ErrSeatTypeExists       = sentinel(CodeConflict, "seat type already added")
	ErrQuotaBelowUsage      = sentinel(CodeConflict, "quota cannot go below reserved, sold and allocated seats")
	ErrNotEnoughSeats       = sentinel(CodeConflict, "not enough seats available")
	ErrReservationNotFound  = sentinel(CodeNotFound, "reservation not found")
	ErrReservationCommitted = sentinel(CodeConflict, "reservation already committed")
	ErrAllocationExhausted  = sentinel(CodeConflict, "kiosk allocation exhausted")
	ErrConflictNotFound     = sentinel(CodeNotFound, "seat quota conflict not found")
	ErrConflictResolved     = sentinel(CodeConflict, "seat quota conflict already resolved")

	// SeatAssignments.
	ErrAssignmentsExist = sentinel(CodeConflict, "seat assignments already created")
	ErrNoAssignments    = sentinel(CodeNotFound, "seat assignments not created")
	ErrUnknownPosition  = sentinel(CodeNotFound, "seat position unknown")

	// Waitlist.
	ErrAlreadyWaiting        = sentinel(CodeConflict, "already on the waitlist for this seat type")
	ErrWaitlistEntryNotFound = sentinel(CodeNotFound, "waitlist entry not found")
	ErrNoOpenOffer           = sentinel(CodeConflict, "waitlist entry has no open offer")
	ErrOfferExpired          = sentinel(CodeConflict, "waitlist offer expired")
	// ErrSeatsOnSale: the line is for seat types with none left to
	// order; while some are, the registrant orders them instead.
	ErrSeatsOnSale = sentinel(CodeConflict, "seats of this type are on sale: order them instead of waiting")

	// Promo code usage.
	ErrPromoNotRedeemed = sentinel(CodeNotFound, "promo code not redeemed by this order")
)
