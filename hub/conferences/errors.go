package conferences

import (
	"errors"
	"fmt"
)

// Errors callers branch on with errors.Is. Adapters wrap them with context;
// the HTTP layer maps each to one status code.
var (
	// ErrInvalid is matched by every *ValidationError.
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound is returned for anything that does not exist or that
	// belongs to another organizer: a tenant never learns which.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a unique value (slug, email, seat type
	// name) is already taken.
	ErrConflict = errors.New("conflict")
	// ErrUnauthorized is returned for an unknown or revoked API token.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrQuotaBelowSold is returned when lowering a quota would leave fewer
	// seats than are already sold or reserved.
	ErrQuotaBelowSold = errors.New("quota below seats sold")
)

// ValidationError names the input field that is wrong and why, so a form can
// show the message next to the field. It matches ErrInvalid.
type ValidationError struct {
	Field   string
	Message string
}

// Error renders "field: message".
func (e *ValidationError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

// Is makes errors.Is(err, ErrInvalid) true for every validation error.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}
