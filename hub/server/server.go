// Package server is the hub's HTTP server: echo with the middleware every
// route shares, the health check, the adapters (JSON API, web pages, sync)
// mounted on it, and a graceful lifecycle.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"conference/hub/hubapp"
	"conference/sync/protocol"
)

// Mount registers an adapter's routes on the hub's echo.
type Mount func(e *echo.Echo) error

// New returns the hub's HTTP handler: /healthz, /metrics plus every mount.
func New(h *hubapp.Hub, mounts ...Mount) (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// Metrics outermost, so they count what Recover made of a panic.
	e.Use(h.Metrics.Middleware())
	e.Use(middleware.Recover())
	e.Use(requestLog(h.Log))
	h.Metrics.Mount(e, h.MetricsToken())
	e.GET("/healthz", handleHealth(h))
	e.GET("/livez", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "alive"}) })
	// Kiosks: the WebSocket sync endpoint and pairing.
	e.GET(protocol.Path, echo.WrapHandler(h.Sync))
	e.POST(protocol.PairPath, echo.WrapHandler(h.Sync))
	for _, m := range mounts {
		if err := m(e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// handleHealth answers whether this hub should get traffic: 200 once the
// database answers (its schema was migrated at open), 503 while the
// database is away or the hub is draining for shutdown. The body says which
// background work this process runs (its leases). /livez answers whether
// the process is alive at all.
func handleHealth(h *hubapp.Hub) echo.HandlerFunc {
	return func(c echo.Context) error {
		body := map[string]any{"database": string(h.Store.DB().Dialect), "leases": h.Leases()}
		if h.Draining() {
			body["status"] = "draining"
			return c.JSON(http.StatusServiceUnavailable, body)
		}
		head, err := h.Store.Head(c.Request().Context())
		if err != nil {
			body["status"], body["error"] = "unavailable", err.Error()
			return c.JSON(http.StatusServiceUnavailable, body)
		}
		body["status"], body["log_position"] = "ok", head
		return c.JSON(http.StatusOK, body)
	}
}

// Lifecycle says how Serve stops.
type Lifecycle struct {
	// Drain is how long the hub keeps serving, its health check already
	// failing, before it stops accepting: a load balancer checking every
	// half second needs a second or two to take it out of rotation.
	Drain time.Duration
	// OnDrain is called when draining starts (hubapp.Hub.Drain).
	OnDrain func()
	// Grace is how long in-flight requests may finish after that.
	Grace time.Duration
}

// Serve answers on ln until ctx ends; then it drains (health failing, still
// serving) for lc.Drain, stops accepting, and lets in-flight requests
// finish for up to lc.Grace before returning.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, lc Lifecycle, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if lc.OnDrain != nil {
		lc.OnDrain()
	}
	if lc.Drain > 0 {
		log.Info("draining: health check fails, requests still served", "for", lc.Drain)
		select {
		case <-time.After(lc.Drain):
		case err := <-errc:
			return err
		}
	}
	log.Info("shutting down", "grace", lc.Grace)
	sctx, cancel := context.WithTimeout(context.Background(), lc.Grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func requestLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			req, res := c.Request(), c.Response()
			level := slog.LevelDebug
			if res.Status >= 500 {
				level = slog.LevelError
			}
			log.Log(req.Context(), level, "http", "method", req.Method, "path", req.URL.Path,
				"status", res.Status, "dur", time.Since(start).Round(time.Microsecond))
			return nil
		}
	}
}
