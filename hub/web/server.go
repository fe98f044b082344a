// Package web is the hub's HTTP adapter: routes, handlers and the server's
// lifecycle. Handlers call application services; no rule lives here.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"conference/shared/eventstore"
)

// Deps are what the handlers need.
type Deps struct {
	Store  eventstore.Store
	Logger *slog.Logger
}

// NewHandler returns the hub's HTTP handler with every route mounted.
func NewHandler(d Deps) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.Recover())
	e.Use(requestLog(d.Logger))
	routes(e, d)
	return e
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
