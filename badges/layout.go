package badges

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Layout places badges on pages. Sizes are in millimetres; badges sit in a
// grid centred on the page.
type Layout struct {
	// Name is how styles, flags and configuration refer to the layout.
	Name string
	// Description says what the layout is for, for pickers in the UI.
	Description string
	// PageWidth and PageHeight are the page size.
	PageWidth, PageHeight float64
	// BadgeWidth and BadgeHeight are the size of one badge.
	BadgeWidth, BadgeHeight float64
	// Columns and Rows give the badges per page.
	Columns, Rows int
	// CutMarks draws marks in the page margin along the badge edges.
	CutMarks bool
}

// PerPage returns how many badges fit on one page.
func (l Layout) PerPage() int { return l.Columns * l.Rows }

// origin returns the top-left corner of badge slot i on its page.
func (l Layout) origin(slot int) (x, y float64) {
	mx := (l.PageWidth - float64(l.Columns)*l.BadgeWidth) / 2
	my := (l.PageHeight - float64(l.Rows)*l.BadgeHeight) / 2
	return mx + float64(slot%l.Columns)*l.BadgeWidth, my + float64(slot/l.Columns)*l.BadgeHeight
}

func (l Layout) validate() error {
	switch {
	case strings.TrimSpace(l.Name) == "":
		return fmt.Errorf("%w: empty name", ErrInvalidLayout)
	case l.Columns < 1 || l.Rows < 1:
		return fmt.Errorf("%w %q: %d x %d badges", ErrInvalidLayout, l.Name, l.Columns, l.Rows)
	case l.BadgeWidth < 50 || l.BadgeHeight < 35:
		return fmt.Errorf("%w %q: badge %.1f x %.1f mm is smaller than 50 x 35 mm", ErrInvalidLayout, l.Name, l.BadgeWidth, l.BadgeHeight)
	case float64(l.Columns)*l.BadgeWidth > l.PageWidth || float64(l.Rows)*l.BadgeHeight > l.PageHeight:
		return fmt.Errorf("%w %q: %d x %d badges do not fit the page", ErrInvalidLayout, l.Name, l.Columns, l.Rows)
	}
	return nil
}

// Names of the built-in layouts.
const (
	LayoutLabel4x3    = "label-4x3"
	LayoutA4Sheet     = "a4-sheet"
	LayoutLetterSheet = "letter-sheet"
	// DefaultLayout is used when a style names none.
	DefaultLayout = LayoutLabel4x3
)

var (
	layoutsMu sync.RWMutex
	layouts   = map[string]Layout{
		LayoutLabel4x3: {
			Name: LayoutLabel4x3, Description: "one 4 x 3 in badge per label, for badge printers",
			PageWidth: 101.6, PageHeight: 76.2, BadgeWidth: 101.6, BadgeHeight: 76.2, Columns: 1, Rows: 1,
		},
		LayoutA4Sheet: {
			Name: LayoutA4Sheet, Description: "eight 95 x 68 mm badges on A4, with cut marks",
			PageWidth: 210, PageHeight: 297, BadgeWidth: 95, BadgeHeight: 68, Columns: 2, Rows: 4, CutMarks: true,
		},
		LayoutLetterSheet: {
			Name: LayoutLetterSheet, Description: "six 4 x 3 in badges on US Letter, with cut marks",
			PageWidth: 215.9, PageHeight: 279.4, BadgeWidth: 101.6, BadgeHeight: 76.2, Columns: 2, Rows: 3, CutMarks: true,
		},
	}
)

// LookupLayout returns the registered layout with the given name; an empty
// name means DefaultLayout. The error wraps ErrUnknownLayout.
func LookupLayout(name string) (Layout, error) {
	if name == "" {
		name = DefaultLayout
	}
	layoutsMu.RLock()
	defer layoutsMu.RUnlock()
	l, ok := layouts[name]
	if !ok {
		return Layout{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownLayout, name, strings.Join(layoutNames(), ", "))
	}
	return l, nil
}

// Layouts returns the registered layouts sorted by name.
func Layouts() []Layout {
	layoutsMu.RLock()
	defer layoutsMu.RUnlock()
	out := make([]Layout, 0, len(layouts))
	for _, n := range layoutNames() {
		out = append(out, layouts[n])
	}
	return out
}

func layoutNames() []string {
	names := make([]string, 0, len(layouts))
	for n := range layouts {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// RegisterLayout adds or replaces a layout, e.g. for a conference's own
// badge stock. The error wraps ErrInvalidLayout.
func RegisterLayout(l Layout) error {
	if err := l.validate(); err != nil {
		return fmt.Errorf("register layout: %w", err)
	}
	layoutsMu.Lock()
	defer layoutsMu.Unlock()
	layouts[l.Name] = l
	return nil
}

// Style is a conference's choice of layout and colours. The zero Style is
// the default label layout in the default colours.
type Style struct {
	// Layout names a registered layout; empty means DefaultLayout.
	Layout string
	// Accent is the colour of the header band and highlights, as "#RRGGBB"
	// or "#RGB"; empty means a dark blue.
	Accent string
	// OnAccent is the colour of text on the header band; empty means white.
	OnAccent string
}

// DefaultAccent is the accent colour used when a style sets none.
const DefaultAccent = "#1F4E79"

type rgb struct{ r, g, b int }

// resolvedStyle is a checked Style.
type resolvedStyle struct {
	layout   Layout
	accent   rgb
	onAccent rgb
}

func (s Style) resolve() (resolvedStyle, error) {
	l, err := LookupLayout(s.Layout)
	if err != nil {
		return resolvedStyle{}, err
	}
	accent, err := parseColour("accent", s.Accent, DefaultAccent)
	if err != nil {
		return resolvedStyle{}, err
	}
	on, err := parseColour("text on accent", s.OnAccent, "#FFFFFF")
	if err != nil {
		return resolvedStyle{}, err
	}
	return resolvedStyle{layout: l, accent: accent, onAccent: on}, nil
}

// parseColour reads "#RRGGBB" or "#RGB".
func parseColour(field, s, def string) (rgb, error) {
	if s == "" {
		s = def
	}
	hex, ok := strings.CutPrefix(strings.TrimSpace(s), "#")
	if ok && len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if !ok || len(hex) != 6 || err != nil {
		return rgb{}, fmt.Errorf("%w for %s: %q (want #RRGGBB)", ErrInvalidColour, field, s)
	}
	return rgb{int(v >> 16 & 0xFF), int(v >> 8 & 0xFF), int(v & 0xFF)}, nil
}
