package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/mail/mailpittest"
	registrationsapp "conference/hub/registrations"
	"conference/shared/eventstore/backendtest"
	"conference/shared/messaging"
	"conference/shared/registrations"
	"conference/shared/sqldb"
)

// offerLinkRE finds the link of a waitlist offer mail (mailHub's public
// URL), capturing its path.
var offerLinkRE = regexp.MustCompile(`http://hub\.test(/c/[a-z0-9-]+/waitlist/offers/([0-9a-f-]{36}))`)

// offerMail waits for the one waitlist offer mailed to email, and returns
// it with the path of its link, which both parts carry.
func offerMail(t *testing.T, srv *mailpittest.Server, email string) (mailpittest.Message, string) {
	t.Helper()
	got := mailpittest.WaitFor(t, srv, 20*time.Second, func(list []mailpittest.Summary) (mailpittest.Summary, error) {
		for _, m := range mailpittest.To(list, email) {
			if strings.Contains(m.Subject, "are held for you until") {
				return m, nil
			}
		}
		return mailpittest.Summary{}, fmt.Errorf("no offer mailed to %s among %d mails", email, len(list))
	})
	msg := srv.Message(t, got.ID)
	m := offerLinkRE.FindStringSubmatch(msg.Text)
	if m == nil || !strings.Contains(msg.HTML, m[0]) {
		t.Fatalf("no offer link in both parts of the mail:\n%s\n%s", msg.Text, msg.HTML)
	}
	return msg, m[1]
}

// soldOutWorkshop sells every workshop seat to two paid orders, and
// returns the one holding the last two.
func soldOutWorkshop(t *testing.T, th *testHub, fx hubtest.Fixture) uuid.UUID {
	t.Helper()
	var last uuid.UUID
	for _, n := range []int{hubtest.WorkshopQuota - 2, 2} {
		last = reserveWorkshop(t, th, fx, n)
		pay(t, th, last)
	}
	hubtest.WaitForSeats(t, th.hub, fx.ConferenceID, fx.Workshop, hubtest.WorkshopQuota, 0)
	return last
}

// joinWorkshopWaitlist joins the workshop's waitlist on the form for two
// seats.
func (b *browser) joinWorkshopWaitlist(fx hubtest.Fixture, name, email string) {
	b.T.Helper()
	join := "/c/" + fx.Slug + "/waitlist/" + fx.Workshop.String()
	b.Get(join).Want(b.T, http.StatusOK, "Join the waitlist", "sold out")
	b.Post(join, url.Values{"quantity": {"2"}, "name": {name}, "email": {email}}).WantRedirect(b.T, join+"/joined")
	b.Get(join+"/joined").Want(b.T, http.StatusOK, "You are on the waitlist for 2 seats of Workshop, as "+email)
}

// organizer signs the fixture's organizer in on a new browser.
func (th *testHub) organizer(fx hubtest.Fixture) *browser {
	th.t.Helper()
	if err := SetPassword(context.Background(), th.hub, fx.OrganizerID, "correct horse battery"); err != nil {
		th.t.Fatal(err)
	}
	org := th.browser()
	org.Post("/org/signin", url.Values{"email": {fx.Email}, "password": {"correct horse battery"}}).WantRedirect(th.t, "/org")
	return org
}

// waitlistRow waits until the organizer's waitlist shows the entry's row
// with every text, and returns it.
func (b *browser) waitlistRow(conf, entry uuid.UUID, texts ...string) string {
	b.T.Helper()
	var row string
	hubtest.Eventually(b.T, 10*time.Second, "the waitlist row", func() error {
		row = rowOf(b.Get(confURL(conf, "/waitlist")).Body, `data-entry="`+entry.String()+`"`)
		for _, text := range texts {
			if !strings.Contains(row, text) {
				return fmt.Errorf("no %q in the row:\n%s", text, row)
			}
		}
		return nil
	})
	return row
}

