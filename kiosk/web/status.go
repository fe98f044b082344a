package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"conference/kiosk"
	"conference/shared/webui"
)

// statusView is the status bar: what staff need to trust the screen.
type statusView struct {
	kiosk.Status
	// Error is set when the status itself could not be read.
	Error string
	Lines []allocationLine
	// KioskName is the kiosk's name as the organizer gave it, never its id.
	KioskName string
}

// allocationLine is one seat type the kiosk sells, with what is left of
// its allocation.
type allocationLine struct {
	Name        string
	Left        int
	PastAllowed bool // sold past the allocation, pending the hub
}

// CanAct reports whether the kiosk can record an action now.
func (v *statusView) CanAct() bool {
	return v.Error == "" && v.CanRecord && v.Paired && !v.RestartRequired
}

// status reads the kiosk's status for the bar. A failure to read it is
// shown, not hidden: it usually means the database is in trouble.
func (s *site) status(c echo.Context) *statusView {
	st, err := s.k.Status(c.Request().Context())
	v := &statusView{Status: st, KioskName: "Name not received from the hub yet"}
	if name, ok := s.k.Name(); ok {
		v.KioskName = name
	}
	if err != nil {
		s.log.Warn("kiosk status", "err", err)
		v.Error = "The kiosk cannot read its own database."
		v.CanRecord = false
	}
	for _, lines := range st.Allocation {
		for _, l := range lines {
			if l.Policy.SellableAtKiosks {
				v.Lines = append(v.Lines, allocationLine{Name: l.Name, Left: l.AllocationLeft, PastAllowed: l.Policy.SellPastAllocation})
			}
		}
	}
	slices.SortFunc(v.Lines, func(a, b allocationLine) int { return strings.Compare(a.Name, b.Name) })
	return v
}

// statusBar answers the page's periodic refresh with the bar and banners
// alone, rendered by the same template as the full page.
func (s *site) statusBar(c echo.Context) error {
	v := view{Staff: staffOf(c), CSRF: webui.CSRFToken(c), Status: s.status(c), Here: safeNext(c.QueryParam("here"))}
	if v.Here == "" {
		v.Here = "/"
	}
	if err := s.pages.RenderPartial(c, http.StatusOK, "statusbar", v); err != nil {
		s.log.Error("render status bar", "err", err)
		return c.NoContent(http.StatusInternalServerError)
	}
	return nil
}
