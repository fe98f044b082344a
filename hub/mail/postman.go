package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/sqldb"
)

// Errors the organizer's mail page branches on.
var (
	// ErrNotFound: no mail of that id for that conference.
	ErrNotFound = errors.New("no such mail")
	// ErrNotDead: only a mail the bus gave up on is sent again by hand.
	ErrNotDead = errors.New("the mail is not a dead letter")
	// ErrNotArchived: the mail went out by SMTP (or to another replica's
	// folder), so there is no copy here to read.
	ErrNotArchived = errors.New("no copy of this mail is kept here")
)

// Config wires a Postman. Sender, Facts, Tables and Outbox are required.
type Config struct {
	Sender Sender
	Facts  Facts
	// Tables holds the mail log (Schema).
	Tables sqldb.Tables
	// Outbox tells dead letters and puts them back (the hub's store).
	Outbox eventstore.Outbox
	// Archive reads back what a file sender wrote; nil with SMTP.
	Archive Archive
	// From is the hub's sending address.
	From Address
	// PublicURL is where registrants and organizers reach the hub: the
	// base of every link in mails.
	PublicURL string
	Now       func() time.Time
	Logger    *slog.Logger
	// OnOutcome, if set, is told of every attempt at a mail (a counter
	// per kind and outcome for metrics, say). It must not block.
	OnOutcome func(Outcome)
	// MaxConcurrent bounds the mails written and sent at once (default
	// 4): tickets take CPU to render, and mail servers limit the
	// connections of one client.
	MaxConcurrent int
}

// Outcome is what one attempt at a mail came to.
type Outcome struct {
	Kind   Kind
	Status Status // sent, failed or skipped
	Via    string // the sender, for a sent mail
	Err    error  // why it failed or was skipped
	Took   time.Duration
}

// Counts are the outcomes of the attempts since the Postman started.
type Counts struct {
	Sent, Failed, Skipped int64
}

// Postman writes and sends the mails the outbox asks for: Handle is the
// bus's handler of CommandType. It is safe for concurrent use.
type Postman struct {
	Config
	log                   mailLog
	slots                 chan struct{}
	sent, failed, skipped atomic.Int64
}

// New returns a Postman.
func New(cfg Config) (*Postman, error) {
	if cfg.Sender == nil || cfg.Facts == nil || cfg.Tables == nil || cfg.Outbox == nil {
		return nil, errors.New("mail: sender, facts, tables and outbox are required")
	}
	if cfg.From.Email == "" {
		return nil, errors.New("mail: a From address is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 4
	}
	return &Postman{Config: cfg, log: mailLog{tables: cfg.Tables}, slots: make(chan struct{}, cfg.MaxConcurrent)}, nil
}

func (p *Postman) now() time.Time { return p.Now() }

// Counts reports the outcomes so far.
func (p *Postman) Counts() Counts {
	return Counts{Sent: p.sent.Load(), Failed: p.failed.Load(), Skipped: p.skipped.Load()}
}

// Handle writes the mail a command asks for and sends it. A mail the log
// records as sent is not sent again (the bus lost its processed mark: a
// crash between the two). A failure is recorded and returned, for the bus
// to retry; a mail with nothing left to say is recorded as skipped.
func (p *Postman) Handle(ctx context.Context, m eventstore.Message) error {
	req, err := DecodeRequest(m)
	if err != nil {
		return err
	}
	prev, found, err := p.log.get(ctx, m.ID)
	if err != nil {
		return err
	}
	if found && prev.Status != StatusFailed {
		return nil
	}
	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	case <-ctx.Done():
		return ctx.Err()
	}
	start := p.now()
	msg, conference, err := p.write(ctx, m.ID, req)
	r := Record{ID: m.ID, Kind: req.Kind, ConferenceID: conference, Subject: msg.Subject}
	if len(msg.To) > 0 {
		r.To = msg.To[0].Email
	}
	if err == nil {
		var receipt Receipt
		if receipt, err = p.Sender.Send(ctx, msg); err == nil {
			r.Status, r.Via, r.File, r.SentAt = StatusSent, receipt.Via, receipt.File, p.now()
		}
	}
	switch {
	case r.Status == StatusSent:
	case errors.Is(err, ErrNothingToSend):
		r.Status, r.LastError = StatusSkipped, err.Error()
	default:
		r.Status, r.LastError = StatusFailed, err.Error()
	}
	r.UpdatedAt = p.now()
	p.observe(Outcome{Kind: req.Kind, Status: r.Status, Via: r.Via, Err: err, Took: r.UpdatedAt.Sub(start)})
	// What was sent is recorded even if the bus is stopping meanwhile: an
	// unrecorded mail would go out again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if lerr := p.log.save(rctx, r); lerr != nil {
		if r.Status == StatusSent {
			p.Logger.Error("mail sent but not recorded: it may go out again", "mail", m.ID, "kind", req.Kind, "err", lerr)
		}
		return errors.Join(err, lerr)
	}
	if r.Status == StatusFailed {
		return fmt.Errorf("mail %s (%s): %w", m.ID, req.Kind, err)
	}
	return nil
}

