package api

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

var errRateLimited = apiErr(http.StatusTooManyRequests, CodeRateLimited, "", "too many access-code attempts from this address; try again later")

// limiter keeps one token bucket per client IP for access-code attempts.
// Buckets that have refilled are forgotten, so memory stays bounded by
// the clients guessing right now.
type limiter struct {
	every rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	swept   time.Time
}

func newLimiter(every rate.Limit, burst int) *limiter {
	return &limiter{every: every, burst: burst, buckets: map[string]*rate.Limiter{}}
}

func (l *limiter) bucket(ip string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if b.TokensAt(now) >= float64(l.burst) {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[ip]
	if !ok {
		b = rate.NewLimiter(l.every, l.burst)
		l.buckets[ip] = b
	}
	return b
}

// allow spends one attempt; false means the client must wait.
func (l *limiter) allow(ip string) bool { return l.bucket(ip).Allow() }

// mayTry reports whether ip has an attempt left, without spending it.
func (l *limiter) mayTry(ip string) bool {
	l.mu.Lock()
	b, ok := l.buckets[ip]
	l.mu.Unlock()
	return !ok || b.Tokens() >= 1
}

// failed spends one attempt of ip on a wrong guess.
func (l *limiter) failed(ip string) { l.bucket(ip).Allow() }

// clientIP is whom the limiter counts: the socket's peer, or with
// TrustProxy what the proxy says.
func (a *api) clientIP(c echo.Context) string {
	if a.opts.TrustProxy {
		return c.RealIP()
	}
	host, _, err := net.SplitHostPort(c.Request().RemoteAddr)
	if err != nil {
		return c.Request().RemoteAddr
	}
	return host
}
