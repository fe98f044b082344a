// Package hubtest opens real hubs for tests: a SQLite file in the test's
// temporary folder, the workers running until the test ends, and a
// published conference made through the real services.
package hubtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/hub/hubapp"
	"conference/shared/eventstore/backendtest"
	"conference/shared/registrations"
)

// Open opens a hub on a fresh database in t.TempDir() with the wall clock,
// runs its workers and stops and closes it when the test ends.
func Open(t testing.TB) *hubapp.Hub {
	t.Helper()
	return OpenConfig(t, hubapp.Config{})
}

// OpenConfig is Open with a config: an empty DB is a fresh database of the
// suite's backend (a file in t.TempDir() by default), a nil Logger discards the logs and a zero BusPoll is 20 ms,
// so delayed messages follow a test Clock promptly.
func OpenConfig(t testing.TB, cfg hubapp.Config) *hubapp.Hub {
	t.Helper()
	h, start := OpenIdle(t, cfg)
	start()
	return h
}

// OpenIdle is OpenConfig with the workers (bus, process manager, policies,
// read models) not started until start is called: what the services do
// synchronously happens, what follows through the logs waits. A test uses
// it to line up a race deterministically. start runs at most once.
func OpenIdle(t testing.TB, cfg hubapp.Config) (h *hubapp.Hub, start func()) {
	t.Helper()
	if cfg.DB == "" {
		// A SQLite file, or a PostgreSQL database when the suite runs on
		// PostgreSQL (CONFERENCE_TEST_DB=postgres).
		cfg.DB = backendtest.URL(t)
	}
	if cfg.BusPoll == 0 {
		cfg.BusPoll = 20 * time.Millisecond
	}
	if cfg.Mailer == nil && cfg.MailDir == "" {
		cfg.MailDir = filepath.Join(t.TempDir(), "mail") // not beside a PostgreSQL test's sources
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h, err := hubapp.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open hub: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var (
		once sync.Once
		done chan error // nil until started
	)
	start = func() {
		once.Do(func() {
			done = make(chan error, 1)
			running.Store(h, true)
			go func() { done <- h.Run(ctx) }()
		})
	}
	t.Cleanup(func() {
		cancel()
		once.Do(func() {}) // too late to start from here on
		if done != nil {
			if err := <-done; err != nil {
				t.Errorf("hub workers: %v", err)
			}
		}
		running.Delete(h)
		if err := h.Close(); err != nil {
			t.Errorf("close hub: %v", err)
		}
	})
	return h, start
}

// running holds the hubs whose workers this package started.
var running sync.Map

// Seat types of the fixture conference.
const (
	PaidPrice     = 29900 // 299.00 EUR
	PaidQuota     = 100
	FreeQuota     = 50
	WorkshopPrice = 4900 // 49.00 EUR
	WorkshopQuota = 10
	Currency      = "EUR"
)

// Fixture is a published conference and its organizer.
type Fixture struct {
	OrganizerID  uuid.UUID
	Email        string
	Token        string // API token of the organizer
	ConferenceID uuid.UUID
	Slug         string
	// Paid (PaidPrice, PaidQuota), Free (price 0, FreeQuota) and Workshop
	// (WorkshopPrice, WorkshopQuota, sellable at kiosks) seat types.
	Paid, Free, Workshop uuid.UUID
}

var fixtures atomic.Int64

// PublishedConference creates an organizer with an API token and a
// published conference with three seat types through h's services, and
// checks registrations knows their quotas (publishing brings them). On a
// hub whose workers this package runs, it also waits until Conference
// Management's messages are delivered, so the conference is all taken in.
// Each call makes a new organizer and conference.
func PublishedConference(t testing.TB, h *hubapp.Hub) Fixture {
	t.Helper()
	ctx := context.Background()
	n := fixtures.Add(1)
	suffix := fmt.Sprintf("%d-%s", n, strings.ToLower(uuid.NewString()[:8]))
	org, err := h.Conferences.CreateOrganizer(ctx, conferences.NewOrganizer{
		Email: "organizer-" + suffix + "@example.com", DisplayName: "Organizer " + suffix,
	})
	must(t, "create organizer", err)
	token, err := h.Conferences.IssueAPIToken(ctx, org.ID)
	must(t, "issue API token", err)
	start := time.Now().UTC().Add(60 * 24 * time.Hour).Truncate(time.Hour)
	c, err := h.Conferences.CreateConference(ctx, org.ID, conferences.ConferenceDetails{
		Slug: "conf-" + suffix, Name: "Test Conference " + suffix, Tagline: "A conference for tests",
		Venue: "Lisbon Congress Centre", TimeZone: "Europe/Lisbon",
		StartsAt: start, EndsAt: start.Add(48 * time.Hour), Currency: Currency,
	})
	must(t, "create conference", err)
	f := Fixture{OrganizerID: org.ID, Email: org.Email, Token: token, ConferenceID: c.ID, Slug: c.Slug}
	add := func(name string, price int64, quota int, onSite conferences.OnSitePolicy) uuid.UUID {
		st, err := h.Conferences.AddSeatType(ctx, org.ID, c.ID, conferences.SeatTypeDetails{
			Name: name, Description: name + " seats", Price: registrations.NewMoney(price, Currency), Quota: quota, OnSite: onSite,
		})
		must(t, "add seat type "+name, err)
		return st.ID
	}
	f.Paid = add("Conference pass", PaidPrice, PaidQuota, conferences.OnSitePolicy{})
	f.Free = add("Community day", 0, FreeQuota, conferences.OnSitePolicy{})
	f.Workshop = add("Workshop", WorkshopPrice, WorkshopQuota,
		conferences.OnSitePolicy{SellableAtKiosks: true, SellPastAllocation: true, KioskAllocationSize: 2})
	_, err = h.Conferences.Publish(ctx, org.ID, c.ID)
	must(t, "publish", err)
	WaitForQuotas(t, h, c.ID, map[uuid.UUID]int{f.Paid: PaidQuota, f.Free: FreeQuota, f.Workshop: WorkshopQuota})
	if _, ok := running.Load(h); ok {
		WaitForMessagesDelivered(t, h)
	}
	return f
}

// WaitForQuotas waits (up to 10 s) until the conference's SeatsAvailability
// has exactly the given quotas.
func WaitForQuotas(t testing.TB, h *hubapp.Hub, conferenceID uuid.UUID, quotas map[uuid.UUID]int) {
	t.Helper()
	Eventually(t, 10*time.Second, "seat quotas in registrations", func() error {
		a, err := h.Registrations.Availability(context.Background(), conferenceID)
		if err != nil {
			return err
		}
		for st, want := range quotas {
			if got := a.Quota(st); got != want {
				return fmt.Errorf("seat type %s has quota %d, want %d", st, got, want)
			}
		}
		return nil
	})
}

// WaitForOrder waits (up to 10 s) until the order has the status.
func WaitForOrder(t testing.TB, h *hubapp.Hub, orderID uuid.UUID, status registrations.OrderStatus) {
	t.Helper()
	Eventually(t, 10*time.Second, "order "+string(status), func() error {
		o, err := h.Registrations.GetOrder(context.Background(), orderID)
		if err != nil {
			return err
		}
		if o.Status != status {
			return fmt.Errorf("order %s is %q, want %q", orderID, o.Status, status)
		}
		return nil
	})
}

// WaitForAwaitingPayment waits (up to 10 s) until a paid order is reserved
// and its payment asked for: the end of what placing it sets off, so the
// log stays still until it is paid or runs out. Tests that compare the log
// head around a refused request wait for this first.
func WaitForAwaitingPayment(t testing.TB, h *hubapp.Hub, orderID uuid.UUID) {
	t.Helper()
	WaitForOrder(t, h, orderID, registrations.OrderStatusReserved)
	Eventually(t, 10*time.Second, "payment asked for", func() error {
		pays, err := h.Payments.ForOrder(context.Background(), orderID)
		if err != nil {
			return err
		}
		if len(pays) == 0 {
			return fmt.Errorf("no payment for order %s yet", orderID)
		}
		return nil
	})
}

// WaitForReadModels waits (up to 20 s) until the read models reflect
// every event in the log now.
func WaitForReadModels(t testing.TB, h *hubapp.Hub) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	head, err := h.Store.Head(ctx)
	must(t, "read the log head", err)
	must(t, "wait for the read models", h.Reads.WaitFor(ctx, head))
}

