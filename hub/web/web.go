// Package web is the hub's HTML adapter: the organizer back office and the
// registrant pages. Handlers call the application services of hubapp; no
// rule lives here.
package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"conference/hub/hubapp"
)

// Options configure the pages.
type Options struct{}

// Register mounts the pages on e.
func Register(e *echo.Echo, h *hubapp.Hub, _ Options) error {
	e.GET("/", func(c echo.Context) error {
		return c.HTML(http.StatusOK, `<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Conference hub</title>
<h1>Conference hub</h1><p>The hub is running.</p><p><a href="/healthz">Health check</a></p></html>`)
	})
	return nil
}
