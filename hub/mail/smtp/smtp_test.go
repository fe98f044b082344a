package smtp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/mail"
	"conference/hub/mail/mailpittest"
	"conference/hub/mail/smtp"
)

func sample() mail.Mail {
	return mail.Mail{
		ID: uuid.New(), Kind: mail.OrderConfirmed,
		From:    mail.Address{Name: "Conference hub", Email: "hub@conference.test"},
		ReplyTo: mail.Address{Name: "GopherCon EU", Email: "team@gophercon.test"},
		To:      []mail.Address{{Name: "Αλέξανδρος Παπαδόπουλος", Email: "alex@example.com"}},
		Subject: "You are registered for GopherCon EU — Ελλάδα", Date: time.Now(),
		Text: "Hello Αλέξανδρος,\n\nyour order is confirmed.\n", HTML: "<p>Hello <strong>Αλέξανδρος</strong>,</p>",
		Attachments: []mail.Attachment{{Name: "tickets.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 not really\n")}},
	}
}

// TestMailGoesThroughStartTLSAndAuthToARealServer sends a mail to mailpit
// over STARTTLS (its certificate verified against the test's own CA) with
// SMTP AUTH, and reads back what arrived: recipient, subject in Greek,
// both parts, the attachment's bytes and the Message-ID made of the mail's
// id.
func TestMailGoesThroughStartTLSAndAuthToARealServer(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{StartTLS: true, Users: map[string]string{"hub": "s3cret-pass"}})
	s, err := smtp.New(smtp.Config{Host: srv.Host, Port: srv.Port, Username: "hub", Password: "s3cret-pass", TLS: srv.TLSConfig(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	m := sample()
	receipt, err := s.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if receipt.Via != "smtp" {
		t.Fatalf("receipt %+v", receipt)
	}
	got := mailpittest.WaitFor(t, srv, 10*time.Second, func(list []mailpittest.Summary) (mailpittest.Summary, error) {
		if len(list) != 1 {
			return mailpittest.Summary{}, fmt.Errorf("%d messages", len(list))
		}
		return list[0], nil
	})
	msg := srv.Message(t, got.ID)
	if len(msg.To) != 1 || msg.To[0].Address != "alex@example.com" || msg.To[0].Name != "Αλέξανδρος Παπαδόπουλος" {
		t.Errorf("to %+v", msg.To)
	}
	if msg.Subject != m.Subject || msg.MessageID != m.MessageID() {
		t.Errorf("subject %q, message id %q; want %q, %q", msg.Subject, msg.MessageID, m.Subject, m.MessageID())
	}
	if !strings.Contains(msg.Text, "your order is confirmed") || !strings.Contains(msg.HTML, "<strong>Αλέξανδρος</strong>") {
		t.Errorf("parts: text %q html %q", msg.Text, msg.HTML)
	}
	if len(msg.ReplyTo) != 1 || msg.ReplyTo[0].Address != "team@gophercon.test" {
		t.Errorf("reply-to %+v", msg.ReplyTo)
	}
	if len(msg.Attachments) != 1 || msg.Attachments[0].FileName != "tickets.pdf" || msg.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("attachments %+v", msg.Attachments)
	}
	if b := srv.Part(t, got.ID, msg.Attachments[0].PartID); !bytes.Equal(b, m.Attachments[0].Data) {
		t.Errorf("attachment %q, want %q", b, m.Attachments[0].Data)
	}
}

func TestWrongPasswordAndMissingStartTLSAreRefused(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{StartTLS: true, Users: map[string]string{"hub": "s3cret-pass"}})
	s, err := smtp.New(smtp.Config{Host: srv.Host, Port: srv.Port, Username: "hub", Password: "wrong", TLS: srv.TLSConfig(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(context.Background(), sample()); err == nil {
		t.Fatal("sent with a wrong password")
	}
	plain := mailpittest.Start(t, mailpittest.Options{})
	s, err = smtp.New(smtp.Config{Host: plain.Host, Port: plain.Port, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(context.Background(), sample()); err == nil {
		t.Fatal("sent in clear text to a server without STARTTLS, though STARTTLS is required by default")
	}
	if n := len(srv.Messages(t)) + len(plain.Messages(t)); n != 0 {
		t.Fatalf("%d messages arrived", n)
	}
}

func TestConfigurationMistakesAreRefused(t *testing.T) {
	for name, cfg := range map[string]smtp.Config{
		"no host":            {},
		"bad port":           {Host: "mail.example.com", Port: 70000},
		"unknown TLS policy": {Host: "mail.example.com", StartTLS: "sometimes"},
		"password, no user":  {Host: "mail.example.com", Password: "x"},
	} {
		if _, err := smtp.New(cfg); !errors.Is(err, smtp.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}