// The end-to-end path, with a real SMTP server: the workshop
// sold out, a registrant joins its waitlist on the form, an order of two
// seats is cancelled, the offer arrives by mail, its link (opened in another
// browser, as on a phone) takes the seats, the order is paid and
// confirmed, and the confirmation arrives by mail too.
func TestAWaitlistOfferTakenThroughItsMailBecomesAPaidOrder(t *testing.T) {
	ctx := context.Background()
	srv := mailpittest.Start(t, mailpittest.Options{})
	th := mailHub(t, srv, messaging.Retry{}, Options{})
	fx := hubtest.PublishedConference(t, th.hub)
	sold := soldOutWorkshop(t, th, fx)

	grace := th.browser()
	row := seatRow(t, grace.Get("/c/"+fx.Slug).Want(t, http.StatusOK).Body, fx.Workshop)
	if !strings.Contains(row, "Sold out") || !strings.Contains(row, "Join the waitlist") {
		t.Fatalf("the sold-out workshop should offer its waitlist:\n%s", row)
	}
	grace.joinWorkshopWaitlist(fx, "Grace Hopper", "grace@example.com")

	if err := th.hub.Registrations.CancelOrder(ctx, sold, "plans changed"); err != nil {
		t.Fatal(err)
	}
	msg, link := offerMail(t, srv, "grace@example.com")
	entry := uuid.MustParse(offerLinkRE.FindStringSubmatch("http://hub.test" + link)[2])
	offer, err := th.hub.Registrations.WaitlistOffer(ctx, fx.ConferenceID, entry)
	if err != nil {
		t.Fatal(err)
	}
	lisbon, _ := time.LoadLocation("Europe/Lisbon")
	deadline := offer.OfferExpiresAt.In(lisbon).Format("Mon 2 Jan 2006, 15:04 MST")
	if msg.To[0].Name != "Grace Hopper" || !strings.Contains(msg.Subject, deadline) || !strings.Contains(msg.Text, "2 × Workshop") {
		t.Fatalf("offer mail %q to %+v:\n%s", msg.Subject, msg.To, msg.Text)
	}

	phone := th.browser()
	phone.Get(link).Want(t, http.StatusOK, "Seats held for you", "Grace Hopper", `id="offer-seats">2<`, "98.00 EUR", deadline, `id="take"`)
	id := orderID(t, phone.Post(link, nil))
	if id != entry {
		t.Fatalf("the offer became order %s, want the entry's id %s", id, entry)
	}
	phone.waitStatus(id, registrations.OrderStatusReserved)
	phone.Get("/orders/"+id.String()).Want(t, http.StatusOK, "Reserved for you", `value="Grace Hopper"`, `value="grace@example.com"`, `id="pay-button"`)
	payPage := phone.pay(id)
	phone.Post(payPage, url.Values{"decision": {"accept"}}).WantRedirect(t, "/orders/"+id.String())
	phone.waitStatus(id, registrations.OrderStatusConfirmed)
	hubtest.WaitForSeats(t, th.hub, fx.ConferenceID, fx.Workshop, hubtest.WorkshopQuota, 0)
	confirmation := mailpittest.WaitFor(t, srv, 20*time.Second, func(list []mailpittest.Summary) (mailpittest.Summary, error) {
		for _, m := range mailpittest.To(list, "grace@example.com") {
			if strings.HasPrefix(m.Subject, "You are registered for") {
				return m, nil
			}
		}
		return mailpittest.Summary{}, errors.New("no confirmation mailed to grace")
	})
	if confirmation.Attachments != 1 {
		t.Fatalf("the confirmation has %d attachments, want the tickets", confirmation.Attachments)
	}

	// Taking again opens the same order; the link says it was taken.
	phone.Post(link, nil).WantRedirect(t, "/orders/"+id.String())
	th.browser().Get(link).Want(t, http.StatusOK, "You took these seats", `id="open-order"`).Lacks(t, `id="take"`)

	org := th.organizer(fx)
	org.waitlistRow(fx.ConferenceID, entry, `data-offer="taken"`, `href="`+confURL(fx.ConferenceID, "/orders/"+id.String())+`"`, "(confirmed)")
}

