// Package eml writes the hub's mails as RFC 5322 messages, with
// github.com/wneessen/go-mail: Compose builds the MIME message (a text and
// an HTML alternative, attachments, RFC 2047 headers for names in any
// script) that the SMTP sender sends, and Dir is the sender that writes
// each mail to a .eml file in a folder instead, for a hub with no SMTP
// server (the demo, `make run`): the organizer's mail page reads them back.
package eml

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"conference/hub/mail"
)

// userAgent names the hub in the mails it writes.
const userAgent = "conference-hub"

// Compose builds the message of m.
func Compose(m mail.Mail) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(m.From.Name, m.From.Email); err != nil {
		return nil, fmt.Errorf("mail %s: from %q: %w", m.ID, m.From.Email, err)
	}
	if len(m.To) == 0 {
		return nil, fmt.Errorf("mail %s: no recipient", m.ID)
	}
	for _, to := range m.To {
		if err := msg.AddToFormat(to.Name, to.Email); err != nil {
			return nil, fmt.Errorf("mail %s: to %q: %w", m.ID, to.Email, err)
		}
	}
	if m.ReplyTo.Email != "" {
		if err := msg.ReplyToFormat(m.ReplyTo.Name, m.ReplyTo.Email); err != nil {
			return nil, fmt.Errorf("mail %s: reply-to %q: %w", m.ID, m.ReplyTo.Email, err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID())
	msg.SetDateWithValue(m.Date)
	msg.SetUserAgent(userAgent)
	// RFC 3834: no vacation replies to a machine's mail.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		msg.AttachReadSeeker(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(a.ContentType)))
	}
	return msg, nil
}

// Dir writes each mail to a .eml file in Path, named after its date, kind
// and id: writing the same mail again replaces its file rather than adding
// one.
type Dir struct {
	Path string
}

var _ mail.Sender = Dir{}
var _ mail.Archive = Dir{}

// Send implements mail.Sender: the file is written whole or not at all.
func (d Dir) Send(ctx context.Context, m mail.Mail) (mail.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return mail.Receipt{}, err
	}
	msg, err := Compose(m)
	if err != nil {
		return mail.Receipt{}, err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return mail.Receipt{}, fmt.Errorf("mail %s: %w", m.ID, err)
	}
	if err := os.MkdirAll(d.Path, 0o750); err != nil {
		return mail.Receipt{}, fmt.Errorf("mail folder: %w", err)
	}
	name := m.Date.UTC().Format("20060102-150405") + "-" + string(m.Kind) + "-" + m.ID.String() + ".eml"
	tmp, err := os.CreateTemp(d.Path, ".writing-*")
	if err != nil {
		return mail.Receipt{}, fmt.Errorf("mail %s: %w", m.ID, err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return mail.Receipt{}, fmt.Errorf("mail %s: %w", m.ID, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return mail.Receipt{}, fmt.Errorf("mail %s: %w", m.ID, err)
	}
	if err := tmp.Close(); err != nil {
		return mail.Receipt{}, fmt.Errorf("mail %s: %w", m.ID, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.Path, name)); err != nil {
		return mail.Receipt{}, fmt.Errorf("mail %s: %w", m.ID, err)
	}
	return mail.Receipt{Via: "file", File: name}, nil
}

// fileName is what Send names files: nothing else is read back.
var fileName = regexp.MustCompile(`^[0-9]{8}-[0-9]{6}-[a-z-]+-[0-9a-f-]{36}\.eml$`)

// ErrBadName is returned by Read for a name Send never writes.
var ErrBadName = errors.New("not the name of a mail file")

// Read implements mail.Archive.
func (d Dir) Read(name string) ([]byte, error) {
	if !fileName.MatchString(name) || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("%q: %w", name, ErrBadName)
	}
	return os.ReadFile(filepath.Join(d.Path, name))
}
