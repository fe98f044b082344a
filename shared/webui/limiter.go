package webui

import (
	"math"
	"net"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// sweepEvery is how often the limiter looks for keys to forget.
const sweepEvery = time.Minute

// Limiter is a token bucket per key (client address, email, ...). A key
// whose bucket has filled up again is forgotten: a fresh bucket would be
// the same, so forgetting loses no limit and memory stays bounded by the
// keys active now. Tokens can be given back (GiveBack), which is what
// lets Guesses count only wrong guesses.
type Limiter struct {
	every rate.Limit // tokens per second
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

// bucket holds tokens as of at.
type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter allows burst attempts at once per key, refilled at every;
// now is the clock (time.Now when nil).
func NewLimiter(every rate.Limit, burst int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{every: every, burst: burst, now: now, buckets: map[string]*bucket{}}
}

// PerMinute allows n attempts per minute per key, all n at once if need be.
func PerMinute(n int, now func() time.Time) *Limiter {
	return NewLimiter(rate.Limit(float64(n)/time.Minute.Seconds()), n, now)
}

// Allow spends one token of key's bucket; false means key must wait.
func (l *Limiter) Allow(key string) bool {
	ok, _ := l.Take(key)
	return ok
}

// Take spends one token of key's bucket, or reports how long until one
// is there, spending nothing.
func (l *Limiter) Take(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.bucket(now, key)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, l.untilOne(b.tokens)
}

// GiveBack returns a token Take spent (the attempt it paid for turned out
// not to count), never filling the bucket past its burst.
func (l *Limiter) GiveBack(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.bucket(now, key)
	b.tokens = min(float64(l.burst), b.tokens+1)
}

// MayTry reports whether key has a token left, without spending it.
func (l *Limiter) MayTry(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	return !ok || l.tokensAt(b, l.now()) >= 1
}

// bucket returns key's bucket refilled to now (full when new), after
// forgetting the full ones now and then. Callers hold mu.
func (l *Limiter) bucket(now time.Time, key string) *bucket {
	if now.Sub(l.swept) > sweepEvery {
		for k, b := range l.buckets {
			if l.tokensAt(b, now) >= float64(l.burst) {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: float64(l.burst), at: now}
		l.buckets[key] = b
	}
	b.tokens, b.at = l.tokensAt(b, now), later(b.at, now)
	return b
}

// tokensAt is what b holds at now, refilled since b.at.
func (l *Limiter) tokensAt(b *bucket, now time.Time) float64 {
	if !now.After(b.at) {
		return b.tokens
	}
	return min(float64(l.burst), b.tokens+now.Sub(b.at).Seconds()*float64(l.every))
}

// untilOne is how long a bucket holding tokens takes to hold one.
func (l *Limiter) untilOne(tokens float64) time.Duration {
	if l.every <= 0 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration((1 - tokens) / float64(l.every) * float64(time.Second))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ClientAddr is the key rate limits count by: the connection's peer
// address. Forwarded headers are not trusted, since anyone can send them.
func ClientAddr(c echo.Context) string {
	host, _, err := net.SplitHostPort(c.Request().RemoteAddr)
	if err != nil {
		return c.Request().RemoteAddr
	}
	return host
}