func (p *Postman) observe(o Outcome) {
	switch o.Status {
	case StatusSent:
		p.sent.Add(1)
		p.Logger.Info("mail sent", "kind", o.Kind, "via", o.Via)
	case StatusSkipped:
		p.skipped.Add(1)
		p.Logger.Info("mail skipped", "kind", o.Kind, "why", o.Err)
	default:
		p.failed.Add(1)
		p.Logger.Warn("mail failed", "kind", o.Kind, "err", o.Err)
	}
	if p.OnOutcome != nil {
		p.OnOutcome(o)
	}
}

// deadLetterScan bounds how many of the outbox's dead letters the mail
// page looks through.
const deadLetterScan = 1000

// Letters lists a conference's mails, newest first, the dead letters
// among them marked.
func (p *Postman) Letters(ctx context.Context, conferenceID uuid.UUID, limit int) ([]Record, error) {
	list, err := p.log.list(ctx, conferenceID, limit)
	if err != nil {
		return nil, err
	}
	dead, err := p.deadLetters(ctx)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Dead = dead[list[i].ID]
	}
	return list, nil
}

func (p *Postman) deadLetters(ctx context.Context) (map[uuid.UUID]bool, error) {
	dls, err := p.Outbox.DeadLetters(ctx, deadLetterScan)
	if err != nil {
		return nil, fmt.Errorf("read dead letters: %w", err)
	}
	out := map[uuid.UUID]bool{}
	for _, d := range dls {
		if d.Message.Type == CommandType {
			out[d.Message.ID] = true
		}
	}
	return out, nil
}

// Letter returns one mail of a conference.
func (p *Postman) Letter(ctx context.Context, conferenceID, id uuid.UUID) (Record, error) {
	r, found, err := p.log.get(ctx, id)
	if err != nil {
		return r, err
	}
	if !found || r.ConferenceID != conferenceID || conferenceID == uuid.Nil {
		return Record{}, fmt.Errorf("mail %s: %w", id, ErrNotFound)
	}
	dead, err := p.deadLetters(ctx)
	r.Dead = dead[id]
	return r, err
}

// Copy returns the .eml a file sender wrote for a conference's mail.
func (p *Postman) Copy(ctx context.Context, conferenceID, id uuid.UUID) (Record, []byte, error) {
	r, err := p.Letter(ctx, conferenceID, id)
	if err != nil {
		return r, nil, err
	}
	if r.File == "" || p.Archive == nil {
		return r, nil, fmt.Errorf("mail %s: %w", id, ErrNotArchived)
	}
	raw, err := p.Archive.Read(r.File)
	if err != nil {
		return r, nil, fmt.Errorf("mail %s: %w: %v", id, ErrNotArchived, err)
	}
	return r, raw, nil
}

// Resend puts a conference's dead mail back in the outbox: the bus tries
// it again at once, with a fresh count of attempts.
func (p *Postman) Resend(ctx context.Context, conferenceID, id uuid.UUID) error {
	r, err := p.Letter(ctx, conferenceID, id)
	if err != nil {
		return err
	}
	if !r.Dead {
		return fmt.Errorf("mail %s: %w", id, ErrNotDead)
	}
	back, err := p.Outbox.Redeliver(ctx, id, p.now())
	if err != nil {
		return fmt.Errorf("resend mail %s: %w", id, err)
	}
	if !back {
		return fmt.Errorf("mail %s: %w", id, ErrNotDead) // someone resent it meanwhile
	}
	p.Logger.Info("dead mail sent again by the organizer", "mail", id, "kind", r.Kind, "conference", conferenceID)
	return nil
}
