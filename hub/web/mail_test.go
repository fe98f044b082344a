package web

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/badges/badgestest"
	"conference/badges/token"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/mail/mailpittest"
	"conference/hub/mail/smtp"
	"conference/shared/messaging"
	"conference/shared/onsite"
)

// mailHub serves a hub whose mail goes to the mailpit server.
func mailHub(t *testing.T, srv *mailpittest.Server, retry messaging.Retry, opts Options) *testHub {
	t.Helper()
	return mailHubConfig(t, srv, hubapp.Config{MailRetry: retry}, opts)
}

// mailHubConfig is mailHub with more of the hub's config (a test clock).
func mailHubConfig(t *testing.T, srv *mailpittest.Server, cfg hubapp.Config, opts Options) *testHub {
	t.Helper()
	s, err := smtp.New(smtp.Config{Host: srv.Host, Port: srv.Port, StartTLS: smtp.StartTLSOff, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Mailer, cfg.PublicURL = s, "http://hub.test"
	return serveHub(t, hubtest.OpenConfig(t, cfg), opts)
}

// mailRow waits until the conference's mail page lists one mail in the
// status ("sent", "failed", "dead", "skipped") and returns its id.
func (v venue) mailRow(t *testing.T, status string) uuid.UUID {
	t.Helper()
	re := regexp.MustCompile(`data-mail="([0-9a-f-]{36})" data-status="` + status + `"`)
	var id uuid.UUID
	hubtest.Eventually(t, 15*time.Second, "a mail "+status+" on the mail page", func() error {
		p := v.org.Get(confURL(v.conf, "/mail"))
		m := re.FindStringSubmatch(p.Body)
		if p.Status != http.StatusOK || m == nil {
			return fmt.Errorf("%d, no %s mail:\n%s", p.Status, status, p.Body)
		}
		id = uuid.MustParse(m[1])
		return nil
	})
	return id
}

// TestOrganizerReadsTheConfirmationWrittenToAFile runs the hub as `make
// run` does, with no SMTP server: the confirmation is written as an .eml
// file, and the conference's mail page lists it and opens it (text,
// attachment, the .eml itself, the HTML part sandboxed). Another
// organizer finds none of it.
func TestOrganizerReadsTheConfirmationWrittenToAFile(t *testing.T) {
	th := startHub(t, Options{})
	v := th.venue(t, "File Mail Conf", "file-mail-conf")
	_, order := th.confirmedOrder(t, v, "file-mail-conf", 1)
	o, err := th.hub.Registrations.GetOrder(context.Background(), order)
	if err != nil {
		t.Fatal(err)
	}

	id := v.mailRow(t, "sent")
	list := v.org.Get(confURL(v.conf, "/mail")).Want(t, http.StatusOK, "Order confirmation", "rita@example.com", "Sent to a file")
	if strings.Contains(list.Body, `id="dead-count"`) {
		t.Fatal("the page reports undelivered mail")
	}
	page := v.org.Get(confURL(v.conf, "/mail/"+id.String())).Want(t, http.StatusOK, o.AccessCode, "tickets.pdf",
		"http://127.0.0.1:8080/orders/"+order.String(), "Download the .eml")
	if !strings.Contains(page.Body, `id="mail-text"`) {
		t.Fatalf("no text part shown:\n%s", page.Body)
	}
	raw := v.org.Get(confURL(v.conf, "/mail/"+id.String()+"/eml")).Want(t, http.StatusOK, "Message-ID: <"+id.String()+"@localhost>")
	if ct := raw.Header.Get("Content-Type"); ct != "message/rfc822" {
		t.Errorf("the .eml downloads as %q", ct)
	}
	html := v.org.Get(confURL(v.conf, "/mail/"+id.String()+"/html")).Want(t, http.StatusOK, o.AccessCode)
	if csp := html.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox") {
		t.Errorf("the HTML part is served with CSP %q, want a sandbox", csp)
	}

	other := th.venue(t, "Other Mail Conf", "other-mail-conf")
	other.org.Get(confURL(v.conf, "/mail")).Want(t, http.StatusNotFound)
	other.org.Get(confURL(other.conf, "/mail/"+id.String())).Want(t, http.StatusNotFound)
	other.org.Get(confURL(other.conf, "/mail")).Want(t, http.StatusOK).Lacks(t, "rita@example.com")
	other.org.Post(confURL(other.conf, "/mail/"+id.String()+"/resend"), nil).Want(t, http.StatusNotFound)
}

// TestRegistrantDownloadsTicketsKiosksVerify opens the tickets PDF from
// the order page: its QR code verifies with the hub's key and names the
// seat a kiosk knows the registrant by. A browser without the order finds
// neither the order nor its tickets, and is asked for the access code.
func TestRegistrantDownloadsTicketsKiosksVerify(t *testing.T) {
	th := startHub(t, Options{})
	v := th.venue(t, "Ticket Conf", "ticket-conf")
	reg, order := th.confirmedOrder(t, v, "ticket-conf", 2)
	reg.Get("/orders/"+order.String()).Want(t, http.StatusOK, `href="/orders/`+order.String()+`/tickets.pdf"`)
	p := reg.Get("/orders/"+order.String()+"/tickets.pdf").Want(t, http.StatusOK)
	if ct := p.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Fatalf("tickets served as %q", ct)
	}
	pdf := []byte(p.Body)
	if text := badgestest.Text(t, pdf); !strings.Contains(text, "Rita Registrant") || !strings.Contains(text, "Ticket Conf") {
		t.Fatalf("ticket text:\n%s", text)
	}
	codes := badgestest.QRCodes(t, pdf)
	key, err := th.hub.Kiosks.SigningKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := token.NewVerifier(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 1 {
		t.Fatalf("%d QR codes, want the registrant's one ticket for both seats", len(codes))
	}
	claims, err := verifier.Verify(codes[0])
	if err != nil || claims.Seat != (onsite.Seat{OrderID: order, Position: 0}).TokenID() {
		t.Fatalf("ticket claims %+v, %v", claims, err)
	}

	stranger := th.browser()
	stranger.Get("/orders/"+order.String()).Want(t, http.StatusNotFound, "enter its access code", `action="/find"`)
	stranger.Get("/orders/"+order.String()+"/tickets.pdf").Want(t, http.StatusNotFound)
}

// TestDeadMailIsResentFromTheMailPage lets the bus give up on a
// confirmation while the SMTP server is down: the mail page reports it
// undelivered with the server's error; once the server is back, "Send
// again" delivers it, once, and the page shows it sent.
func TestDeadMailIsResentFromTheMailPage(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{})
	th := mailHub(t, srv, messaging.Retry{MaxAttempts: 2, Backoff: func(int) time.Duration { return 10 * time.Millisecond }}, Options{})
	v := th.venue(t, "Dead Mail Conf", "dead-mail-conf")
	srv.Stop(t)
	th.confirmedOrder(t, v, "dead-mail-conf", 1)
	id := v.mailRow(t, "dead")
	v.org.Get(confURL(v.conf, "/mail")).Want(t, http.StatusOK, `id="dead-count"`, "1 mail was not delivered", "connection refused", "Send again")

	srv.Restart(t)
	v.org.Post(confURL(v.conf, "/mail/"+id.String()+"/resend"), nil).WantRedirect(t, confURL(v.conf, "/mail"))
	mailpittest.WaitFor(t, srv, 15*time.Second, func(list []mailpittest.Summary) (int, error) {
		if n := len(mailpittest.To(list, "rita@example.com")); n != 1 {
			return n, fmt.Errorf("%d mails to rita", n)
		}
		return 1, nil
	})
	v.mailRow(t, "sent")
	// Sending again what went out already is refused.
	v.org.Post(confURL(v.conf, "/mail/"+id.String()+"/resend"), nil).WantRedirect(t, confURL(v.conf, "/mail"))
	v.org.Get(confURL(v.conf, "/mail")).Want(t, http.StatusOK, "not waiting to be sent again")
	if n := len(srv.Messages(t)); n != 1 {
		t.Fatalf("%d mails arrived, want 1", n)
	}
}

