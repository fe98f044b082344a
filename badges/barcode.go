package badges

import (
	"context"
	"fmt"
	"image/color"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"
	"github.com/jung-kurt/gofpdf"
)

// encodeQR encodes a token at error correction level M. Tokens from
// badges/token use only QR alphanumeric characters, which qr.Auto packs at
// 5.5 bits a character.
func encodeQR(text string) (barcode.Barcode, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("encode QR code: %w", err)
	}
	return code, nil
}

func encodeCode128(text string) (barcode.Barcode, error) {
	code, err := code128.Encode(text)
	if err != nil {
		return nil, fmt.Errorf("encode Code128 %q: %w", text, err)
	}
	return code, nil
}

func dark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}

// drawQR draws code as vector squares filling a size x size mm square at
// (x, y). Dark modules are merged into rectangles (runs along a row, and
// identical runs in consecutive rows) and written as one path in module
// units under a scaling matrix, so a QR code costs a few kilobytes of page
// content instead of tens: a batch holds every page in memory until the end.
// Rows overlap slightly so no hairline seams appear when rasterised.
func drawQR(pdf *gofpdf.Fpdf, code barcode.Barcode, x, y, size float64) {
	b := code.Bounds()
	n, rows := b.Dx(), b.Dy()
	k := pdf.GetConversionRatio() // points per mm
	_, pageH := pdf.GetPageSize()
	m := size / float64(n) * k
	type span struct{ start, length int }
	type rect struct{ col, row, w, h int }
	var rects []rect
	open := map[span]int{} // span -> index in rects, for runs continuing the previous row
	for row := 0; row < rows; row++ {
		next := map[span]int{}
		for col := 0; col < n; {
			if !dark(code.At(b.Min.X+col, b.Min.Y+row)) {
				col++
				continue
			}
			start := col
			for col < n && dark(code.At(b.Min.X+col, b.Min.Y+row)) {
				col++
			}
			sp := span{start, col - start}
			if i, ok := open[sp]; ok {
				rects[i].h++
				next[sp] = i
			} else {
				rects = append(rects, rect{start, row, col - start, 1})
				next[sp] = len(rects) - 1
			}
		}
		open = next
	}
	buf := make([]byte, 0, 16*len(rects)+64)
	buf = fmt.Appendf(buf, "q 0 g %.4f 0 0 %.4f %.3f %.3f cm\n", m, -m, x*k, (pageH-y)*k)
	for _, r := range rects {
		buf = strconv.AppendInt(buf, int64(r.col), 10)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, int64(r.row), 10)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, int64(r.w), 10)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, int64(r.h), 10)
		if r.row+r.h < rows {
			buf = append(buf, ".05"...)
		}
		buf = append(buf, " re\n"...)
	}
	buf = append(buf, "f Q"...)
	pdf.RawWriteStr(string(buf))
}

// drawBars draws a one-dimensional barcode with the given module width and
// height at (x, y), returning the width drawn.
func drawBars(pdf *gofpdf.Fpdf, code barcode.Barcode, x, y, module, height float64) float64 {
	b := code.Bounds()
	n := b.Dx()
	pdf.SetFillColor(0, 0, 0)
	for col := 0; col < n; {
		if !dark(code.At(b.Min.X+col, b.Min.Y)) {
			col++
			continue
		}
		start := col
		for col < n && dark(code.At(b.Min.X+col, b.Min.Y)) {
			col++
		}
		pdf.Rect(x+float64(start)*module, y, float64(col-start)*module, height, "F")
	}
	return float64(n) * module
}

// encodedBarcodes holds the barcodes of the next badges of a list, encoded
// on all CPUs while the document is being built: QR encoding is the
// largest part of drawing a badge. Workers stay at most lookahead badges
// ahead of drawing, in a ring of lookahead slots, so memory does not grow
// with the list.
type encodedBarcodes struct {
	slots [lookahead]encodedItem
	ahead chan struct{} // one token per badge claimed but not yet drawn
}

const lookahead = 64

type encodedItem struct {
	ready chan struct{}
	qr    barcode.Barcode
	bars  barcode.Barcode
	err   error
}

// encodeBarcodes starts encoding the barcodes of list in the background.
// Workers stop when ctx is done.
func encodeBarcodes(ctx context.Context, src Source) *encodedBarcodes {
	e := &encodedBarcodes{ahead: make(chan struct{}, lookahead)}
	for i := range e.slots {
		e.slots[i].ready = make(chan struct{})
	}
	var next atomic.Int64
	for range min(runtime.GOMAXPROCS(0), src.N) {
		go func() {
			for {
				// The token is what makes slot i%lookahead free: the
				// badge that used it last was drawn and its slot reset.
				select {
				case e.ahead <- struct{}{}:
				case <-ctx.Done():
					return
				}
				i := int(next.Add(1) - 1)
				if i >= src.N || ctx.Err() != nil {
					return
				}
				it := &e.slots[i%lookahead]
				b := src.At(i)
				if t := strings.TrimSpace(b.Token); t != "" {
					it.qr, it.err = encodeQR(t)
				}
				if c := strings.TrimSpace(b.AccessCode); c != "" && it.err == nil {
					it.bars, it.err = encodeCode128(c)
				}
				close(it.ready)
			}
		}()
	}
	return e
}

// get waits for the barcodes of badge i. Each badge's barcodes are got
// once, in order, from one goroutine.
func (e *encodedBarcodes) get(ctx context.Context, i int) (qr, bars barcode.Barcode, err error) {
	it := &e.slots[i%lookahead]
	select {
	case <-it.ready:
		qr, bars, err = it.qr, it.bars, it.err
		*it = encodedItem{ready: make(chan struct{})}
		<-e.ahead
		return qr, bars, err
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}
