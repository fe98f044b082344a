package web

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"conference/kiosk/readmodel"
	"conference/shared/registrations"
	"conference/shared/webui"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// view is what every page template gets: the layout's needs plus the
// page's own Data.
type view struct {
	Title   string
	CSRF    string
	Staff   string // "" on the locked screens
	Flash   string
	Section string
	// Query refills the search field (empty after an action, so the next
	// scan starts clean).
	Query string
	// Status is the status bar; nil on the locked screens.
	Status *statusView
	// Here is the address that shows this page again by GET: the status
	// bar's "Try again" and its refresh return there once the kiosk can
	// record, so the page comes back with its actions.
	Here string
	// KioskName is the kiosk's name, "" until the hub's record of it
	// arrived.
	KioskName string
	// IdleSeconds and RefreshSeconds drive the page's timers.
	IdleSeconds, RefreshSeconds int
	Data                        any
}

// Locked reports whether the page is one of the locked screens.
func (v view) Locked() bool { return v.Staff == "" }

// CanAct reports whether actions may be offered: the kiosk can record
// (or the status could not even be read, in which case the action itself
// will say).
func (v view) CanAct() bool { return v.Status == nil || v.Status.CanAct() }

// funcs are the templates' helpers. Times show in the conference's time
// zone, whatever the kiosk machine's own; kiosks show by name.
func (s *site) funcs() template.FuncMap {
	return template.FuncMap{
		"money": formatMoney,
		"when":  s.when,
		"clock": func(t time.Time) string { return t.In(s.k.Location()).Format("15:04") },
		"ago":   func(t time.Time) string { return ago(s.now().Sub(t)) },
		"kiosk": s.k.KioskName,
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return fmt.Sprintf("%d %s", n, one)
			}
			return fmt.Sprintf("%d %s", n, many)
		},
		"seat":      func(a readmodel.AttendeeView) string { return a.Seat.String() },
		"seatNames": seatNames,
		"problem":   problemOf,
	}
}

// when is a moment as the venue reads it.
func (s *site) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.k.Location()).Format("15:04, Mon 2 Jan")
}

// ago says how long ago something happened, for the last hour; "" after.
func ago(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d seconds ago", int(d/time.Second))
	case d < 2*time.Minute:
		return "1 minute ago"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d/time.Minute))
	}
	return ""
}

// seatNames lists the seat types an attendee holds, by name.
func seatNames(a readmodel.AttendeeView) string {
	var names []string
	for _, st := range a.SeatTypes {
		if st.Name != "" {
			names = append(names, st.Name)
		}
	}
	return strings.Join(names, ", ")
}

// formatMoney renders minor units with two decimals and the currency.
func formatMoney(m registrations.Money) string {
	a, sign := m.Amount, ""
	if a < 0 {
		sign, a = "-", -a
	}
	units := fmt.Sprint(a / 100)
	var b strings.Builder
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(fmt.Sprintf("%s%s.%02d %s", sign, b.String(), a%100, m.Currency))
}

func minutes(d time.Duration) string {
	n := int(d.Round(time.Minute) / time.Minute)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(d/time.Second))
	case n == 1:
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", n)
}

// here is where a GET shows the page of this request again: the request
// itself when it is a GET, otherwise the page the form was on (a POST's
// answer cannot be reloaded without repeating the action), else home.
func here(c echo.Context) string {
	r := c.Request()
	if r.Method == http.MethodGet {
		if h := safeNext(r.URL.RequestURI()); h != "" {
			return h
		}
		return "/"
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		if h := safeNext(ref.RequestURI()); h != "" {
			return h
		}
	}
	return "/"
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// render fills in what the layout needs and draws the page. A template
// error is logged and answered with a plain 500: the error page would go
// through the same templates.
func (s *site) render(c echo.Context, status int, page string, v view) error {
	v.CSRF = webui.CSRFToken(c)
	v.Staff = staffOf(c)
	if v.Flash == "" {
		v.Flash = s.flash.Take(c)
	}
	if v.Staff != "" && v.Status == nil {
		v.Status = s.status(c)
	}
	if v.Here == "" {
		v.Here = here(c)
	}
	v.KioskName, _ = s.k.Name()
	v.IdleSeconds = int(s.opts.IdleLock / time.Second)
	v.RefreshSeconds = max(1, int(s.opts.StatusRefresh/time.Second))
	if err := s.pages.Render(c, status, page, v); err != nil {
		s.log.Error("render kiosk page", "page", page, "err", err)
		return c.String(http.StatusInternalServerError, "The kiosk could not draw this page. Nothing was recorded unless a page said so.")
	}
	return nil
}
