package mail

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/google/uuid"

	"conference/badges"
	"conference/shared/registrations"
)

// Facts are what mails say, read from the hub's contexts when a mail is
// written (hubapp wires them).
type Facts interface {
	// Conference names a conference and its seat types.
	Conference(ctx context.Context, conferenceID uuid.UUID) (Conference, error)
	// Order is an order as its registrant sees it.
	Order(ctx context.Context, orderID uuid.UUID) (Order, error)
	// Tickets is the PDF of a confirmed order's tickets.
	Tickets(ctx context.Context, orderID uuid.UUID) ([]byte, error)
	// WaitlistEntry is who waits under entryID.
	WaitlistEntry(ctx context.Context, conferenceID, entryID uuid.UUID) (Address, error)
	// PasswordReset makes a fresh token for a reset and says whom to send
	// it to; ErrNothingToSend when the reset was used or has expired.
	PasswordReset(ctx context.Context, resetID uuid.UUID) (Reset, error)
}

// Conference is what mails say of a conference.
type Conference struct {
	ID   uuid.UUID
	Name string
	Slug string
	// Contact is the organizer's contact address, the mails' Reply-To.
	Contact string
	// Location is the conference's time zone: times in mails are in it.
	Location  *time.Location
	SeatTypes map[uuid.UUID]string
}

// Order is an order as its registrant sees it.
type Order struct {
	ID           uuid.UUID
	ConferenceID uuid.UUID
	Status       registrations.OrderStatus
	AccessCode   string
	Registrant   Address
	Lines        []Line
	Total        registrations.Money
}

// Line is a seat type of an order.
type Line struct {
	SeatType string
	Quantity int
	Total    registrations.Money
}

// Reset is a password reset about to be mailed: to whom, the token of the
// link (made now, kept only as a hash) and until when it works.
type Reset struct {
	To        Address
	Token     string
	ExpiresAt time.Time
}

//go:embed templates/*
var templateFiles embed.FS

var (
	htmlPages = htmltemplate.Must(htmltemplate.New("").Funcs(htmltemplate.FuncMap{"button": button}).
			ParseFS(templateFiles, "templates/_layout.html"))
	textPages = map[Kind]*texttemplate.Template{}
	htmlBody  = map[Kind]*htmltemplate.Template{}
)

func init() {
	for _, k := range Kinds {
		textPages[k] = texttemplate.Must(texttemplate.New(string(k)+".txt").ParseFS(templateFiles, "templates/"+string(k)+".txt"))
		htmlBody[k] = htmltemplate.Must(htmltemplate.Must(htmlPages.Clone()).ParseFS(templateFiles, "templates/"+string(k)+".html"))
	}
}

type buttonView struct{ URL, Label string }

func button(url, label string) buttonView { return buttonView{url, label} }

// view is what a mail's templates read.
type view struct {
	Subject    string
	Conference Conference
	Order      Order
	Reset      Reset
	Offer      offerView
	// Link is the one link the mail is about.
	Link   string
	Reason string
	// Refund: the cancelled order had been paid.
	Refund     bool
	Deadline   string
	TicketFile string
	// TicketProblem says why no tickets are attached.
	TicketProblem string
}

type offerView struct {
	Name     string
	SeatType string
	Quantity int
}

// letter is a mail written but not addressed from the hub yet.
type letter struct {
	conference  uuid.UUID
	to          Address
	replyTo     string
	view        view
	attachments []Attachment
}

// write gathers the facts of req and renders its mail.
func (p *Postman) write(ctx context.Context, id uuid.UUID, req Request) (Mail, uuid.UUID, error) {
	l, err := p.gather(ctx, req)
	if err != nil {
		return Mail{}, l.conference, err
	}
	var subject, text, html bytes.Buffer
	if err := textPages[req.Kind].ExecuteTemplate(&subject, "subject", l.view); err != nil {
		return Mail{}, l.conference, fmt.Errorf("write %s subject: %w", req.Kind, err)
	}
	l.view.Subject = strings.Join(strings.Fields(subject.String()), " ")
	if err := textPages[req.Kind].Execute(&text, l.view); err != nil {
		return Mail{}, l.conference, fmt.Errorf("write %s text: %w", req.Kind, err)
	}
	if err := htmlBody[req.Kind].ExecuteTemplate(&html, "layout", l.view); err != nil {
		return Mail{}, l.conference, fmt.Errorf("write %s HTML: %w", req.Kind, err)
	}
	m := Mail{ID: id, Kind: req.Kind, From: p.From, To: []Address{l.to}, Subject: l.view.Subject,
		Text: strings.TrimLeft(text.String(), "\n"), HTML: html.String(), Attachments: l.attachments, Date: p.now()}
	if l.replyTo != "" {
		m.ReplyTo = Address{Name: l.view.Conference.Name, Email: l.replyTo}
	}
	return m, l.conference, nil
}

