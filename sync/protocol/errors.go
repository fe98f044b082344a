package protocol

import (
	"fmt"
	"net/http"
)

// Code is a stable error code: it means the same at both ends and across
// protocol versions. New codes may be added; existing ones never change
// meaning.
type Code string

// Error codes. "Fatal" codes close the connection after the error message;
// the others answer one request and the connection stays open.
const (
	// CodeBadMessage: not valid JSON, unknown or missing field, bad value.
	CodeBadMessage Code = "bad_message"
	// CodeTooLarge: the message exceeds MaxMessageBytes or a count limit.
	CodeTooLarge Code = "too_large"
	// CodeUnknownType: the "type" field names no message of this version.
	CodeUnknownType Code = "unknown_type"
	// CodeOutOfOrder: a message not allowed in the connection's state
	// (anything before hello, a second hello, acking pages never sent).
	CodeOutOfOrder Code = "out_of_order"
	// CodeUnauthorized: missing, unknown or wrong-kiosk credential.
	CodeUnauthorized Code = "unauthorized"
	// CodeRevoked: the kiosk was revoked by the organizer; pair again.
	CodeRevoked Code = "revoked"
	// CodeVersionUnsupported: the peer's protocol version is not served;
	// the message says which side to update.
	CodeVersionUnsupported Code = "version_unsupported"
	// CodeSchemaUnsupported: an uploaded event has a schema newer than the
	// hub reads; the hub must be updated before the kiosk can upload.
	CodeSchemaUnsupported Code = "schema_unsupported"
	// CodeInvalidEvent: an uploaded event is refused by the merge rules
	// (wrong origin, malformed envelope); nothing of the batch was stored.
	CodeInvalidEvent Code = "invalid_event"
	// CodeGap: a batch does not continue the kiosk's acknowledged sequence.
	// Not fatal: Expected is the origin_seq to resend from.
	CodeGap Code = "gap"
	// CodeFlowControl: more credit or pages than the window allows.
	CodeFlowControl Code = "flow_control"
	// CodeCheckpointAhead: the kiosk claims hub positions the hub's log
	// does not have (hub restored from an older backup).
	CodeCheckpointAhead Code = "checkpoint_ahead"
	// CodeAllocationRefused: a seat allocation request or return was
	// refused by the domain (not sellable on site, nothing left). Not fatal.
	CodeAllocationRefused Code = "allocation_refused"
	// CodeNotFound: a request names a conference the kiosk does not serve.
	// Not fatal.
	CodeNotFound Code = "not_found"
	// CodeUnavailable: the hub does not offer this request (yet). Not fatal.
	CodeUnavailable Code = "unavailable"
	// CodeReplaced: a newer connection of the same kiosk took over.
	CodeReplaced Code = "replaced"
	// CodeTimeout: no hello in time, or the peer stopped answering pings.
	CodeTimeout Code = "timeout"
	// CodeShuttingDown: the hub is stopping; reconnect later.
	CodeShuttingDown Code = "shutting_down"
	// CodeInternal: a failure on the sender's side; retry later.
	CodeInternal Code = "internal"
	// CodePairingRefused: the pairing code is unknown, expired or used.
	CodePairingRefused Code = "pairing_refused"
	// CodeRateLimited: too many pairing attempts; wait and retry.
	CodeRateLimited Code = "rate_limited"
)

type codeInfo struct {
	close     int  // WebSocket close code (4000-4999: application range)
	status    int  // HTTP status when refused before the upgrade
	fatal     bool // the connection closes after this error
	permanent bool // reconnecting cannot help until someone acts
}

