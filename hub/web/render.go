package web

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
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
	Title     string
	Organizer *conferences.Organizer
	CSRF      string
	Flash     string
	// Section names the navigation entry to highlight.
	Section string
	// Conference, when set, shows the conference's sub-navigation.
	Conference *conferences.Conference
	Data       any
}

// form is a submitted (or to-be-filled) form: what was typed, kept on
// error, and one message per field.
type form struct {
	Values url.Values
	Errors map[string]string
}

func newForm(values url.Values) *form {
	if values == nil {
		values = url.Values{}
	}
	return &form{Values: values, Errors: map[string]string{}}
}

// Get is what the user typed in the field.
func (f *form) Get(name string) string { return f.Values.Get(name) }

// Err is the field's error message, "" if none.
func (f *form) Err(name string) string { return f.Errors[name] }

// Checked reports whether a checkbox was ticked.
func (f *form) Checked(name string) bool {
	v := f.Values.Get(name)
	return v == "on" || v == "true" || v == "1"
}

// Fail records a message for a field (the first one wins).
func (f *form) Fail(name, msg string) {
	if _, ok := f.Errors[name]; !ok {
		f.Errors[name] = msg
	}
}

// OK reports whether no field failed.
func (f *form) OK() bool { return len(f.Errors) == 0 }

// fieldView is what the "field" template draws: a label, an input keeping
// its value, and the error next to it, tied together for screen readers.
type fieldView struct {
	Form                       *form
	Name, Label, Type, Hint    string
	Attrs                      template.HTMLAttr
	Options                    []option
	Required, Multiline, Check bool
}

type option struct{ Value, Label string }

func (v fieldView) ID() string { return "f-" + strings.NewReplacer(".", "-", "_", "-").Replace(v.Name) }

func (v fieldView) Value() string { return v.Form.Get(v.Name) }

func (v fieldView) Error() string { return v.Form.Err(v.Name) }

var funcs = template.FuncMap{
	// field builds a fieldView: field form "name" "Label" "type" ["required"] ["hint=..."] ["attr=..."].
	"field": func(f *form, name, label, typ string, opts ...string) fieldView {
		v := fieldView{Form: f, Name: name, Label: label, Type: typ}
		switch typ {
		case "textarea":
			v.Multiline = true
		case "checkbox":
			v.Check = true
		}
		var attrs []string
		for _, o := range opts {
			switch {
			case o == "required":
				v.Required = true
			case strings.HasPrefix(o, "hint="):
				v.Hint = strings.TrimPrefix(o, "hint=")
			case strings.HasPrefix(o, "attr="):
				attrs = append(attrs, strings.TrimPrefix(o, "attr="))
			}
		}
		// Attribute text comes from templates only, never from input.
		v.Attrs = template.HTMLAttr(strings.Join(attrs, " "))
		return v
	},
	"money":    formatMoney,
	"amount":   formatAmount,
	"datetime": func(t time.Time, loc *time.Location) string { return t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST") },
	"date":     func(t time.Time, loc *time.Location) string { return t.In(loc).Format("2 Jan 2006") },
	"clock":    func(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04 MST") },
	"rfc3339":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"join":     strings.Join,
	"plural":   plural,
	"add":      func(a, b int) int { return a + b },
	"minutes": func(d time.Duration) string {
		n := int(d / time.Minute)
		if n == 1 {
			return "1 minute"
		}
		return fmt.Sprintf("%d minutes", n)
	},
}

// plural counts things: "1 seat", "2 seats".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// formatMoney renders minor units with two decimals and the currency, like
// registrations.Money does, grouped for reading: "1,250.00 EUR".
func formatMoney(m registrations.Money) string {
	return formatAmount(m.Amount) + " " + m.Currency
}

func formatAmount(a int64) string {
	sign := ""
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
	return fmt.Sprintf("%s%s.%02d", sign, b.String(), a%100)
}

// render fills in what the layout needs and draws the page; a template
// error comes back as an error, with nothing sent.
func (s *site) render(c echo.Context, status int, page string, v view) error {
	if v.Organizer == nil {
		v.Organizer = organizerOf(c)
	}
	v.CSRF = webui.CSRFToken(c)
	if v.Flash == "" {
		v.Flash = s.flash.Take(c)
	}
	return s.pages.Render(c, status, page, v)
}

// notFound renders the not-found page; tenancy checks end here too, so
// another organizer's conference looks exactly like a missing one.
func (s *site) notFound(c echo.Context) error {
	return s.render(c, http.StatusNotFound, "error", view{Title: "Not found", Data: errorPage{
		Heading: "Not found", Message: "There is nothing here. It may have been removed, or the address is mistyped.",
	}})
}

type errorPage struct{ Heading, Message string }
