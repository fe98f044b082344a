package badges

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/boombuler/barcode"
	"github.com/jung-kurt/gofpdf"
)

// Ticket is what an attendee shows at the door, on paper or on a phone:
// one A6 page with the conference, the attendee's name, the seat types
// held and a large QR code carrying the same signed token a badge does, so
// one scan at any kiosk checks the attendee in.
type Ticket struct {
	// Conference is the conference name, in the header band.
	Conference string
	// Details is one line under it, such as the dates and the venue.
	Details string
	// Name is the attendee's name, in any script a badge prints.
	Name string
	// Company is optional.
	Company string
	// SeatTypes lists the seat types the ticket admits to.
	SeatTypes []string
	// AccessCode, when set, is printed under the QR code.
	AccessCode string
	// Token is the signed badge token (badges/token); required.
	Token string
}

// ErrNoTickets means RenderTickets was given an empty list.
var ErrNoTickets = errors.New("no tickets to render")

// ErrNoToken means a ticket has no token: a ticket without one checks
// nobody in.
var ErrNoToken = errors.New("ticket has no token")

// MaxTickets bounds one document: the tickets of one order.
const MaxTickets = 200

// TicketFileName is the name a ticket PDF goes by, as an attachment or a
// download.
const TicketFileName = "tickets.pdf"

// The ticket page (A6 portrait), in mm.
const (
	ticketW       = 105.0
	ticketH       = 148.0
	ticketPad     = 8.0
	ticketBand    = 22.0
	ticketQR      = 60.0
	ticketQRTop   = 64.0
	ticketNameY   = 35.0
	ticketCompany = 51.0
	ticketSeats   = 59.0
	ticketNameK   = 1.0 // the label badge's name sizes: the widths are alike
	ticketFooter  = "Show this page at the door: one scan checks you in."
	ticketCodeTag = "Access code "
	seatJoin      = " · "
)

// asBadge is the ticket's fields as a badge, which share the badge's
// checks: lengths, scripts, access code and token.
func (t Ticket) asBadge() Badge {
	return Badge{Conference: t.Conference, Name: t.Name, Company: t.Company, SeatTypes: t.SeatTypes,
		AccessCode: t.AccessCode, Token: t.Token}
}

// normalized checks the ticket as Badge.normalized does, plus Details and
// the token it must carry.
func (t Ticket) normalized(index int) (Ticket, error) {
	b, err := t.asBadge().normalized(index)
	if err != nil {
		return Ticket{}, err
	}
	details := clean(t.Details)
	if n := utf8.RuneCountInString(details); n > MaxTextLen {
		return Ticket{}, &BadgeError{Index: index, Name: t.Name, Field: "details", Err: fmt.Errorf("%w: %d characters, limit %d", ErrTooLong, n, MaxTextLen)}
	}
	if err := checkScript(details); err != nil {
		return Ticket{}, &BadgeError{Index: index, Name: t.Name, Field: "details", Err: err}
	}
	if b.Token == "" {
		return Ticket{}, &BadgeError{Index: index, Name: t.Name, Field: "token", Err: ErrNoToken}
	}
	return Ticket{Conference: b.Conference, Details: details, Name: b.Name, Company: b.Company, SeatTypes: b.SeatTypes,
		AccessCode: b.AccessCode, Token: b.Token}, nil
}