// gather reads what the mail of req says.
func (p *Postman) gather(ctx context.Context, req Request) (letter, error) {
	l := letter{conference: req.ConferenceID}
	if _, ok := textPages[req.Kind]; !ok {
		return l, fmt.Errorf("no mail of kind %q", req.Kind)
	}
	if req.Kind == PasswordReset {
		r, err := p.Facts.PasswordReset(ctx, req.ResetID)
		if err != nil {
			return l, err
		}
		l.to, l.view.Reset = r.To, r
		l.view.Link = p.link("/org/signin/reset/" + url.PathEscape(r.Token))
		l.view.Deadline = r.ExpiresAt.UTC().Format("15:04 MST on 2 January 2006")
		return l, nil
	}
	conferenceID := req.ConferenceID
	if req.OrderID != uuid.Nil {
		o, err := p.Facts.Order(ctx, req.OrderID)
		if err != nil {
			return l, err
		}
		if o.Registrant.Email == "" {
			return l, fmt.Errorf("order %s has no registrant email: %w", o.ID, ErrNothingToSend)
		}
		l.view.Order, l.to, conferenceID = o, o.Registrant, o.ConferenceID
		l.view.Link = p.link("/orders/" + o.ID.String())
	}
	l.conference = conferenceID
	c, err := p.Facts.Conference(ctx, conferenceID)
	if err != nil {
		return l, err
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	l.view.Conference, l.replyTo, l.view.Reason = c, c.Contact, req.Reason
	switch req.Kind {
	case OrderConfirmed:
		if l.view.Order.Status != registrations.OrderStatusConfirmed {
			// Cancelled before this mail went out: its notice says so.
			return l, fmt.Errorf("order %s is %s: %w", req.OrderID, l.view.Order.Status, ErrNothingToSend)
		}
		pdf, err := p.Facts.Tickets(ctx, req.OrderID)
		var bad *badges.BadgeError
		switch {
		case errors.As(err, &bad):
			// A name no font prints: retrying changes nothing, and the
			// confirmation matters more than its attachment.
			l.view.TicketProblem = "the ticket of " + bad.Name + " cannot be printed (" + bad.Err.Error() + ")"
		case err != nil:
			return l, err
		default:
			l.view.TicketFile = badges.TicketFileName
			l.attachments = []Attachment{{Name: badges.TicketFileName, ContentType: badges.ContentType, Data: pdf}}
		}
	case OrderCancelled:
		l.view.Refund = req.WasConfirmed && !l.view.Order.Total.IsZero()
	case WaitlistOffer:
		who, err := p.Facts.WaitlistEntry(ctx, conferenceID, req.EntryID)
		if err != nil {
			return l, err
		}
		l.to = who
		l.view.Offer = offerView{Name: who.Name, SeatType: c.SeatTypes[req.SeatType], Quantity: req.Quantity}
		l.view.Deadline = req.ExpiresAt.In(c.Location).Format("Mon 2 Jan 2006, 15:04 MST")
		l.view.Link = OfferLink(p.PublicURL, c.Slug, req.EntryID)
	}
	return l, nil
}

// OfferLink is where a waitlist offer is taken: the conference's page of
// the offer, named by the waitlist entry's id (a UUIDv7 with 74 random
// bits: the registrant's mail is what knows it).
func OfferLink(base, slug string, entryID uuid.UUID) string {
	return strings.TrimRight(base, "/") + "/c/" + url.PathEscape(slug) + "/waitlist/offers/" + entryID.String()
}

func (p *Postman) link(path string) string { return strings.TrimRight(p.PublicURL, "/") + path }
