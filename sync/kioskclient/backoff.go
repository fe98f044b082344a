package kioskclient

import (
	"math/rand/v2"
	"time"
)

// healthyConnection is how long a connection must have lived for the
// reconnect delay to start over from the minimum.
const healthyConnection = 30 * time.Second

// backoff computes reconnect delays: doubling from min up to max, half of
// each delay fixed and half random ("equal jitter"), so kiosks cut off
// together do not all come back in the same instant, and back to min
// after a connection that was healthy. Not safe for concurrent use.
type backoff struct {
	min, max time.Duration
	next     time.Duration
	// jitter returns a duration uniformly in [0, n].
	jitter func(n time.Duration) time.Duration
}

func newBackoff(minDelay, maxDelay time.Duration) *backoff {
	return &backoff{min: minDelay, max: max(maxDelay, minDelay), next: minDelay,
		jitter: func(n time.Duration) time.Duration { return rand.N(n + 1) }}
}

// delay is how long to wait before reconnecting after a connection (or a
// failed attempt) that lived for lived.
func (b *backoff) delay(lived time.Duration) time.Duration {
	if lived > healthyConnection {
		b.next = b.min
	}
	d := b.next/2 + b.jitter(b.next-b.next/2)
	b.next = min(b.next*2, b.max)
	return d
}
