package hubapp

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"conference/hub/mail"
	"conference/hub/mail/eml"
	"conference/hub/tickets"
	"conference/hub/web/accounts"
	"conference/shared/eventstore/pgstore"
	"conference/shared/messaging"
	"conference/shared/sqldb"
)

// Defaults of the mail configuration.
const (
	DefaultPublicURL = "http://127.0.0.1:8080"
	defaultMailDir   = "data/mail"
)

// DefaultMailFrom is the hub's sending address when none is configured.
var DefaultMailFrom = mail.Address{Name: "Conference hub", Email: "hub@localhost"}

// MailDir is where a hub on db writes .eml files when it has no SMTP
// server: the "mail" folder beside a SQLite file, data/mail for
// PostgreSQL.
func MailDir(db string) string {
	if pgstore.IsURL(db) {
		return defaultMailDir
	}
	return filepath.Join(filepath.Dir(db), "mail")
}

// wireMail sets up tickets and mail: the Postman on the bus, the Notices
// follower, and the registrations app's Notifier (set in wire) asking for
// refund notices.
func (h *Hub) wireMail() error {
	h.Tickets = &tickets.Maker{Orders: h.Registrations, Catalog: h.Reads, Log: h.Store, SigningKey: h.Kiosks.SigningKey, Now: h.now}
	sender, archive := h.cfg.Mailer, mail.Archive(nil)
	if sender == nil {
		dir := h.cfg.MailDir
		if dir == "" {
			dir = MailDir(h.cfg.DB)
		}
		files := eml.Dir{Path: dir}
		sender, archive = files, files
	} else if a, ok := sender.(mail.Archive); ok {
		archive = a
	}
	from := h.cfg.MailFrom
	if from.Email == "" {
		from = DefaultMailFrom
	}
	public := h.cfg.PublicURL
	if public == "" {
		public = DefaultPublicURL
	}
	// Password reset tokens are made when their mail is written.
	h.accounts = accounts.Open(h.Store.DB())
	h.accounts.Now = h.now
	postman, err := mail.New(mail.Config{
		Sender: sender, Archive: archive, Facts: mailFacts{h: h, accounts: h.accounts}, Tables: h.Store, Outbox: h.Store,
		From: from, PublicURL: public, Now: h.now, Logger: h.Log, OnOutcome: h.observeMail,
	})
	if err != nil {
		return fmt.Errorf("wire mail: %w", err)
	}
	h.Mail = postman
	if err := h.Bus.HandleCommand(mail.CommandType, postman.Handle); err != nil {
		return fmt.Errorf("wire mail: %w", err)
	}
	h.notices = mail.NewNotices(h.Store, h.Log)
	h.workers = append(h.workers, worker{name: mail.NoticesCheckpoint, run: h.notices.Run})
	return nil
}

// RequestPasswordReset records a password reset for the organizer whose
// email this is and asks for its mail in the same transaction. Unknown
// emails (accounts.ErrNoAccount) and an account sent enough links this
// hour (accounts.ErrTooManyResets) send nothing: the caller answers the
// same either way.
func (h *Hub) RequestPasswordReset(ctx context.Context, email string) error {
	_, err := h.accounts.RequestReset(ctx, email, func(ctx context.Context, tx sqldb.Tx, r accounts.Reset) error {
		m, err := mail.NewMessage(r.ID, mail.Request{Kind: mail.PasswordReset, ResetID: r.ID})
		if err != nil {
			return err
		}
		return h.Store.EnqueueTx(ctx, tx, m)
	})
	if err != nil {
		return err
	}
	h.Store.NotifyMessages()
	return nil
}

// busOptions are the command bus's options: mails travel in lanes of
// their own and are retried for longer than other commands.
func (h *Hub) busOptions() messaging.Options {
	retry := h.cfg.MailRetry
	if retry.MaxAttempts == 0 && retry.Backoff == nil {
		retry = mail.DefaultRetry
	}
	return messaging.Options{Logger: h.Log, Now: h.now, Poll: h.cfg.BusPoll,
		Lane: mail.Lane(messaging.LaneByCorrelation), Retry: map[string]messaging.Retry{mail.CommandType: retry}}
}

// mailFacts reads what mails say from the hub's contexts: orders and
// waitlists from their streams (current, never behind the event that
// called for the mail), conferences from the read models.
type mailFacts struct {
	h        *Hub
	accounts *accounts.Accounts
}

func (f mailFacts) Conference(ctx context.Context, conferenceID uuid.UUID) (mail.Conference, error) {
	c, err := f.h.Reads.Conference(ctx, conferenceID)
	if err != nil {
		return mail.Conference{}, err
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	out := mail.Conference{ID: conferenceID, Name: c.Name, Slug: c.Slug, Contact: c.ContactEmail, Location: loc,
		SeatTypes: map[uuid.UUID]string{}}
	sts, err := f.h.Reads.SeatTypes(ctx, conferenceID)
	if err != nil {
		return out, err
	}
	for _, st := range sts {
		out.SeatTypes[st.SeatTypeID] = st.Name
	}
	return out, nil
}

func (f mailFacts) Order(ctx context.Context, orderID uuid.UUID) (mail.Order, error) {
	o, err := f.h.Registrations.GetOrder(ctx, orderID)
	if err != nil {
		return mail.Order{}, err
	}
	c, err := f.Conference(ctx, o.ConferenceID)
	if err != nil {
		return mail.Order{}, err
	}
	out := mail.Order{ID: o.OrderID, ConferenceID: o.ConferenceID, Status: o.Status, AccessCode: o.AccessCode,
		Registrant: mail.Address{Name: o.Name, Email: o.Email}, Total: o.Quote.Total}
	for _, l := range o.Quote.Lines {
		out.Lines = append(out.Lines, mail.Line{SeatType: c.SeatTypes[l.SeatType], Quantity: l.Quantity, Total: l.Subtotal})
	}
	return out, nil
}

func (f mailFacts) Tickets(ctx context.Context, orderID uuid.UUID) ([]byte, error) {
	return f.h.Tickets.PDF(ctx, orderID)
}

func (f mailFacts) WaitlistEntry(ctx context.Context, conferenceID, entryID uuid.UUID) (mail.Address, error) {
	w, err := f.h.Registrations.Waitlist(ctx, conferenceID)
	if err != nil {
		return mail.Address{}, err
	}
	e, ok := w.Entry(entryID)
	if !ok {
		return mail.Address{}, fmt.Errorf("waitlist entry %s: not found", entryID)
	}
	return mail.Address{Name: e.Name, Email: e.Email}, nil
}

func (f mailFacts) PasswordReset(ctx context.Context, resetID uuid.UUID) (mail.Reset, error) {
	token, r, err := f.accounts.IssueResetToken(ctx, resetID)
	if errors.Is(err, accounts.ErrResetInvalid) {
		return mail.Reset{}, fmt.Errorf("%w: %v", mail.ErrNothingToSend, err)
	}
	if err != nil {
		return mail.Reset{}, err
	}
	return mail.Reset{To: mail.Address{Name: r.Name, Email: r.Email}, Token: token, ExpiresAt: r.ExpiresAt}, nil
}