var resetLinkRE = regexp.MustCompile(`http://hub\.test(/org/signin/reset/[A-Za-z0-9_-]{43})`)

// TestOrganizerSetsANewPasswordThroughAMailedLink asks for a reset on the
// sign-in page, reads the mail at a real SMTP server, follows its link and
// sets a new password: signed in, the old password refused, the new one
// accepted, the link refused a second time. An unknown email gets the
// same answer and no mail.
func TestOrganizerSetsANewPasswordThroughAMailedLink(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{})
	th := mailHub(t, srv, messaging.Retry{}, Options{ResetRate: 3})
	org := th.browser()
	org.signUp("Forgetful Org", "forgetful@example.com")
	anon := th.browser()
	anon.Get("/org/signin").Want(t, http.StatusOK, `href="/org/signin/forgot"`)
	anon.Get("/org/signin/forgot").Want(t, http.StatusOK, `action="/org/signin/forgot"`)
	anon.Post("/org/signin/forgot", url.Values{"email": {"nobody@example.com"}}).Want(t, http.StatusOK, `id="reset-sent"`)
	anon.Post("/org/signin/forgot", url.Values{"email": {"Forgetful@Example.com"}}).Want(t, http.StatusOK, `id="reset-sent"`)

	got := mailpittest.WaitFor(t, srv, 15*time.Second, func(list []mailpittest.Summary) (mailpittest.Summary, error) {
		mine := mailpittest.To(list, "forgetful@example.com")
		if len(mine) != 1 {
			return mailpittest.Summary{}, fmt.Errorf("%d reset mails", len(mine))
		}
		return mine[0], nil
	})
	msg := srv.Message(t, got.ID)
	if msg.Subject != "Set a new password for the conference hub" || msg.To[0].Name != "Forgetful Org" {
		t.Fatalf("mail %q to %+v", msg.Subject, msg.To)
	}
	m := resetLinkRE.FindStringSubmatch(msg.Text)
	if m == nil || !strings.Contains(msg.HTML, m[0]) {
		t.Fatalf("no reset link in both parts:\n%s\n%s", msg.Text, msg.HTML)
	}
	link := m[1]
	if err := th.hub.Store.DB().QueryRow(`SELECT 1 FROM web_password_resets WHERE token_hash = $1`, []byte(link)).Scan(new(int)); err == nil {
		t.Fatal("the link's token is stored as it is")
	}

	b := th.browser()
	b.Get(link).Want(t, http.StatusOK, "forgetful@example.com", `id="f-password"`)
	b.Post(link, url.Values{"password": {"short"}, "password_again": {"short"}}).Want(t, http.StatusUnprocessableEntity, "at least 10 characters")
	b.Post(link, url.Values{"password": {"a fresh memorable one"}, "password_again": {"a fresh memorable one"}}).WantRedirect(t, "/org")
	b.Get("/org").Want(t, http.StatusOK, "Forgetful Org")
	b.Get(link).Want(t, http.StatusGone, "no longer works")
	org.Get("/org").WantRedirect(t, "/org/signin") // the old session ended

	fresh := th.browser()
	fresh.Post("/org/signin", url.Values{"email": {"forgetful@example.com"}, "password": {"correct horse battery"}}).Want(t, http.StatusUnauthorized)
	fresh.Post("/org/signin", url.Values{"email": {"forgetful@example.com"}, "password": {"a fresh memorable one"}}).WantRedirect(t, "/org")

	// One address asking again and again is held back.
	anon.Post("/org/signin/forgot", url.Values{"email": {"forgetful@example.com"}}).Want(t, http.StatusOK)
	anon.Post("/org/signin/forgot", url.Values{"email": {"forgetful@example.com"}}).Want(t, http.StatusTooManyRequests, "Too many requests")
	hubtest.WaitForMessagesDelivered(t, th.hub)
	list := srv.Messages(t)
	if len(list) != 2 || len(mailpittest.To(list, "forgetful@example.com")) != 2 {
		t.Fatalf("mails %+v, want 2 reset mails to the organizer (the unknown email and the held-back request sent none)", list)
	}
}
