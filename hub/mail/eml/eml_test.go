package eml_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/mail"
	"conference/hub/mail/eml"
)

// TestAMailWrittenToAFileReadsBackAsSent writes a mail with a Japanese
// name, a Greek subject, both parts and a binary attachment, and reads the
// file back: every header and part as given, the attachment byte for byte.
func TestAMailWrittenToAFileReadsBackAsSent(t *testing.T) {
	dir := eml.Dir{Path: filepath.Join(t.TempDir(), "mail")}
	pdf := append([]byte("%PDF-1.4\n"), 0, 1, 2, 0xff, 0xfe, '\r', '\n', 0x80)
	m := mail.Mail{ID: uuid.New(), Kind: mail.WaitlistOffer, Date: time.Date(2026, 9, 1, 10, 30, 0, 0, time.UTC),
		From: mail.Address{Name: "Conference hub", Email: "hub@conference.test"}, ReplyTo: mail.Address{Email: "team@conference.test"},
		To: []mail.Address{{Name: "渡辺 純", Email: "jun@example.com"}}, Subject: "Θέσεις για εσάς — seats for you",
		Text: "Hello 渡辺 純,\nseats are held for you.\n" + string(bytes.Repeat([]byte("long line "), 30)), HTML: "<p>Hello <b>渡辺 純</b></p>",
		Attachments: []mail.Attachment{{Name: "tickets.pdf", ContentType: "application/pdf", Data: pdf}}}
	receipt, err := dir.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if receipt.Via != "file" || receipt.File != "20260901-103000-waitlist-offer-"+m.ID.String()+".eml" {
		t.Fatalf("receipt %+v", receipt)
	}
	raw, err := dir.Read(receipt.File)
	if err != nil {
		t.Fatal(err)
	}
	l, err := eml.Read(raw)
	if err != nil {
		t.Fatal(err)
	}
	if l.Subject != m.Subject || l.MessageID != m.MessageID() || !l.Date.Equal(m.Date) {
		t.Errorf("subject %q id %q date %v", l.Subject, l.MessageID, l.Date)
	}
	if len(l.To) != 1 || l.To[0].Name != "渡辺 純" || l.To[0].Address != "jun@example.com" || len(l.ReplyTo) != 1 {
		t.Errorf("to %v reply-to %v", l.To, l.ReplyTo)
	}
	if l.Text != m.Text || l.HTML != m.HTML {
		t.Errorf("text %q\nhtml %q", l.Text, l.HTML)
	}
	if len(l.Attachments) != 1 || l.Attachments[0].Name != "tickets.pdf" || !bytes.Equal(l.Attachments[0].Data, pdf) {
		t.Fatalf("attachments %+v", l.Attachments)
	}
	// Written again (a retry after the write was not recorded), the mail
	// replaces its file: one file, and no temporary one left.
	if _, err := dir.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(dir.Path); len(files) != 1 {
		t.Fatalf("%d files in the folder, want 1", len(files))
	}
}

func TestOnlyMailFilesAreReadBack(t *testing.T) {
	dir := eml.Dir{Path: t.TempDir()}
	for _, name := range []string{"../hub.db", "/etc/passwd", "20260901-103000-order-confirmed-x.eml", ""} {
		if _, err := dir.Read(name); !errors.Is(err, eml.ErrBadName) {
			t.Errorf("read %q: %v, want ErrBadName", name, err)
		}
	}
}
