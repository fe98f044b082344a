package badges

import (
	"fmt"
	"slices"

	"github.com/boombuler/barcode"
	"github.com/jung-kurt/gofpdf"
)

// Design of one badge, in mm for the 4 x 3 in label (101.6 x 76.2 mm);
// other badge sizes scale it.
const (
	designW       = 101.6
	designH       = 76.2
	padX          = 5.5
	bandH         = 14
	nameCentreY   = 27.5
	nameMaxPt     = 28
	nameMinOnePt  = 17 // below this a name is tried on two lines
	nameTwoMaxPt  = 21
	companyY      = 41
	companyPt     = 12
	roleGap       = 5
	rolePt        = 9.5
	qrSize        = 21
	qrBottom      = 71.2
	barH          = 3
	seatsLabelPt  = 6.5
	seatPt        = 8.5
	seatMinPt     = 6.5
	seatLine      = 3.9
	accessBarH    = 4.2
	accessModule  = 0.26
	accessLabelPt = 6.5
)

var (
	ink      = rgb{0x1A, 0x1A, 0x1A}
	subtle   = rgb{0x55, 0x5B, 0x66}
	cutColor = rgb{0x40, 0x40, 0x40}
)

func setText(pdf *gofpdf.Fpdf, c rgb) { pdf.SetTextColor(c.r, c.g, c.b) }

// capMM is the approximate cap height in mm of text at size points.
func capMM(size float64) float64 { return size * mmPerPt * 0.72 }

// drawBadge draws b with its top-left corner at (ox, oy).
func (d *document) drawBadge(b Badge, qrCode, bars barcode.Barcode, ox, oy float64) {
	pdf, l, st := d.pdf, d.style.layout, d.style
	W, H := l.BadgeWidth, l.BadgeHeight
	k := min(W/designW, H/designH)
	pad := padX * k
	inner := W - 2*pad
	at := func(y float64) float64 { return oy + y*k }
	// The label height may differ from the design; anchor the bottom part
	// to the bottom edge.
	bottom := func(y float64) float64 { return oy + H - (designH-y)*k }

	pdf.SetFillColor(255, 255, 255)
	pdf.Rect(ox, oy, W, H, "F")

	// Header band with the conference name.
	pdf.SetFillColor(st.accent.r, st.accent.g, st.accent.b)
	pdf.Rect(ox, oy, W, bandH*k, "F")
	if b.Conference != "" {
		rs := d.fonts.runs(b.Conference, true)
		size := fitSize(pdf, rs, inner, 12*k)
		setText(pdf, st.onAccent)
		write(pdf, rs, size, ox+(W-width(pdf, rs, size))/2, at(bandH/2)+capMM(size)/2)
	}

	// Name, as large as fits; on two lines only when one would be small.
	setText(pdf, ink)
	d.drawName(b.Name, ox, at(nameCentreY), W, inner, k)

	// Company and role.
	y := float64(companyY)
	for _, line := range []struct {
		text  string
		size  float64
		color rgb
	}{{b.Company, companyPt, ink}, {b.Role, rolePt, subtle}} {
		if line.text == "" {
			continue
		}
		rs := d.fonts.runs(line.text, false)
		size := fitSize(pdf, rs, inner, line.size*k)
		setText(pdf, line.color)
		write(pdf, rs, size, ox+(W-width(pdf, rs, size))/2, at(y))
		y += roleGap
	}

	// Bottom: QR on the right, seat types and access code on the left.
	qrX := ox + W - pad - qrSize*k
	colW := inner
	if qrCode != nil {
		drawQR(pdf, qrCode, qrX, bottom(qrBottom-qrSize), qrSize*k)
		colW = qrX - 3*k - (ox + pad)
	}
	seatsTop := bottom(qrBottom - qrSize)
	seatsBottom := bottom(qrBottom)
	if bars != nil {
		barY := bottom(qrBottom) - accessBarH*k
		module := min(accessModule*k, colW*0.7/float64(bars.Bounds().Dx()))
		bw := drawBars(pdf, bars, ox+pad, barY, module, accessBarH*k)
		setText(pdf, subtle)
		write(pdf, d.fonts.runs(b.AccessCode, false), accessLabelPt*k, ox+pad+bw+2*k, barY+accessBarH*k)
		seatsBottom = barY - 1.5*k
	}
	d.drawSeats(b.SeatTypes, ox+pad, seatsTop, seatsBottom, colW, k)

	// Accent bar along the bottom edge.
	pdf.SetFillColor(st.accent.r, st.accent.g, st.accent.b)
	pdf.Rect(ox, oy+H-barH*k, W, barH*k, "F")
}

