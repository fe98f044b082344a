package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"conference/shared/webui"
)

// rateLimited answers a guess refused by a.guesses, saying when to try
// again (Retry-After).
func rateLimited(wait time.Duration) *Error {
	e := apiErr(http.StatusTooManyRequests, CodeRateLimited, "", "too many wrong access-code attempts for this order or from this address; try again later")
	e.RetryAfter = webui.RetryAfter(wait)
	return e
}

// clientIP is whom the access-code limiter (a.guesses) counts: the
// socket's peer, or with TrustProxy what the proxy says.
func (a *api) clientIP(c echo.Context) string {
	if a.opts.TrustProxy {
		return c.RealIP()
	}
	return webui.ClientAddr(c)
}
