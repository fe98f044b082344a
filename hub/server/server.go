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

// New returns the hub's HTTP handler: /healthz plus every mount.
func New(h *hubapp.Hub, mounts ...Mount) (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.Recover())
	e.Use(requestLog(h.Log))
	e.GET("/healthz", handleHealth(h))
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

// handleHealth answers 200 while the database answers, which is when the
// hub can serve.
func handleHealth(h *hubapp.Hub) echo.HandlerFunc {
	return func(c echo.Context) error {
		head, err := h.Store.Head(c.Request().Context())
		if err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "error": err.Error()})
		}
		return c.JSON(http.StatusOK, map[string]any{"status": "ok", "log_position": head})
	}
}

// Serve answers on ln until ctx ends, then drains in-flight requests for up
// to grace before returning.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
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
