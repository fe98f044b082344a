package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// routes is the one place that lists every URL the hub answers.
func routes(e *echo.Echo, d Deps) {
	e.GET("/healthz", handleHealth(d))
	e.GET("/", handleHome(d))
}

// handleHealth answers 200 once the store is open and readable, which is
// when the hub is ready to serve.
func handleHealth(d Deps) echo.HandlerFunc {
	return func(c echo.Context) error {
		head, err := d.Store.Head(c.Request().Context())
		if err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "error": err.Error()})
		}
		return c.JSON(http.StatusOK, map[string]any{"status": "ok", "log_position": head})
	}
}

func handleHome(d Deps) echo.HandlerFunc {
	return func(c echo.Context) error {
		head, _ := d.Store.Head(c.Request().Context())
		return c.HTML(http.StatusOK, `<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Conference hub</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d2433}</style>
<h1>Conference hub</h1><p>The hub is running. Event log position: `+strconv.FormatInt(head, 10)+`.</p>
<p><a href="/healthz">Health check</a></p></html>`)
	}
}
