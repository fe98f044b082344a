package badges

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jung-kurt/gofpdf"

	"conference/badges/internal/pdfjoin"
)

// ErrNoBadges means Render was given an empty list.
var ErrNoBadges = errors.New("no badges to render")

// ContentType is the media type of what Render writes, for handing the PDF
// to a browser when no print queue is configured.
const ContentType = "application/pdf"

// Progress is told, after each badge is drawn, how many of total are done.
type Progress func(done, total int)

// document is one PDF being built.
type document struct {
	pdf   *gofpdf.Fpdf
	style resolvedStyle
	fonts *fontBook
}

// RenderOne writes a PDF of a single badge, as the kiosk prints one when an
// attendee arrives.
func RenderOne(ctx context.Context, w io.Writer, style Style, b Badge) error {
	return Render(ctx, w, style, []Badge{b}, nil)
}

// chunkBadges is about how many badges go into each small gofpdf document
// that Render joins into its output (rounded up to whole pages). gofpdf
// keeps a document in memory until the end and each chunk embeds its own
// font subsets, so this trades memory (about 28 kB a badge) against output
// size (a few tens of kB of fonts a chunk).
const chunkBadges = 48

// creator is the document information's Creator.
const creator = "conference badges"

// Render writes one PDF holding a badge for each entry of list, laid out by
// style, to w.
//
// All badges and the style are checked first; on bad input Render returns
// an error (a *BadgeError or one wrapping ErrUnknownLayout or
// ErrInvalidColour) and writes nothing. progress, if not nil, is called
// after each badge is drawn.
//
// The list is drawn in chunks of a few pages, each written to w as soon as
// it is done, so Render needs no memory per badge beyond the list itself;
// RenderFrom draws from a Source instead of a list (see cmd/badgebench).
// Render checks ctx before each badge; once cancelled, or on any other
// error after the checks, it returns the error and what it wrote to w is
// an incomplete PDF the caller must discard (nothing is written before the
// first chunk of about 48 badges is drawn).
func Render(ctx context.Context, w io.Writer, style Style, list []Badge, progress Progress) error {
	return RenderFrom(ctx, w, style, Source{N: len(list), At: func(i int) Badge { return list[i] }}, progress)
}

// Source gives the badges of a batch by index, for lists the caller would
// rather not hold in memory at once: a CSV file, rows of a read model, a
// generator. At is called more than once for the same index (to check
// every badge before anything is written, to encode barcodes ahead on
// other goroutines, to draw), so it must be safe for concurrent use and
// return the same badge each time.
type Source struct {
	N  int
	At func(i int) Badge
}

