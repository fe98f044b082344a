// Package mail is the hub's transactional mail: order confirmations with
// the tickets attached, cancellation and refund notices, waitlist offers
// and organizer password resets.
//
// A mail is never sent inside a request. Whatever calls for one writes a
// Request to the outbox as a command (CommandType), in the transaction of
// the change that calls for it or, for what the registrations domain
// records, from the Notices log follower; ids derive from what caused the
// mail, so asking twice writes one command. The command bus delivers it to
// the Postman, which writes the mail from the hub's current state (Facts,
// templates with a text and an HTML part) and hands it to a Sender: an
// SMTP server (package smtp) or .eml files in a folder (package eml). The
// bus retries a failure with backoff and dead-letters a mail that keeps
// failing; the organizer sees it on the conference's mail page and can
// send it again (Postman.Resend). The Postman keeps a record of every mail
// (the mail log), so a command delivered again after its mail went out is
// not sent twice.
//
// This package knows no SMTP and no registrations storage: senders and
// facts are ports, wired in hubapp.
package mail

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Address is a mailbox: a display name, in any script, and an address.
type Address struct {
	Name  string
	Email string
}

// Domain is the part of the address after the @.
func (a Address) Domain() string {
	if i := strings.LastIndexByte(a.Email, '@'); i >= 0 {
		return a.Email[i+1:]
	}
	return "localhost"
}

// Attachment is a file sent with a mail.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Mail is one message, written and ready for a Sender.
type Mail struct {
	// ID is the id of the outbox command that asked for the mail. Senders
	// make the Message-ID header of it, so a mail sent again reads as the
	// same message to whoever receives it.
	ID      uuid.UUID
	Kind    Kind
	From    Address
	ReplyTo Address // optional: the conference's contact
	To      []Address
	Subject string
	// Text and HTML are the two renderings of the body.
	Text, HTML  string
	Attachments []Attachment
	Date        time.Time
}

// MessageID is the Message-ID header of m, without its angle brackets.
func (m Mail) MessageID() string { return m.ID.String() + "@" + m.From.Domain() }

// Sender delivers mails. Send either hands m over (an SMTP server took it,
// a file holds it) or fails; the bus retries a failed mail.
type Sender interface {
	Send(ctx context.Context, m Mail) (Receipt, error)
}

// Receipt says where a mail went.
type Receipt struct {
	// Via names the sender: "smtp" or "file".
	Via string
	// File is the name of the .eml file written, for a sender that
	// writes files (in its folder).
	File string
}

// Archive reads back the mails a file sender wrote, by Receipt.File, for
// the organizer's mail page.
type Archive interface {
	Read(name string) ([]byte, error)
}

// ErrNothingToSend is returned by Facts when a mail has lost its point by
// the time it is written (a password reset used or expired, an order
// cancelled before its confirmation went out): the Postman records the
// mail as skipped instead of retrying it.
var ErrNothingToSend = errors.New("nothing to send")