var codes = map[Code]codeInfo{
	CodeBadMessage:         {4400, http.StatusBadRequest, true, false},
	CodeTooLarge:           {4413, http.StatusRequestEntityTooLarge, true, false},
	CodeUnknownType:        {4415, http.StatusBadRequest, true, false},
	CodeOutOfOrder:         {4409, http.StatusConflict, true, false},
	CodeUnauthorized:       {4401, http.StatusUnauthorized, true, true},
	CodeRevoked:            {4403, http.StatusForbidden, true, true},
	CodeVersionUnsupported: {4426, http.StatusUpgradeRequired, true, true},
	CodeSchemaUnsupported:  {4422, http.StatusUnprocessableEntity, true, true},
	CodeInvalidEvent:       {4423, http.StatusUnprocessableEntity, true, false},
	CodeGap:                {0, http.StatusConflict, false, false},
	CodeFlowControl:        {4429, http.StatusBadRequest, true, false},
	CodeCheckpointAhead:    {4412, http.StatusPreconditionFailed, true, true},
	CodeAllocationRefused:  {0, http.StatusConflict, false, false},
	CodeNotFound:           {0, http.StatusNotFound, false, false},
	CodeUnavailable:        {0, http.StatusNotImplemented, false, false},
	CodeReplaced:           {4000, http.StatusConflict, true, false},
	CodeTimeout:            {4408, http.StatusRequestTimeout, true, false},
	CodeShuttingDown:       {4503, http.StatusServiceUnavailable, true, false},
	CodeInternal:           {4500, http.StatusInternalServerError, true, false},
	CodePairingRefused:     {4404, http.StatusForbidden, true, true},
	CodeRateLimited:        {4430, http.StatusTooManyRequests, true, false},
}

// Known reports whether c is a code of this protocol.
func (c Code) Known() bool { _, ok := codes[c]; return ok }

// Fatal reports whether the connection closes after an error with this code.
// Unknown codes (from a newer peer) are fatal.
func (c Code) Fatal() bool {
	info, ok := codes[c]
	return !ok || info.fatal
}

// Permanent reports whether reconnecting is pointless until a person acts
// (re-pair, update software, restore the hub).
func (c Code) Permanent() bool { return codes[c].permanent }

// CloseCode is the WebSocket close code sent with a fatal error.
func (c Code) CloseCode() int {
	if info, ok := codes[c]; ok && info.close != 0 {
		return info.close
	}
	return 4500
}

// HTTPStatus is the status of an HTTP answer carrying this error (pairing,
// and refusals before the WebSocket upgrade).
func (c Code) HTTPStatus() int {
	if info, ok := codes[c]; ok {
		return info.status
	}
	return http.StatusInternalServerError
}

// CodeOfClose maps a WebSocket close code back to its error code ("" when
// the close code is not one of ours).
func CodeOfClose(closeCode int) Code {
	if closeCode == closeMessageTooBig {
		// WebSocket libraries close an oversized frame themselves with the
		// standard code, before the application can say anything.
		return CodeTooLarge
	}
	for c, info := range codes {
		if info.close == closeCode && info.fatal {
			return c
		}
	}
	return ""
}

// closeMessageTooBig is RFC 6455's 1009.
const closeMessageTooBig = 1009

// Error is the "error" message and the Go error both ends return for it.
// errors.Is(err, protocol.ErrRevoked) matches any *Error with that code.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// RequestID names the request a non-fatal error answers.
	RequestID string `json:"request_id,omitempty"`
	// Expected is the origin_seq to resend from (CodeGap only).
	Expected int64 `json:"expected,omitempty"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Is matches another *Error with the same code, so the sentinels below work
// with errors.Is whatever the message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels for errors.Is.
var (
	ErrBadMessage         = &Error{Code: CodeBadMessage}
	ErrTooLarge           = &Error{Code: CodeTooLarge}
	ErrUnknownType        = &Error{Code: CodeUnknownType}
	ErrOutOfOrder         = &Error{Code: CodeOutOfOrder}
	ErrUnauthorized       = &Error{Code: CodeUnauthorized}
	ErrRevoked            = &Error{Code: CodeRevoked}
	ErrVersionUnsupported = &Error{Code: CodeVersionUnsupported}
	ErrSchemaUnsupported  = &Error{Code: CodeSchemaUnsupported}
	ErrInvalidEvent       = &Error{Code: CodeInvalidEvent}
	ErrGap                = &Error{Code: CodeGap}
	ErrFlowControl        = &Error{Code: CodeFlowControl}
	ErrCheckpointAhead    = &Error{Code: CodeCheckpointAhead}
	ErrAllocationRefused  = &Error{Code: CodeAllocationRefused}
	ErrNotFound           = &Error{Code: CodeNotFound}
	ErrUnavailable        = &Error{Code: CodeUnavailable}
	ErrReplaced           = &Error{Code: CodeReplaced}
	ErrTimeout            = &Error{Code: CodeTimeout}
	ErrShuttingDown       = &Error{Code: CodeShuttingDown}
	ErrInternal           = &Error{Code: CodeInternal}
	ErrPairingRefused     = &Error{Code: CodePairingRefused}
	ErrRateLimited        = &Error{Code: CodeRateLimited}
)
