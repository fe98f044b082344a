package badges

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jung-kurt/gofpdf"
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

// Render writes one PDF holding a badge for each entry of list, laid out by
// style, to w.
//
// All badges and the style are checked first; on bad input Render returns
// an error (a *BadgeError or one wrapping ErrUnknownLayout or
// ErrInvalidColour) and writes nothing. Render checks ctx before each
// badge and, once cancelled, returns ctx's error having written nothing.
// progress, if not nil, is called after each badge is drawn.
//
// gofpdf assembles the whole document in memory and writes it to w only at
// the end, so memory grows with the list, by about 28 MB per 1,000 badges
// (60 MB peak RSS for 1,000 on A4 sheets, 87 MB for 2,000; see
// cmd/badgebench). Split lists of many thousands into several documents.
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

	l := st.layout
	pdf := gofpdf.NewCustom(&gofpdf.InitType{
		UnitStr: "mm",
		Size:    gofpdf.SizeType{Wd: l.PageWidth, Ht: l.PageHeight},
	})
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCreator("conference badges", true)
	pdf.SetTitle(title(prepared), true)
	if err := fb.install(pdf); err != nil {
		return fmt.Errorf("render badges: load fonts: %w", err)
	}
	d := &document{pdf: pdf, style: st, fonts: fb}
	per := l.PerPage()
	for i, b := range prepared {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("render badges: stopped after %d of %d: %w", i, len(prepared), err)
		}
		qr, bars, err := codes.get(ctx, i)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("render badges: stopped after %d of %d: %w", i, len(prepared), err)
			}
			return fmt.Errorf("render badge for %q: %w", b.Name, err)
		}
		slot := i % per
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
			progress(i+1, len(prepared))
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

// prepare normalises and checks every badge and records the characters
// each font must hold.
func prepare(fb *fontBook, list []Badge) ([]Badge, error) {
	out := make([]Badge, len(list))
	for i, b := range list {
		nb, err := b.normalized(i)
		if err != nil {
			return nil, err
		}
		type field struct{ name, text string }
		fields := []field{
			{"name", nb.Name},
			{"conference", nb.Conference},
			{"company", nb.Company},
			{"role", nb.Role},
			{"access code", nb.AccessCode},
		}
		for _, s := range nb.SeatTypes {
			fields = append(fields, field{"seat type", s})
		}
		for _, f := range fields {
			if err := fb.need(f.text); err != nil {
				return nil, &BadgeError{Index: i, Name: b.Name, Field: f.name, Err: err}
			}
		}
		out[i] = nb
	}
	if err := errors.Join(fb.need(fixedText), fb.need(seatsLabel)); err != nil {
		return nil, err
	}
	return out, nil
}

func title(list []Badge) string {
	if len(list) == 1 {
		return "Badge: " + list[0].Name
	}
	return fmt.Sprintf("Badges (%d)", len(list))
}
