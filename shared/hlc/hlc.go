// Package hlc implements a hybrid logical clock: physical milliseconds plus a
// logical counter, packed into one int64 so timestamps compare with < and
// store in a single indexed column.
//
// Kiosks record events offline with their own wall clocks; an HLC keeps the
// order of causally related events right even when those clocks drift, which
// plain wall-clock timestamps cannot.
package hlc

import (
	"fmt"
	"sync"
	"time"
)

// logicalBits is the width of the logical counter; 48 bits of milliseconds
// last until the year 10889.
const logicalBits = 16

const logicalMask = 1<<logicalBits - 1

// Timestamp is a packed hybrid logical clock reading.
type Timestamp int64

// New packs a physical time in Unix milliseconds and a logical counter.
func New(ms int64, logical uint16) Timestamp {
	return Timestamp(ms<<logicalBits | int64(logical))
}

// Millis is the physical component in Unix milliseconds.
func (t Timestamp) Millis() int64 { return int64(t) >> logicalBits }

// Logical is the logical counter.
func (t Timestamp) Logical() uint16 { return uint16(int64(t) & logicalMask) }

// Time is the physical component as a time.Time.
func (t Timestamp) Time() time.Time { return time.UnixMilli(t.Millis()).UTC() }

func (t Timestamp) String() string {
	return fmt.Sprintf("%s+%d", t.Time().Format("2006-01-02T15:04:05.000Z"), t.Logical())
}

// Clock issues monotonically increasing timestamps. It is safe for concurrent use.
type Clock struct {
	mu   sync.Mutex
	now  func() time.Time
	last Timestamp
}

// NewClock returns a clock reading physical time from now (time.Now when nil).
func NewClock(now func() time.Time) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now}
}

// Now returns a timestamp greater than every timestamp this clock has issued
// or observed.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = c.advance(c.last)
	return c.last
}

// Observe merges a timestamp received from another node, so that events this
// node records afterwards order after it.
func (c *Clock) Observe(remote Timestamp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if remote > c.last {
		c.last = remote
	}
}

func (c *Clock) advance(last Timestamp) Timestamp {
	phys := c.now().UnixMilli()
	if phys > last.Millis() {
		return New(phys, 0)
	}
	if last.Logical() == logicalMask {
		// Counter exhausted within one millisecond: borrow the next one
		// rather than wrap, which would break monotonicity.
		return New(last.Millis()+1, 0)
	}
	return last + 1
}