// drawName prints the attendee name centred on centreY: on one line shrunk
// to fit, or on two lines split at a space when that allows a larger size.
// It never cuts the name.
func (d *document) drawName(name string, ox, centreY, W, inner, k float64) {
	pdf := d.pdf
	rs := d.fonts.runs(name, true)
	size := fitSize(pdf, rs, inner, nameMaxPt*k)
	if size < nameMinOnePt*k {
		if l1, l2, s2 := d.splitName(name, inner, nameTwoMaxPt*k); s2 > size {
			gap := s2 * mmPerPt * 1.12
			for i, line := range [][]run{l1, l2} {
				y := centreY + capMM(s2)/2 + (float64(i)-0.5)*gap
				write(pdf, line, s2, ox+(W-width(pdf, line, s2))/2, y)
			}
			return
		}
	}
	write(pdf, rs, size, ox+(W-width(pdf, rs, size))/2, centreY+capMM(size)/2)
}

// splitName finds the space that lets the name print largest on two lines.
// The lines keep the direction of the whole name: the first line holds
// the first words read, for right-to-left names too.
func (d *document) splitName(name string, w, max float64) (l1, l2 []run, size float64) {
	l := d.fonts.label(name, true)
	for i, r := range l.text {
		if r != ' ' {
			continue
		}
		a, b := l.line(0, i), l.line(i+1, len(l.text))
		if s := min(fitSize(d.pdf, a, w, max), fitSize(d.pdf, b, w, max)); s > size {
			l1, l2, size = a, b, s
		}
	}
	return l1, l2, size
}

// drawSeats lists seat types under a small label between top and bottom,
// summarising what does not fit as "+N more".
func (d *document) drawSeats(seats []string, x, top, bottom, w, k float64) {
	if len(seats) == 0 {
		return
	}
	pdf, st := d.pdf, d.style
	setText(pdf, st.accent)
	y := top + capMM(seatsLabelPt*k)
	write(pdf, d.fonts.runs(seatsLabel, true), seatsLabelPt*k, x, y)
	lines := int((bottom - y) / (seatLine * k))
	lines = max(1, min(lines, maxPrintedSeats))
	setText(pdf, ink)
	for i, s := range seats {
		y += seatLine * k
		if i == lines-1 && len(seats) > lines {
			rs := d.fonts.runs(fmt.Sprintf("+ %d more", len(seats)-i), false)
			write(pdf, rs, max(seatMinPt*k, fitSize(pdf, rs, w, seatPt*k)), x, y)
			break
		}
		// The bullet is the list's, not the seat type's: it stays on the
		// left of a right-to-left seat type too.
		bullet, rs := d.fonts.runs(seatBullet, false), d.fonts.runs(s, false)
		size := max(seatMinPt*k, fitSize(pdf, slices.Concat(bullet, rs), w, seatPt*k))
		bw := width(pdf, bullet, size)
		write(pdf, slices.Concat(bullet, d.fonts.ellipsize(pdf, s, false, size, w-bw)), size, x, y)
	}
}

// seatsLabel heads the list of seat types; fixedText holds every character
// the design prints besides badge fields.
const (
	seatsLabel = "ACCESS"
	seatBullet = "• "
	fixedText  = "•…+ 0123456789more"
)

// drawCutMarks draws short marks in the page margins along every badge edge.
func (d *document) drawCutMarks() {
	l, pdf := d.style.layout, d.pdf
	x0, y0 := l.origin(0)
	x1 := x0 + float64(l.Columns)*l.BadgeWidth
	y1 := y0 + float64(l.Rows)*l.BadgeHeight
	gap := min(2, x0/3, y0/3)
	lenX, lenY := min(6, x0-2*gap), min(6, y0-2*gap)
	pdf.SetDrawColor(cutColor.r, cutColor.g, cutColor.b)
	pdf.SetLineWidth(0.2)
	for c := 0; c <= l.Columns; c++ {
		x := x0 + float64(c)*l.BadgeWidth
		pdf.Line(x, y0-gap, x, y0-gap-lenY)
		pdf.Line(x, y1+gap, x, y1+gap+lenY)
	}
	for r := 0; r <= l.Rows; r++ {
		y := y0 + float64(r)*l.BadgeHeight
		pdf.Line(x0-gap, y, x0-gap-lenX, y)
		pdf.Line(x1+gap, y, x1+gap+lenX, y)
	}
}
