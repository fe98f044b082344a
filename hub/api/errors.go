package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	"conference/hub/kiosks"
	"conference/hub/payments"
	"conference/hub/readmodels"
	registrationsapp "conference/hub/registrations"
	"conference/shared/contact"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/registrations"
	"conference/shared/sqldb"
)

// Error codes of the API. Clients branch on them, so their spelling is
// stable; the messages may change.
const (
	CodeMalformedJSON     = "malformed_json"
	CodeUnknownField      = "unknown_field"
	CodeBodyTooLarge      = "body_too_large"
	CodeUnsupportedMedia  = "unsupported_media_type"
	CodeInvalid           = "invalid_input"
	CodeNotFound          = "not_found"
	CodeConflict          = "conflict"
	CodeUnauthorized      = "unauthorized"
	CodeRateLimited       = "rate_limited"
	CodeQuotaBelowSold    = "quota_below_sold"
	CodeOrderClosed       = "order_closed"
	CodeOrderExpired      = "order_expired"
	CodeOrderConfirmed    = "order_already_confirmed"
	CodeNotReserved       = "seats_not_reserved"
	CodeNotConfirmed      = "order_not_confirmed"
	CodePromoUnknown      = "promo_code_unknown"
	CodePromoNotValid     = "promo_code_not_valid"
	CodePromoExhausted    = "promo_code_exhausted"
	CodePromoNotApplies   = "promo_code_not_applicable"
	CodeRegistrantMissing = "registrant_missing"
	CodePaymentNotReady   = "payment_not_ready"
	CodePaymentClosed     = "payment_closed"
	CodeConcurrentUpdate  = "concurrent_update"
	CodeMethodNotAllowed  = "method_not_allowed"
	CodeServiceShutdown   = "unavailable"
	CodeInternal          = "internal"
	CodeUnknownPosition   = "unknown_position"
	CodeSeatTypeNotPriced = "seat_type_unknown"
	CodeSeatsUnavailable  = "seats_unavailable"
	CodeConflictResolved  = "conflict_already_resolved"
	CodeNotEnoughSeats    = "not_enough_seats"
	CodeNotAcceptable     = "not_acceptable"
	CodeAlreadyWaiting    = "already_waiting"
	CodeSeatsAvailable    = "seats_available"
	CodeOfferPassed       = "offer_passed"
	CodeOfferTaken        = "offer_taken"
)

// Error is the body of every API error:
// {"error":{"code":"...","message":"...","field":"..."}}.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Field names the offending input, in the request's JSON spelling
	// ("seats[0].quantity"), when one input is to blame.
	Field string `json:"field,omitempty"`
	// SeatsLeft says, for seats_unavailable, what is left of each seat
	// type the order asked too many of.
	SeatsLeft []seatsLeftJSON `json:"seats_left,omitempty"`
	// RetryAfter, when set, is sent as the Retry-After header (seconds).
	RetryAfter string `json:"-"`
}

// seatsLeftJSON is a seat type an order asked more of than is left.
type seatsLeftJSON struct {
	SeatType  uuid.UUID `json:"seat_type"`
	Requested int       `json:"requested"`
	Left      int       `json:"left"`
	// Held are seats held for unpaid orders: they may come back.
	Held int `json:"held"`
}

// seatsUnavailable refuses an order for more seats than are left.
func seatsUnavailable(e *registrations.SeatsUnavailableError) *Error {
	out := apiErr(http.StatusConflict, CodeSeatsUnavailable, "seats", "%s; nothing was reserved", e.Error())
	for _, s := range e.Short {
		out.SeatsLeft = append(out.SeatsLeft, seatsLeftJSON{SeatType: s.SeatType, Requested: s.Requested, Left: s.Left, Held: s.Held})
	}
	return out
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return e.Code + ": " + e.Message
}

type errorBody struct {
	Error *Error `json:"error"`
}

func apiErr(status int, code, field, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(what string) *Error {
	return apiErr(http.StatusNotFound, CodeNotFound, "", "%s not found", what)
}

func invalid(field, format string, args ...any) *Error {
	return apiErr(http.StatusUnprocessableEntity, CodeInvalid, field, format, args...)
}

// checkEmail applies the one email rule (contact.ParseEmail) to an input
// the domain does not see.
func checkEmail(field, email string) error {
	var ee *contact.EmailError
	if _, err := contact.ParseEmail(email); errors.As(err, &ee) {
		return invalid(field, "%s", ee.Error())
	}
	return nil
}

// toAPIError maps what the services return to one status and code. This is
// the only place that knows both vocabularies. Anything it does not
// recognise is internal: logged with its detail, shown without it.
func toAPIError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return fromEchoError(he)
	}
	var ve *conferences.ValidationError
	switch {
	case errors.As(err, &ve):
		return apiErr(http.StatusUnprocessableEntity, CodeInvalid, ve.Field, "%s", ve.Message)
	case errors.Is(err, conferences.ErrNotFound):
		return notFound("conference or seat type")
	case errors.Is(err, conferences.ErrUnauthorized):
		return apiErr(http.StatusUnauthorized, CodeUnauthorized, "", "a valid API token is required")
	case errors.Is(err, conferences.ErrQuotaBelowSold):
		return apiErr(http.StatusConflict, CodeQuotaBelowSold, "quota", "the quota cannot go below the seats already sold or reserved")
	case errors.Is(err, conferences.ErrConflict):
		return apiErr(http.StatusConflict, CodeConflict, "", "%s", conflictMessage(err))
	}
	switch {
	case errors.Is(err, kiosks.ErrNotFound):
		return notFound("kiosk")
	case errors.Is(err, readmodels.ErrNotFound):
		return notFound("resource")
	case errors.Is(err, payments.ErrNotFound):
		return notFound("payment")
	case errors.Is(err, payments.ErrConflict):
		return apiErr(http.StatusConflict, CodePaymentClosed, "", "the payment can no longer change that way")
	case errors.Is(err, payments.ErrInvalid):
		return invalid("", "invalid payment")
	}
	var short *registrations.SeatsUnavailableError
	if errors.As(err, &short) {
		return seatsUnavailable(short)
	}
	if e := fromDomainError(err); e != nil {
		return e
	}
	switch {
	case errors.Is(err, eventsourcing.ErrNotFound):
		return notFound("resource")
	case errors.Is(err, eventstore.ErrConcurrency):
		return apiErr(http.StatusConflict, CodeConcurrentUpdate, "", "the resource changed concurrently; try again")
	case errors.Is(err, eventstore.ErrClosed), errors.Is(err, context.Canceled):
		return apiErr(http.StatusServiceUnavailable, CodeServiceShutdown, "", "the hub is shutting down")
	case sqldb.IsUnavailable(err):
		return apiErr(http.StatusServiceUnavailable, CodeServiceShutdown, "", "the hub's database is unavailable for a moment; try again shortly")
	}
	return apiErr(http.StatusInternalServerError, CodeInternal, "", "internal error")
}