// WaitForMessagesDelivered waits (up to 10 s) until no message that is due
// waits for delivery: Conference Management's integration events (which
// the kiosk feed copies into the log) and every command sent so far have
// been handled. Delayed messages not yet due (reservation timeouts) do
// not count.
func WaitForMessagesDelivered(t testing.TB, h *hubapp.Hub) {
	t.Helper()
	Eventually(t, 10*time.Second, "due messages delivered", func() error {
		pending, err := h.Store.PendingMessages(context.Background(), h.Now(), 10)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return fmt.Errorf("%d messages due, the first %s", len(pending), pending[0].Type)
		}
		return nil
	})
}

// WaitForSeats waits (up to 10 s) until the conference's seat type has
// sold seats sold and reserved seats reserved. A confirmed order does not
// mean its seats are committed yet: the process sends ConfirmOrder and
// CommitSeatReservation together, and the bus delivers them independently.
func WaitForSeats(t testing.TB, h *hubapp.Hub, conferenceID, seatType uuid.UUID, sold, reserved int) {
	t.Helper()
	Eventually(t, 10*time.Second, fmt.Sprintf("%d seats sold, %d reserved", sold, reserved), func() error {
		a, err := h.Registrations.Availability(context.Background(), conferenceID)
		if err != nil {
			return err
		}
		if a.SoldCount(seatType) != sold || a.ReservedCount(seatType) != reserved {
			return fmt.Errorf("%d sold, %d reserved", a.SoldCount(seatType), a.ReservedCount(seatType))
		}
		return nil
	})
}

// WaitForSold waits (up to 10 s) until the order's seats are sold in the
// conference's availability, which follows the order's confirmation by a
// moment (see WaitForSeats).
func WaitForSold(t testing.TB, h *hubapp.Hub, conferenceID, orderID uuid.UUID) {
	t.Helper()
	Eventually(t, 10*time.Second, "the order's seats sold", func() error {
		a, err := h.Registrations.Availability(context.Background(), conferenceID)
		if err != nil {
			return err
		}
		if sold, _ := a.SoldTo(orderID); sold.Total() == 0 {
			return fmt.Errorf("order %s has no seats sold", orderID)
		}
		return nil
	})
}

// Eventually retries check every few milliseconds until it returns nil, and
// fails the test with its last error after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Clock is a test clock that only moves when told; pass its Now in
// hubapp.Config.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at the current wall time.
func NewClock() *Clock { return &Clock{now: time.Now().UTC().Truncate(time.Millisecond)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
