package badges

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/jung-kurt/gofpdf"

	"conference/badges/internal/arabic"
	"conference/badges/internal/fonts"
	"conference/badges/internal/visual"
)

// mmPerPt converts font sizes in points to millimetres.
const mmPerPt = 25.4 / 72

// run is a stretch of text printed in one font piece.
type run struct {
	piece *fonts.Piece
	text  string
	bold  bool
}

// boldStroke is the outline width, as a fraction of the font size, that
// emboldens text. The embedded fonts are used in one weight, with bold
// drawn as fill plus stroke: every extra font face a document embeds costs
// gofpdf about 2 ms, and the CJK font has no bold face anyway.
const boldStroke = 0.045

// fontBook chooses a font piece per character and records which characters
// each piece must hold in the document being built.
type fontBook struct {
	stack *fonts.Stack
	used  map[*fonts.Piece]map[rune]bool
}

func newFontBook() (*fontBook, error) {
	stack, err := fonts.Sans()
	if err != nil {
		return nil, fmt.Errorf("load fonts: %w", err)
	}
	return &fontBook{stack: stack, used: map[*fonts.Piece]map[rune]bool{}}, nil
}

// has reports whether an embedded font prints r.
func (fb *fontBook) has(r rune) bool {
	_, ok := fb.stack.Lookup(r)
	return ok
}

// shape returns text as it prints, still in logical order: Arabic letters
// in their joined forms, where the fonts have them.
func (fb *fontBook) shape(text string) []rune {
	return arabic.Shape([]rune(text), fb.has)
}

// need records that text will print; the error wraps
// ErrUnsupportedCharacter when a character cannot print, naming its script.
func (fb *fontBook) need(text string) error {
	shaped := fb.shape(text)
	if _, err := visual.New(shaped); err != nil {
		return fmt.Errorf("%w: %q cannot be put in visual order: %v", ErrUnsupportedCharacter, text, err)
	}
	for _, r := range shaped {
		p, ok := fb.stack.Lookup(r)
		if !ok {
			return unprintable(r)
		}
		if arabic.Joins(r) {
			return fmt.Errorf("%w: no embedded font has the joined forms of the Arabic letter %q (U+%04X)", ErrUnsupportedCharacter, r, r)
		}
		if fb.used[p] == nil {
			fb.used[p] = map[rune]bool{}
		}
		fb.used[p][r] = true
	}
	return nil
}

// install adds to pdf, for each piece needed, a subset font holding just
// the characters the document prints. The subsets are cut concurrently:
// with CJK text a document needs several.
func (fb *fontBook) install(pdf *gofpdf.Fpdf) error {
	pieces := make([]*fonts.Piece, 0, len(fb.used))
	for p := range fb.used {
		pieces = append(pieces, p)
	}
	slices.SortFunc(pieces, func(a, b *fonts.Piece) int { return strings.Compare(a.Name, b.Name) })
	subsets := make([][]byte, len(pieces))
	errs := make([]error, len(pieces))
	var wg sync.WaitGroup
	for i, p := range pieces {
		runes := make([]rune, 0, len(fb.used[p]))
		for r := range fb.used[p] {
			runes = append(runes, r)
		}
		slices.Sort(runes)
		wg.Go(func() { subsets[i], errs[i] = p.Subset(runes) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i, p := range pieces {
		pdf.AddUTF8FontFromBytes(p.Name, "", subsets[i])
	}
	return pdf.Error()
}

// label is a text prepared for drawing: letters joined and each
// character's bidi level resolved, so that any part of it can be laid out
// as a line.
type label struct {
	fb   *fontBook
	text []rune // shaped, in logical order
	para *visual.Paragraph
	bold bool
}

// label prepares text, which the caller has passed to need, for drawing.
func (fb *fontBook) label(text string, bold bool) label {
	l := label{fb: fb, text: fb.shape(text), bold: bold}
	l.para, _ = visual.New(l.text) // need has checked that it succeeds
	return l
}

// line returns the characters start to end-1 of l laid out as one line:
// runs of one font piece, in the order they are drawn, left to right.
func (l label) line(start, end int) []run {
	chars := l.text[start:end]
	if l.para != nil {
		chars = l.para.Line(start, end)
	}
	var out []run
	first := 0
	var cur *fonts.Piece
	for i, r := range chars {
		p, _ := l.fb.stack.Lookup(r)
		if p != cur && i > first {
			out = append(out, run{cur, string(chars[first:i]), l.bold})
			first = i
		}
		cur = p
	}
	if first < len(chars) {
		out = append(out, run{cur, string(chars[first:]), l.bold})
	}
	return out
}

// runs lays text, which the caller has passed to need, out as one line.
func (fb *fontBook) runs(text string, bold bool) []run {
	l := fb.label(text, bold)
	return l.line(0, len(l.text))
}

// width returns the printed width in mm of runs at size points.
func width(pdf *gofpdf.Fpdf, runs []run, size float64) float64 {
	w := 0.0
	for _, r := range runs {
		pdf.SetFont(r.piece.Name, "", size)
		w += pdf.GetStringWidth(r.text)
	}
	return w
}

// write prints runs in the current text colour with the baseline starting
// at (x, y).
func write(pdf *gofpdf.Fpdf, runs []run, size, x, y float64) {
	for _, r := range runs {
		pdf.SetFont(r.piece.Name, "", size)
		if r.bold {
			pdf.SetDrawColor(pdf.GetTextColor())
			pdf.SetLineWidth(size * mmPerPt * boldStroke)
			pdf.SetTextRenderingMode(2) // fill, then stroke
		}
		pdf.Text(x, y, r.text)
		if r.bold {
			pdf.SetTextRenderingMode(0)
		}
		x += pdf.GetStringWidth(r.text)
	}
}

// fitSize returns the largest size up to max (points) at which runs fit in
// w millimetres.
func fitSize(pdf *gofpdf.Fpdf, runs []run, w, max float64) float64 {
	at1 := width(pdf, runs, 1)
	if at1 <= 0 {
		return max
	}
	return min(max, w/at1)
}

// ellipsize shortens text with "…" until it fits w mm at size points; used
// only for secondary lines (seat types), never for the attendee name.
func (fb *fontBook) ellipsize(pdf *gofpdf.Fpdf, text string, bold bool, size, w float64) []run {
	rs := fb.runs(text, bold)
	if width(pdf, rs, size) <= w {
		return rs
	}
	runes := []rune(text)
	for n := len(runes) - 1; n > 0; n-- {
		rs = fb.runs(strings.TrimSpace(string(runes[:n]))+"…", bold)
		if width(pdf, rs, size) <= w {
			return rs
		}
	}
	return fb.runs("…", bold)
}
