package webui

import (
	"context"
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

	// shared, when set, keeps the buckets instead of memory: processes
	// that share a database (hub replicas) then share the limits too.
	shared Buckets
	name   string
}

// Buckets keep token buckets where several processes share them (the
// hub's database, package limits). Each call is one atomic step; a bucket
// never seen is full.
type Buckets interface {
	// Take spends one token of key's bucket if it holds one, and returns
	// the tokens it holds after.
	Take(ctx context.Context, key string, every rate.Limit, burst int, now time.Time) (ok bool, tokens float64, err error)
	// GiveBack returns one token, never past burst.
	GiveBack(ctx context.Context, key string, every rate.Limit, burst int, now time.Time) error
	// Tokens is what key's bucket holds now.
	Tokens(ctx context.Context, key string, every rate.Limit, burst int, now time.Time) (float64, error)
}

// Shared returns a limiter with l's rates whose buckets live in b, under
// name (each limiter its own name).
func (l *Limiter) Shared(b Buckets, name string) *Limiter {
	return &Limiter{every: l.every, burst: l.burst, now: l.now, buckets: map[string]*bucket{}, shared: b, name: name}
}

// sharedTimeout bounds a shared bucket's round trip. A limit that cannot
// be read lets the attempt through: whatever it guards needs the same
// database, and refusing everyone while it is away would only add to the
// outage.
const sharedTimeout = 2 * time.Second

func (l *Limiter) sharedCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), sharedTimeout)
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
	if l.shared != nil {
		ctx, cancel := l.sharedCtx()
		defer cancel()
		ok, tokens, err := l.shared.Take(ctx, l.name+":"+key, l.every, l.burst, l.now())
		if err != nil || ok {
			return true, 0
		}
		return false, l.untilOne(tokens)
	}
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
	if l.shared != nil {
		ctx, cancel := l.sharedCtx()
		defer cancel()
		l.shared.GiveBack(ctx, l.name+":"+key, l.every, l.burst, l.now()) //nolint:errcheck // see sharedTimeout
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.bucket(now, key)
	b.tokens = min(float64(l.burst), b.tokens+1)
}

// MayTry reports whether key has a token left, without spending it, and
// if not how long until it has one.
func (l *Limiter) MayTry(key string) (bool, time.Duration) {
	var tokens float64
	if l.shared != nil {
		ctx, cancel := l.sharedCtx()
		defer cancel()
		t, err := l.shared.Tokens(ctx, l.name+":"+key, l.every, l.burst, l.now())
		if err != nil {
			return true, 0
		}
		tokens = t
	} else {
		l.mu.Lock()
		b, ok := l.buckets[key]
		tokens = float64(l.burst)
		if ok {
			tokens = l.tokensAt(b, l.now())
		}
		l.mu.Unlock()
	}
	if tokens >= 1 {
		return true, 0
	}
	return false, l.untilOne(tokens)
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