// An offer not taken within its window passes to the next in line (a
// test clock moves past it), and the first link then says it has passed,
// refusing the seats and changing nothing. Links that name no offer answer
// not found.
func TestAnOfferNotTakenInTimePassesToTheNextInLine(t *testing.T) {
	ctx := context.Background()
	srv := mailpittest.Start(t, mailpittest.Options{})
	clock := hubtest.NewClock()
	th := mailHubConfig(t, srv, hubapp.Config{Now: clock.Now}, Options{Now: clock.Now})
	fx := hubtest.PublishedConference(t, th.hub)
	sold := soldOutWorkshop(t, th, fx)
	ann, bob := th.browser(), th.browser()
	ann.joinWorkshopWaitlist(fx, "Ann Early", "ann@example.com")
	bob.joinWorkshopWaitlist(fx, "Bob Later", "bob@example.com")

	w, err := th.hub.Registrations.Waitlist(ctx, fx.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	annEntry := w.Waiting(fx.Workshop)[0].EntryID
	annLink := "/c/" + fx.Slug + "/waitlist/offers/" + annEntry.String()
	other := hubtest.PublishedConference(t, th.hub)
	for _, path := range []string{
		annLink, // nothing offered yet
		"/c/" + fx.Slug + "/waitlist/offers/" + uuid.NewString(),
		"/c/" + fx.Slug + "/waitlist/offers/not-an-id",
		"/c/" + other.Slug + "/waitlist/offers/" + annEntry.String(),
		"/c/no-such-conference/waitlist/offers/" + annEntry.String(),
	} {
		ann.Get(path).Want(t, http.StatusNotFound, "No such offer")
		ann.Post(path, nil).Want(t, http.StatusNotFound, "No such offer")
	}

	if err := th.hub.Registrations.CancelOrder(ctx, sold, "plans changed"); err != nil {
		t.Fatal(err)
	}
	if _, link := offerMail(t, srv, "ann@example.com"); link != annLink {
		t.Fatalf("Ann's mail links to %s, want %s", link, annLink)
	}
	ann.Get(annLink).Want(t, http.StatusOK, "Seats held for you", "Ann Early")

	clock.Advance(registrationsapp.DefaultWaitlistOfferWindow + time.Minute)
	_, bobLink := offerMail(t, srv, "bob@example.com")
	bobOffer := func() registrationsapp.WaitlistOffer {
		o, err := th.hub.Registrations.WaitlistOffer(ctx, fx.ConferenceID, uuid.MustParse(bobLink[strings.LastIndex(bobLink, "/")+1:]))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	hubtest.WaitForSeats(t, th.hub, fx.ConferenceID, fx.Workshop, hubtest.WorkshopQuota-2, 2) // held for Bob now
	before, err := th.hub.Registrations.Waitlist(ctx, fx.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	ann.Get(annLink).Want(t, http.StatusGone, "This offer has passed", "not taken in time").Lacks(t, `id="take"`)
	ann.Post(annLink, nil).Want(t, http.StatusGone, "This offer has passed")
	ann.Post(annLink+"/decline", nil).Want(t, http.StatusGone, "This offer has passed")
	after, err := th.hub.Registrations.Waitlist(ctx, fx.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Version() != before.Version() {
		t.Fatalf("the waitlist moved from version %d to %d on a passed offer", before.Version(), after.Version())
	}
	if _, err := th.hub.Registrations.GetOrder(ctx, annEntry); !errors.Is(err, registrations.ErrOrderNotPlaced) {
		t.Fatalf("Ann's passed offer made an order: %v", err)
	}
	if o := bobOffer(); o.State != registrations.OfferOpen || o.OfferedSeats != 2 {
		t.Fatalf("Bob's offer is %+v, want 2 seats open", o)
	}

	// Bob passes them on himself: nobody else waits, so they go back on sale.
	bob.Get(bobLink).Want(t, http.StatusOK, "Seats held for you", "Bob Later", `id="decline"`)
	bob.Post(bobLink+"/decline", nil).WantRedirect(t, "/c/"+fx.Slug)
	bob.Get(bobLink).Want(t, http.StatusGone, "You passed these seats on")
	hubtest.WaitForSeats(t, th.hub, fx.ConferenceID, fx.Workshop, hubtest.WorkshopQuota-2, 0)
	row := seatRow(t, bob.Get("/c/"+fx.Slug).Want(t, http.StatusOK).Body, fx.Workshop)
	if !strings.Contains(row, `max="2"`) {
		t.Fatalf("the 2 seats nobody took should be on sale again:\n%s", row)
	}

	org := th.organizer(fx)
	org.waitlistRow(fx.ConferenceID, annEntry, `data-offer="passed"`, "expired", "not taken by", "passed on")
	org.waitlistRow(fx.ConferenceID, bobOffer().EntryID, `data-offer="passed"`, "declined", "passed on")
}

// Two replicas (on PostgreSQL; one hub twice on SQLite) given "Take these
// seats" for one offer at the same moment make one order, which both
// browsers then open.
func TestTakingAnOfferTwiceAtOnceMakesOneOrder(t *testing.T) {
	ctx := context.Background()
	db := backendtest.URL(t)
	first := serveHub(t, hubtest.OpenConfig(t, hubapp.Config{DB: db}), Options{})
	second := first
	if backendtest.Current(t) == sqldb.Postgres {
		second = serveHub(t, hubtest.OpenConfig(t, hubapp.Config{DB: db}), Options{})
	}
	fx := hubtest.PublishedConference(t, first.hub)
	sold := soldOutWorkshop(t, first, fx)
	entry, err := first.hub.Registrations.JoinWaitlist(ctx, fx.ConferenceID, fx.Workshop, 2, "Grace Hopper", "grace@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := first.hub.Registrations.CancelOrder(ctx, sold, "plans changed"); err != nil {
		t.Fatal(err)
	}
	hubtest.Eventually(t, 10*time.Second, "the offer made", func() error {
		_, err := first.hub.Registrations.WaitlistOffer(ctx, fx.ConferenceID, entry)
		return err
	})
	link := "/c/" + fx.Slug + "/waitlist/offers/" + entry.String()
	browsers := []*browser{first.browser(), second.browser()}
	for _, b := range browsers {
		b.Get(link).Want(t, http.StatusOK, "Seats held for you")
	}
	pages := make([]page, len(browsers))
	var wg sync.WaitGroup
	for i, b := range browsers {
		wg.Go(func() { pages[i] = b.Post(link, nil) })
	}
	wg.Wait()
	for i, b := range browsers {
		pages[i].WantRedirect(t, "/orders/"+entry.String())
		b.waitStatus(entry, registrations.OrderStatusReserved)
	}
	events, err := first.hub.Store.ReadStream(ctx, registrations.OrderStreamID(entry), 0)
	if err != nil {
		t.Fatal(err)
	}
	placed := 0
	for _, e := range events {
		if e.Type == (registrations.OrderPlaced{}).EventType() {
			placed++
		}
	}
	if placed != 1 {
		t.Fatalf("the order was placed %d times", placed)
	}
}

func TestTheWaitlistFormRefusesBadInputByTheFieldAndChangesNothing(t *testing.T) {
	th := startHub(t, Options{})
	fx := hubtest.PublishedConference(t, th.hub)
	soldOutWorkshop(t, th, fx)
	b := th.browser()
	join := "/c/" + fx.Slug + "/waitlist/" + fx.Workshop.String()
	b.Post(join, url.Values{"quantity": {"0"}, "name": {""}, "email": {"grace@example.com"}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-quantity-error"`, `id="f-name-error"`, "Enter your name.", `value="grace@example.com"`)
	b.Post(join, url.Values{"quantity": {"2"}, "name": {"Grace Hopper"}, "email": {"grace@"}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-email-error"`, `value="Grace Hopper"`).Lacks(t, `id="f-name-error"`)
	b.Post(join, url.Values{"quantity": {"51"}, "name": {"Grace Hopper"}, "email": {"grace@example.com"}}).
		Want(t, http.StatusUnprocessableEntity, `id="f-quantity-error"`, "from 1 to 50")
	if w, err := th.hub.Registrations.Waitlist(context.Background(), fx.ConferenceID); err != nil || w.Version() != 0 {
		t.Fatalf("refused joins recorded something: version %d, %v", w.Version(), err)
	}
	// Unknown seat types and conferences are not found.
	b.Get("/c/"+fx.Slug+"/waitlist/"+uuid.NewString()).Want(t, http.StatusNotFound)
	b.Post("/c/no-such-conference/waitlist/"+fx.Workshop.String(), url.Values{"quantity": {"1"}}).Want(t, http.StatusNotFound)
}