// RenderFrom is Render for a Source: with a source that makes each badge
// when asked, memory does not grow with the number of badges at all.
func RenderFrom(ctx context.Context, w io.Writer, style Style, src Source, progress Progress) (err error) {
	defer func() {
		// gofpdf may panic on inputs it does not expect; never let that
		// cross the package boundary.
		if r := recover(); r != nil {
			err = fmt.Errorf("render badges: internal error: %v", r)
		}
	}()
	st, err := style.resolve()
	if err != nil {
		return fmt.Errorf("render badges: %w", err)
	}
	if src.N <= 0 {
		return fmt.Errorf("render badges: %w", ErrNoBadges)
	}
	fb, err := newFontBook()
	if err != nil {
		return fmt.Errorf("render badges: %w", err)
	}
	// Every badge is checked before anything is written; each chunk
	// normalises its own badges again rather than keeping a copy of the
	// whole list.
	if err := check(fb, src); err != nil {
		return fmt.Errorf("render badges: %w", err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops barcode workers if drawing fails
	codes := encodeBarcodes(ctx, src)

	per := st.layout.PerPage()
	size := (chunkBadges + per - 1) / per * per
	if src.N <= size {
		// One chunk is the whole document (a kiosk's single badge, above
		// all): gofpdf writes it straight out, with no join to pay for.
		c := chunk{style: st, src: src, start: 0, end: src.N, title: title(src)}
		return c.render(ctx, w, codes, progress)
	}
	out := pdfjoin.New(w)
	var buf bytes.Buffer
	for start := 0; start < src.N; start += size {
		c := chunk{style: st, src: src, start: start, end: min(start+size, src.N)}
		buf.Reset()
		if err := c.render(ctx, &buf, codes, progress); err != nil {
			return err
		}
		if err := out.Add(buf.Bytes()); err != nil {
			return fmt.Errorf("render badges: join pages: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("render badges: %w", err)
	}
	if err := out.Close(pdfjoin.Info{Title: title(src), Creator: creator, Producer: "gofpdf"}); err != nil {
		return fmt.Errorf("render badges: %w", err)
	}
	return nil
}

// chunk is the badges start to end-1 of a batch, drawn as one small PDF.
type chunk struct {
	style      resolvedStyle
	src        Source // as given: checked, not normalised
	start, end int
	// title, when set, makes the chunk a whole document: it gets the
	// document's title and creator, which the joiner otherwise writes.
	title string
}

// render draws the chunk's badges into one gofpdf document, with fonts
// subset to what the chunk prints, and writes it to w.
func (c chunk) render(ctx context.Context, w io.Writer, codes *encodedBarcodes, progress Progress) error {
	fb, err := newFontBook()
	if err != nil {
		return fmt.Errorf("render badges: %w", err)
	}
	window := make([]Badge, c.end-c.start)
	for i := range window {
		if window[i], err = c.src.At(c.start + i).normalized(c.start + i); err != nil {
			return fmt.Errorf("render badges: %w", err)
		}
		if err := fb.needBadge(window[i], c.start+i); err != nil {
			return fmt.Errorf("render badges: %w", err)
		}
	}
	l := c.style.layout
	pdf := gofpdf.NewCustom(&gofpdf.InitType{
		UnitStr: "mm",
		Size:    gofpdf.SizeType{Wd: l.PageWidth, Ht: l.PageHeight},
	})
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	if c.title != "" {
		pdf.SetCreator(creator, true)
		pdf.SetTitle(c.title, true)
	}
	if err := fb.install(pdf); err != nil {
		return fmt.Errorf("render badges: load fonts: %w", err)
	}
	d := &document{pdf: pdf, style: c.style, fonts: fb}
	per := l.PerPage()
	total := c.src.N
	for i := c.start; i < c.end; i++ {
		b := window[i-c.start]
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("render badges: stopped after %d of %d: %w", i, total, err)
		}
		qr, bars, err := codes.get(ctx, i)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("render badges: stopped after %d of %d: %w", i, total, err)
			}
			return fmt.Errorf("render badge for %q: %w", b.Name, err)
		}
		slot := (i - c.start) % per
		if slot == 0 {
			pdf.AddPage()
			if l.CutMarks {
				d.drawCutMarks()
			}
		}
		x, y := l.origin(slot)
		d.drawBadge(b, qr, bars, x, y)
		if err := pdf.Error(); err != nil {
			return fmt.Errorf("render badge for %q: %w", b.Name, err)
		}
		if progress != nil {
			progress(i+1, total)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("render badges: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("render badges: write PDF: %w", err)
	}
	return nil
}

// check normalises and checks every badge, keeping nothing.
func check(fb *fontBook, src Source) error {
	for i := range src.N {
		b := src.At(i)
		nb, err := b.normalized(i)
		if err != nil {
			return err
		}
		if err := fb.needBadge(nb, i); err != nil {
			return &BadgeError{Index: i, Name: b.Name, Field: err.field, Err: err.err}
		}
	}
	return nil
}

// fieldError says which field of a badge holds a character no font has.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }

// needBadge records the characters badge b prints, and those the design
// always prints, in fb.
func (fb *fontBook) needBadge(b Badge, i int) *fieldError {
	type field struct{ name, text string }
	fields := []field{
		{"name", b.Name},
		{"conference", b.Conference},
		{"company", b.Company},
		{"role", b.Role},
		{"access code", b.AccessCode},
		{"", fixedText},
		{"", seatsLabel},
	}
	for _, s := range b.SeatTypes {
		fields = append(fields, field{"seat type", s})
	}
	for _, f := range fields {
		if err := fb.need(f.text); err != nil {
			return &fieldError{f.name, err}
		}
	}
	return nil
}

func title(src Source) string {
	if src.N == 1 {
		if b, err := src.At(0).normalized(0); err == nil {
			return "Badge: " + b.Name
		}
	}
	return fmt.Sprintf("Badges (%d)", src.N)
}