// conflictMessage keeps the service's description of the clash (which
// unique value) without its wrapping context.
func conflictMessage(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

// fromDomainError maps the registrations context's errors: named sentinels
// get their own codes, the rest map by their class.
func fromDomainError(err error) *Error {
	code := registrations.ErrorCode(err)
	if code == "" {
		return nil
	}
	specific := []struct {
		target error
		status int
		code   string
		field  string
	}{
		{registrationsapp.ErrConferenceNotFound, http.StatusNotFound, CodeNotFound, ""},
		{registrations.ErrOrderNotPlaced, http.StatusNotFound, CodeNotFound, ""},
		{registrations.ErrOrderClosed, http.StatusConflict, CodeOrderClosed, ""},
		{registrations.ErrOrderConfirmed, http.StatusConflict, CodeOrderConfirmed, ""},
		{registrations.ErrSeatsNotReserved, http.StatusConflict, CodeNotReserved, ""},
		{registrations.ErrPromoUnknown, http.StatusUnprocessableEntity, CodePromoUnknown, "promo_code"},
		{registrations.ErrPromoExpired, http.StatusUnprocessableEntity, CodePromoNotValid, "promo_code"},
		{registrations.ErrPromoNotYetValid, http.StatusUnprocessableEntity, CodePromoNotValid, "promo_code"},
		{registrations.ErrPromoExhausted, http.StatusConflict, CodePromoExhausted, "promo_code"},
		{registrations.ErrPromoNotApplicable, http.StatusUnprocessableEntity, CodePromoNotApplies, "promo_code"},
		{registrations.ErrRegistrantMissing, http.StatusUnprocessableEntity, CodeRegistrantMissing, "registrant"},
		{registrations.ErrSeatTypeNotPriced, http.StatusUnprocessableEntity, CodeSeatTypeNotPriced, "seats"},
		{registrations.ErrUnknownSeatType, http.StatusUnprocessableEntity, CodeSeatTypeNotPriced, "seats"},
		{registrations.ErrNoAssignments, http.StatusConflict, CodeNotConfirmed, ""},
		{registrations.ErrUnknownPosition, http.StatusUnprocessableEntity, CodeUnknownPosition, "position"},
		{registrations.ErrAlreadyWaiting, http.StatusConflict, CodeAlreadyWaiting, "email"},
		{registrations.ErrSeatsOnSale, http.StatusConflict, CodeSeatsAvailable, "seat_type"},
		{registrations.ErrOfferExpired, http.StatusGone, CodeOfferPassed, ""},
		{registrations.ErrNoOpenOffer, http.StatusGone, CodeOfferPassed, ""},
	}
	var de *registrations.Error
	errors.As(err, &de)
	for _, s := range specific {
		if errors.Is(err, s.target) {
			return &Error{Status: s.status, Code: s.code, Field: s.field, Message: de.Message}
		}
	}
	switch code {
	case registrations.CodeInvalid:
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeInvalid, Field: de.Field, Message: de.Message}
	case registrations.CodeNotFound:
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: de.Message}
	default:
		return &Error{Status: http.StatusConflict, Code: CodeConflict, Message: de.Message}
	}
}

func fromEchoError(he *echo.HTTPError) *Error {
	msg := http.StatusText(he.Code)
	switch he.Code {
	case http.StatusNotFound:
		return apiErr(he.Code, CodeNotFound, "", "no such endpoint")
	case http.StatusMethodNotAllowed:
		return apiErr(he.Code, CodeMethodNotAllowed, "", "method not allowed on this endpoint")
	case http.StatusRequestEntityTooLarge:
		return apiErr(he.Code, CodeBodyTooLarge, "", "request body too large")
	case http.StatusUnsupportedMediaType:
		return apiErr(he.Code, CodeUnsupportedMedia, "", "request body must be application/json")
	}
	if he.Code >= 400 && he.Code < 500 {
		return apiErr(he.Code, CodeInvalid, "", "%s", msg)
	}
	return apiErr(http.StatusInternalServerError, CodeInternal, "", "internal error")
}