// RenderTickets writes one PDF with a page per ticket to w. Every ticket
// is checked first; on bad input it returns a *BadgeError (or ErrNoTickets)
// and writes nothing.
func RenderTickets(ctx context.Context, w io.Writer, list []Ticket) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("render tickets: internal error: %v", r)
		}
	}()
	if len(list) == 0 {
		return fmt.Errorf("render tickets: %w", ErrNoTickets)
	}
	if len(list) > MaxTickets {
		return fmt.Errorf("render tickets: %w: %d tickets, limit %d", ErrTooLong, len(list), MaxTickets)
	}
	st, err := Style{}.resolve()
	if err != nil {
		return fmt.Errorf("render tickets: %w", err)
	}
	fb, err := newFontBook()
	if err != nil {
		return fmt.Errorf("render tickets: %w", err)
	}
	tickets := make([]Ticket, len(list))
	qrs := make([]barcode.Barcode, len(list))
	for i, t := range list {
		if tickets[i], err = t.normalized(i); err != nil {
			return fmt.Errorf("render tickets: %w", err)
		}
		if ferr := fb.needTicket(tickets[i], i); ferr != nil {
			return fmt.Errorf("render tickets: %w", &BadgeError{Index: i, Name: t.Name, Field: ferr.field, Err: ferr.err})
		}
		if qrs[i], err = encodeQR(tickets[i].Token); err != nil {
			return fmt.Errorf("render ticket for %q: %w", t.Name, err)
		}
	}
	pdf := gofpdf.NewCustom(&gofpdf.InitType{UnitStr: "mm", Size: gofpdf.SizeType{Wd: ticketW, Ht: ticketH}})
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCreator(creator, true)
	pdf.SetTitle(ticketTitle(tickets), true)
	if err := fb.install(pdf); err != nil {
		return fmt.Errorf("render tickets: load fonts: %w", err)
	}
	d := &document{pdf: pdf, style: st, fonts: fb}
	for i, t := range tickets {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("render tickets: %w", err)
		}
		pdf.AddPage()
		d.drawTicket(t, qrs[i])
		if err := pdf.Error(); err != nil {
			return fmt.Errorf("render ticket for %q: %w", t.Name, err)
		}
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("render tickets: write PDF: %w", err)
	}
	return nil
}

func ticketTitle(list []Ticket) string {
	if len(list) == 1 {
		return "Ticket: " + list[0].Name
	}
	return fmt.Sprintf("Tickets (%d)", len(list))
}

// needTicket records the characters a ticket prints, as needBadge does.
func (fb *fontBook) needTicket(t Ticket, i int) *fieldError {
	if err := fb.needBadge(t.asBadge(), i); err != nil {
		return err
	}
	for _, f := range []struct{ name, text string }{{"details", t.Details}, {"", ticketFooter + ticketCodeTag + seatJoin}} {
		if err := fb.need(f.text); err != nil {
			return &fieldError{f.name, err}
		}
	}
	return nil
}

// drawTicket draws t on the current page.
func (d *document) drawTicket(t Ticket, qr barcode.Barcode) {
	pdf, st := d.pdf, d.style
	inner := ticketW - 2*ticketPad
	centred := func(text string, bold bool, size, y float64, c rgb) {
		rs := d.fonts.runs(text, bold)
		size = fitSize(pdf, rs, inner, size)
		setText(pdf, c)
		write(pdf, rs, size, (ticketW-width(pdf, rs, size))/2, y)
	}

	pdf.SetFillColor(st.accent.r, st.accent.g, st.accent.b)
	pdf.Rect(0, 0, ticketW, ticketBand, "F")
	if t.Conference != "" {
		centred(t.Conference, true, 16, ticketBand/2+capMM(16)/2-2, st.onAccent)
	}
	if t.Details != "" {
		centred(t.Details, false, 8.5, ticketBand-3.5, st.onAccent)
	}

	setText(pdf, ink)
	d.drawName(t.Name, 0, ticketNameY, ticketW, inner, ticketNameK)
	if t.Company != "" {
		centred(t.Company, false, companyPt, ticketCompany, subtle)
	}
	if len(t.SeatTypes) > 0 {
		centred(strings.Join(t.SeatTypes, seatJoin), true, 10, ticketSeats, st.accent)
	}

	drawQR(pdf, qr, (ticketW-ticketQR)/2, ticketQRTop, ticketQR)
	y := ticketQRTop + ticketQR + 8
	if t.AccessCode != "" {
		centred(ticketCodeTag+t.AccessCode, false, 11, y, ink)
	}
	centred(ticketFooter, false, 7.5, ticketH-9, subtle)
	pdf.SetFillColor(st.accent.r, st.accent.g, st.accent.b)
	pdf.Rect(0, ticketH-barH, ticketW, barH, "F")
}
