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
// it is done, so memory does not grow with the list (see cmd/badgebench).
// Render checks ctx before each badge; once cancelled, or on any other
// error after the checks, it returns the error and what it wrote to w is
// an incomplete PDF the caller must discard (nothing is written before the
// first chunk of about 48 badges is drawn).
func Render(ctx context.Context, w io.Writer, style Style, list []Badge, progress Progress) (err error) {
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
	if len(list) == 0 {
		return fmt.Errorf("render badges: %w", ErrNoBadges)
	}
	fb, err := newFontBook()
	if err != nil {
		return fmt.Errorf("render badges: %w", err)
	}
	prepared, err := prepare(fb, list)
	if err != nil {
		return fmt.Errorf("render badges: %w", err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops barcode workers if drawing fails
	codes := encodeBarcodes(ctx, prepared)

	per := st.layout.PerPage()
	size := (chunkBadges + per - 1) / per * per
	if len(prepared) <= size {
		// One chunk is the whole document (a kiosk's single badge, above
		// all): gofpdf writes it straight out, with no join to pay for.
		c := chunk{style: st, list: prepared, start: 0, end: len(prepared), title: title(prepared)}
		return c.render(ctx, w, codes, progress)
	}
	out := pdfjoin.New(w)
	var buf bytes.Buffer
	for start := 0; start < len(prepared); start += size {
		c := chunk{style: st, list: prepared, start: start, end: min(start+size, len(prepared))}
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
	if err := out.Close(pdfjoin.Info{Title: title(prepared), Creator: creator, Producer: "gofpdf"}); err != nil {
		return fmt.Errorf("render badges: %w", err)
	}
	return nil
}

// chunk is the part list[start:end] of a batch, drawn as one small PDF.
type chunk struct {
	style      resolvedStyle
	list       []Badge
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
	for i := c.start; i < c.end; i++ {
		if err := fb.needBadge(c.list[i], i); err != nil {
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
	total := len(c.list)
	for i := c.start; i < c.end; i++ {
		b := c.list[i]
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

// prepare normalises and checks every badge.
func prepare(fb *fontBook, list []Badge) ([]Badge, error) {
	out := make([]Badge, len(list))
	for i, b := range list {
		nb, err := b.normalized(i)
		if err != nil {
			return nil, err
		}
		if err := fb.needBadge(nb, i); err != nil {
			return nil, &BadgeError{Index: i, Name: b.Name, Field: err.field, Err: err.err}
		}
		out[i] = nb
	}
	return out, nil
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

func title(list []Badge) string {
	if len(list) == 1 {
		return "Badge: " + list[0].Name
	}
	return fmt.Sprintf("Badges (%d)", len(list))
}
