package webui

import (
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
// keys active now.
type Limiter struct {
	every rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	swept   time.Time
}

// NewLimiter allows burst attempts at once per key, refilled at every;
// now is the clock (time.Now when nil).
func NewLimiter(every rate.Limit, burst int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{every: every, burst: burst, now: now, buckets: map[string]*rate.Limiter{}}
}

// PerMinute allows n attempts per minute per key, all n at once if need be.
func PerMinute(n int, now func() time.Time) *Limiter {
	return NewLimiter(rate.Limit(float64(n)/time.Minute.Seconds()), n, now)
}

// Allow spends one token of key's bucket; false means key must wait.
func (l *Limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) > sweepEvery {
		for k, b := range l.buckets {
			if b.TokensAt(now) >= float64(l.burst) {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = rate.NewLimiter(l.every, l.burst)
		l.buckets[key] = b
	}
	return b.AllowN(now, 1)
}

// MayTry reports whether key has a token left, without spending it.
func (l *Limiter) MayTry(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	return !ok || b.TokensAt(l.now()) >= 1
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
