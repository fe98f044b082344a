package eventstore

import (
	"errors"
	"fmt"
)

// ErrConcurrency is matched (errors.Is) by every *ConflictError.
var ErrConcurrency = errors.New("concurrency conflict")

// ErrInvalid reports a batch the store refuses before touching storage.
var ErrInvalid = errors.New("invalid append")

// ErrClosed is returned by a store after Close.
var ErrClosed = errors.New("event store closed")

// ConflictError reports an expected-version mismatch; nothing was written.
type ConflictError struct {
	StreamID string
	Expected int64
	Actual   int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("stream %s: expected version %d, actual %d", e.StreamID, e.Expected, e.Actual)
}

// Is makes errors.Is(err, ErrConcurrency) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConcurrency }

// ErrUnavailable reports that the store's database cannot be reached right
// now (a server restarting, a network cut). Nothing of the failed call is
// known to be stored unless a retry with the same ids says so; callers
// answer "try again" (HTTP 503) rather than "failed".
var ErrUnavailable = errors.New("event store database unavailable")
