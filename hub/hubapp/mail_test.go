package hubapp_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/badges"
	"conference/badges/badgestest"
	"conference/badges/token"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/mail"
	"conference/hub/mail/eml"
	"conference/hub/mail/mailpittest"
	"conference/hub/mail/smtp"
	"conference/shared/eventstore/backendtest"
	"conference/shared/messaging"
	"conference/shared/metrics/metricstest"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// smtpTo returns a sender to the mailpit server.
func smtpTo(t *testing.T, srv *mailpittest.Server) *smtp.Sender {
	t.Helper()
	s, err := smtp.New(smtp.Config{Host: srv.Host, Port: srv.Port, StartTLS: smtp.StartTLSOff, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// quickRetry retries a failing mail every 100 ms, so a test sees a server
// coming back at once.
var quickRetry = messaging.Retry{MaxAttempts: 1000, Backoff: func(int) time.Duration { return 100 * time.Millisecond }}

// mailsTo waits until exactly n mails to address arrived and returns them,
// oldest first.
func mailsTo(t *testing.T, srv *mailpittest.Server, address string, n int) []mailpittest.Summary {
	t.Helper()
	return mailpittest.WaitFor(t, srv, 15*time.Second, func(list []mailpittest.Summary) ([]mailpittest.Summary, error) {
		got := mailpittest.To(list, address)
		if len(got) != n {
			return nil, fmt.Errorf("%d mails to %s, want %d", len(got), address, n)
		}
		return got, nil
	})
}

// freeOrder places a confirmed-at-once order of n free seats for a
// registrant and returns its id and access code.
func freeOrder(t *testing.T, h *hubapp.Hub, f hubtest.Fixture, n int, name, email string) registrationsPlaced {
	t.Helper()
	ctx := context.Background()
	placed, err := h.Registrations.PlaceOrder(ctx, f.ConferenceID, registrations.Seats{{SeatType: f.Free, Quantity: n}}, "", h.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Registrations.SetRegistrant(ctx, placed.OrderID, name, email); err != nil {
		t.Fatal(err)
	}
	return registrationsPlaced{ID: placed.OrderID, Code: placed.AccessCode}
}

type registrationsPlaced struct {
	ID   uuid.UUID
	Code string
}

// TestConfirmationMailHasTheAccessCodeALinkAndTicketsKiosksVerify confirms
// an order of two seats for a registrant whose name is Greek, and reads
// what reached a real SMTP server (mailpit): one mail to the registrant,
// from the hub, replying to the conference; its subject names the
// conference and the access code; the text and HTML parts carry the code
// and the order's link; tickets.pdf is attached, and its QR code, read by
// zbarimg from the rendered page, verifies with the hub's key and names
// the order's first seat, the one a kiosk knows the registrant by.
func TestConfirmationMailHasTheAccessCodeALinkAndTicketsKiosksVerify(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{})
	h := hubtest.OpenConfig(t, hubapp.Config{Mailer: smtpTo(t, srv), PublicURL: "https://tickets.example.org/"})
	f := hubtest.PublishedConference(t, h)
	setContact(t, h, f, "team@conference.example.org")
	o := freeOrder(t, h, f, 2, "Αλέξανδρος Παπαδόπουλος", "alexandros@example.com")
	hubtest.WaitForOrder(t, h, o.ID, registrations.OrderStatusConfirmed)

	got := mailsTo(t, srv, "alexandros@example.com", 1)[0]
	msg := srv.Message(t, got.ID)
	conf, err := h.Reads.Conference(context.Background(), f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	if msg.From.Address != hubapp.DefaultMailFrom.Email || len(msg.To) != 1 || msg.To[0].Name != "Αλέξανδρος Παπαδόπουλος" {
		t.Errorf("from %+v to %+v", msg.From, msg.To)
	}
	if len(msg.ReplyTo) != 1 || msg.ReplyTo[0].Address != "team@conference.example.org" {
		t.Errorf("reply-to %+v, want the conference's contact", msg.ReplyTo)
	}
	if !strings.Contains(msg.Subject, conf.Name) || !strings.Contains(msg.Subject, o.Code) {
		t.Errorf("subject %q lacks the conference %q or the access code %q", msg.Subject, conf.Name, o.Code)
	}
	link := "https://tickets.example.org/orders/" + o.ID.String()
	for part, body := range map[string]string{"text": msg.Text, "HTML": msg.HTML} {
		for _, want := range []string{o.Code, link, "Αλέξανδρος Παπαδόπουλος", "Community day"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s part lacks %q:\n%s", part, want, body)
			}
		}
	}
	if len(msg.Attachments) != 1 || msg.Attachments[0].FileName != badges.TicketFileName || msg.Attachments[0].ContentType != badges.ContentType {
		t.Fatalf("attachments %+v, want the tickets PDF", msg.Attachments)
	}
	pdf := srv.Part(t, got.ID, msg.Attachments[0].PartID)
	if text := badgestest.Text(t, pdf); !strings.Contains(text, "Αλέξανδρος Παπαδόπουλος") || !strings.Contains(text, conf.Name) {
		t.Errorf("ticket text lacks the name or the conference:\n%s", text)
	}
	codes := badgestest.QRCodes(t, pdf)
	if len(codes) != 1 {
		t.Fatalf("%d QR codes in the tickets, want 1 (the registrant holds both seats until they are named)", len(codes))
	}
	key, err := h.Kiosks.SigningKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v, err := token.NewVerifier(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	claims, err := v.Verify(codes[0])
	if err != nil {
		t.Fatalf("ticket QR: %v", err)
	}
	if want := (onsite.Seat{OrderID: o.ID, Position: 0}).TokenID(); claims.Seat != want || claims.Conference != f.ConferenceID.String() {
		t.Fatalf("ticket names seat %s of %s, want %s of %s", claims.Seat, claims.Conference, want, f.ConferenceID)
	}
	hdr := srv.Headers(t, got.ID)
	if a := hdr["Auto-Submitted"]; len(a) != 1 || a[0] != "auto-generated" {
		t.Errorf("Auto-Submitted %v", a)
	}
}

// TestAMailWaitsOutADownServerAndGoesOutOnce stops the SMTP server,
// confirms an order, and starts the server again: the mail, failing in the
// meantime (the mail log says so), arrives once the server is back. The
// hub is then restarted on the same database, a second order confirmed
// and every due message delivered: the first mail did not go out again,
// and handing its command to the Postman once more sends nothing either.
func TestAMailWaitsOutADownServerAndGoesOutOnce(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{})
	cfg := hubapp.Config{DB: backendtest.URL(t), Mailer: smtpTo(t, srv), MailRetry: quickRetry}
	h, stop := openHub(t, cfg)
	f := hubtest.PublishedConference(t, h)
	srv.Stop(t)

	first := freeOrder(t, h, f, 1, "Ines Duarte", "ines@example.com")
	hubtest.WaitForOrder(t, h, first.ID, registrations.OrderStatusConfirmed)
	hubtest.Eventually(t, 15*time.Second, "the mail failing while the server is away", func() error {
		list, err := h.Mail.Letters(context.Background(), f.ConferenceID, 10)
		if err != nil {
			return err
		}
		if len(list) != 1 || list[0].Status != mail.StatusFailed || list[0].Attempts < 2 {
			return fmt.Errorf("mail log %+v", list)
		}
		return nil
	})
	srv.Restart(t)
	mailsTo(t, srv, "ines@example.com", 1)
	hubtest.WaitForMessagesDelivered(t, h)
	if c := h.Mail.Counts(); c.Sent != 1 || c.Failed < 2 {
		t.Errorf("counts %+v, want 1 sent after at least 2 failures", c)
	}
	// The operator sees the same in the metrics, by kind.
	scrape := httptest.NewServer(h.Metrics.Handler())
	m := metricstest.Scrape(t, scrape.URL, "")
	scrape.Close()
	kind := string(mail.OrderConfirmed)
	if n, _ := m.Value("conference_mails_sent_total", "kind", kind); n != 1 {
		t.Errorf("conference_mails_sent_total{kind=%q} = %v, want 1", kind, n)
	}
	if n, _ := m.Value("conference_mails_failed_total", "kind", kind); n < 2 {
		t.Errorf("conference_mails_failed_total{kind=%q} = %v, want at least 2", kind, n)
	}

	stop()
	h, _ = openHub(t, cfg)
	second := freeOrder(t, h, f, 1, "Jun Watanabe", "jun@example.com")
	hubtest.WaitForOrder(t, h, second.ID, registrations.OrderStatusConfirmed)
	mailsTo(t, srv, "jun@example.com", 1)
	hubtest.WaitForMessagesDelivered(t, h)
	// A command delivered again (the bus's mark lost in a crash) finds
	// its mail in the log and sends nothing.
	logged, _, err := h.Store.ReadMessages(context.Background(), 0, 1000, mail.CommandType)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range logged {
		if err := h.Mail.Handle(context.Background(), m.Message); err != nil {
			t.Fatal(err)
		}
	}
	if len(logged) != 2 {
		t.Fatalf("%d mail commands in the outbox, want one per order", len(logged))
	}
	mailsTo(t, srv, "ines@example.com", 1)
	if c := h.Mail.Counts(); c.Sent != 1 {
		t.Fatalf("the restarted hub counts %+v, want the second order's mail sent and nothing else", c)
	}
}

// setContact gives the conference a contact address and waits until the
// read models have it.
func setContact(t *testing.T, h *hubapp.Hub, f hubtest.Fixture, email string) {
	t.Helper()
	ctx := context.Background()
	c, err := h.Conferences.GetConference(ctx, f.OrganizerID, f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	d := c.ConferenceDetails
	d.ContactEmail = email
	if _, err := h.Conferences.UpdateConference(ctx, f.OrganizerID, f.ConferenceID, d); err != nil {
		t.Fatal(err)
	}
	hubtest.Eventually(t, 10*time.Second, "the contact address in the read models", func() error {
		v, err := h.Reads.Conference(ctx, f.ConferenceID)
		if err != nil || v.ContactEmail != email {
			return fmt.Errorf("contact %q, %v", v.ContactEmail, err)
		}
		return nil
	})
}

// openHub opens a hub on cfg.DB (a fresh database when empty) and runs its
// workers; stop stops and closes it (also when the test ends), so the test
// can open it again.
func openHub(t *testing.T, cfg hubapp.Config) (*hubapp.Hub, func()) {
	t.Helper()
	if cfg.DB == "" {
		cfg.DB = backendtest.URL(t)
	}
	if cfg.MailDir == "" && cfg.Mailer == nil {
		cfg.MailDir = t.TempDir()
	}
	cfg.BusPoll = 20 * time.Millisecond
	h, err := hubapp.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("hub workers: %v", err)
		}
		if err := h.Close(); err != nil {
			t.Errorf("close hub: %v", err)
		}
	}
	t.Cleanup(stop)
	return h, stop
}

// TestNoticesReachRegistrantsAndWaitingPeople follows three changes to
// the mails they call for, at a real SMTP server: an organizer cancels a
// paid order (a notice with the reason and the refund), a payment arrives
// for an order paid already (the refund notice the registration process
// asks for, once an in-memory fake), and a cancellation frees workshop
// seats someone waits for (an offer with its deadline and the link that
// takes it). The conference's mail log lists all of them.
func TestNoticesReachRegistrantsAndWaitingPeople(t *testing.T) {
	ctx := context.Background()
	srv := mailpittest.Start(t, mailpittest.Options{})
	h := hubtest.OpenConfig(t, hubapp.Config{Mailer: smtpTo(t, srv), PublicURL: "https://hub.example.org"})
	f := hubtest.PublishedConference(t, h)

	// A paid order, cancelled by the organizer.
	paid := place(t, h, f.ConferenceID, f.Paid, 1, "")
	pay := pendingPayment(t, h, paid)
	if _, err := h.Payments.Accept(ctx, pay.ID); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitForOrder(t, h, paid, registrations.OrderStatusConfirmed)
	mailpittest.WaitFor(t, srv, 15*time.Second, subjectTo("ada@example.org", "You are registered"))
	// Paid twice: the second payment is sent back, and the registrant told.
	if err := h.Registrations.CompletePayment(ctx, paid, uuid.New(), registrations.NewMoney(hubtest.PaidPrice, hubtest.Currency)); err != nil {
		t.Fatal(err)
	}
	refund := mailpittest.WaitFor(t, srv, 15*time.Second, subjectTo("ada@example.org", "refunded"))
	if text := srv.Message(t, refund.ID).Text; !strings.Contains(text, "Why: payment arrived while the order was ") {
		t.Errorf("refund notice lacks the reason:\n%s", text)
	}
	if err := h.Registrations.CancelOrder(ctx, paid, "The venue flooded"); err != nil {
		t.Fatal(err)
	}
	cancelled := mailpittest.WaitFor(t, srv, 15*time.Second, subjectTo("ada@example.org", "was cancelled"))
	if text := srv.Message(t, cancelled.ID).Text; !strings.Contains(text, "The venue flooded") || !strings.Contains(text, "299.00 EUR you paid is refunded") {
		t.Errorf("cancellation notice:\n%s", text)
	}

	// Workshop seats, all held by one order; Ann waits for two.
	entry := annWaitsForFreedWorkshopSeats(t, h, f)
	offer := mailpittest.WaitFor(t, srv, 15*time.Second, subjectTo("ann@example.com", "held for you"))
	msg := srv.Message(t, offer.ID)
	w, err := h.Registrations.Waitlist(ctx, f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := w.Entry(entry)
	deadline := e.OfferExpiresAt.In(mustLocation(t, "Europe/Lisbon")).Format("Mon 2 Jan 2006, 15:04 MST")
	link := mail.OfferLink("https://hub.example.org", f.Slug, entry)
	for _, want := range []string{"2 × Workshop", deadline, link, "Ann Waiting"} {
		if !strings.Contains(msg.Text, want) || !strings.Contains(msg.HTML, want) {
			t.Errorf("offer mail lacks %q in a part:\n%s", want, msg.Text)
		}
	}

	hubtest.WaitForMessagesDelivered(t, h)
	list, err := h.Mail.Letters(ctx, f.ConferenceID, 100)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[mail.Kind]int{}
	for _, r := range list {
		if r.Status != mail.StatusSent {
			t.Errorf("mail %s (%s) is %s: %s", r.ID, r.Kind, r.Status, r.LastError)
		}
		kinds[r.Kind]++
	}
	want := map[mail.Kind]int{mail.OrderConfirmed: 1, mail.PaymentRefunded: 1, mail.OrderCancelled: 2, mail.WaitlistOffer: 1}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("mail log kinds %v, want %v (the unpaid workshop order's cancellation too)", kinds, want)
	}
}

// subjectTo matches the one mail to address whose subject has text.
func subjectTo(address, text string) func([]mailpittest.Summary) (mailpittest.Summary, error) {
	return func(list []mailpittest.Summary) (mailpittest.Summary, error) {
		var found []mailpittest.Summary
		for _, s := range mailpittest.To(list, address) {
			if strings.Contains(s.Subject, text) {
				found = append(found, s)
			}
		}
		if len(found) != 1 {
			return mailpittest.Summary{}, fmt.Errorf("%d mails to %s about %q", len(found), address, text)
		}
		return found[0], nil
	}
}

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestAConfirmationWhoseTicketCannotPrintGoesOutWithoutIt confirms an
// order for a registrant whose name is in a script no embedded font has
// (Tibetan): the ticket cannot be rendered, which no retry changes, so the
// confirmation goes out at once without it, saying why.
func TestAConfirmationWhoseTicketCannotPrintGoesOutWithoutIt(t *testing.T) {
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	o := freeOrder(t, h, f, 1, "བཀྲ་ཤིས་", "tashi@example.com")
	hubtest.WaitForOrder(t, h, o.ID, registrations.OrderStatusConfirmed)
	var sent mail.Record
	hubtest.Eventually(t, 10*time.Second, "the confirmation sent", func() error {
		list, err := h.Mail.Letters(context.Background(), f.ConferenceID, 10)
		if err != nil || len(list) != 1 || list[0].Status != mail.StatusSent {
			return fmt.Errorf("mail log %+v, %v", list, err)
		}
		sent = list[0]
		return nil
	})
	_, raw, err := h.Mail.Copy(context.Background(), f.ConferenceID, sent.ID)
	if err != nil {
		t.Fatal(err)
	}
	l, err := eml.Read(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Attachments) != 0 || !strings.Contains(l.Text, "could not be attached") || !strings.Contains(l.Text, o.Code) {
		t.Fatalf("attachments %d, text:\n%s", len(l.Attachments), l.Text)
	}
}
