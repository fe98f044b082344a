package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"conference/shared/webui"
)

var errRateLimited = apiErr(http.StatusTooManyRequests, CodeRateLimited, "", "too many access-code attempts from this address; try again later")

// clientIP is whom the access-code limiter (a.guesses) counts: the
// socket's peer, or with TrustProxy what the proxy says.
func (a *api) clientIP(c echo.Context) string {
	if a.opts.TrustProxy {
		return c.RealIP()
	}
	return webui.ClientAddr(c)
}
