package registrationsapp

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore/sqlitestore"
	"conference/shared/messaging"
	"conference/shared/registrations"
)

// clock is the one time source of a test: store, bus and app share it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func eur(cents int64) registrations.Money { return registrations.NewMoney(cents, "EUR") }

func seats(seatType uuid.UUID, n int) registrations.Seats {
	return registrations.Seats{{SeatType: seatType, Quantity: n}}
}

// hub is a test hub on a real SQLite file that can be "restarted": the
// store closed and reopened, the app and bus rebuilt, the recording ports
// kept (they stand for the outside world).
type hub struct {
	t        *testing.T
	path     string
	clock    *clock
	catalog  *MemoryCatalog
	payments *RecordingPayments
	notifier *RecordingNotifier

	store *sqlitestore.Store
	app   *App
	bus   *messaging.Bus
	// override replaces command handlers at the next (re)start.
	override map[string]messaging.Handler
	// autopay makes the payment processor pay every payment it is asked
	// for at once, with a payment id derived from the order id.
	autopay bool

	conference, paid, free uuid.UUID
}

const (
	paidPrice = 10000 // 100.00 EUR
	paidQuota = 10
	freeQuota = 5
)

func newHub(t *testing.T) *hub {
	t.Helper()
	return newHubAt(t, filepath.Join(t.TempDir(), "hub.db"), uuid.New(), uuid.New(), uuid.New(), false)
}

// newHubAt opens (or creates) a hub on the database at path selling the
// given conference's paid and free seat types.
func newHubAt(t *testing.T, path string, conference, paid, free uuid.UUID, autopay bool) *hub {
	t.Helper()
	h := &hub{
		t: t, path: path, autopay: autopay,
		clock:   &clock{now: time.Now().UTC().Truncate(time.Millisecond)},
		catalog: NewMemoryCatalog(), payments: &RecordingPayments{}, notifier: &RecordingNotifier{},
		conference: conference, paid: paid, free: free,
	}
	h.catalog.Set(h.conference, Offer{Prices: []registrations.SeatPrice{
		{SeatType: h.paid, Price: eur(paidPrice)},
		{SeatType: h.free, Price: eur(0)},
	}})
	h.start()
	h.must(h.app.Registrations.SetSeatQuota(context.Background(), h.conference, h.paid, paidQuota))
	h.must(h.app.Registrations.SetSeatQuota(context.Background(), h.conference, h.free, freeQuota))
	return h
}

func (h *hub) start() {
	h.t.Helper()
	s, err := sqlitestore.Open(context.Background(), h.path, sqlitestore.Options{Now: h.clock.Now})
	h.must(err)
	h.store = s
	var payments Payments = h.payments
	auto := &autoPay{RecordingPayments: h.payments}
	if h.autopay {
		payments = auto
	}
	h.app, err = New(Config{
		Store: s, Catalog: h.catalog, Payments: payments, Notifier: h.notifier,
		Checkpoints: SQLiteCheckpoints{Store: s}, Now: h.clock.Now,
	})
	h.must(err)
	auto.app = h.app
	h.bus = messaging.New(s, messaging.Options{MaxAttempts: 5, Backoff: func(int) time.Duration { return 0 }, Now: h.clock.Now})
	handlers := h.app.CommandHandlers()
	for name, override := range h.override {
		handlers[name] = override
	}
	for name, handler := range handlers {
		h.must(h.bus.HandleCommand(name, handler))
	}
	h.t.Cleanup(func() { s.Close() })
}

// restart simulates the hub process dying and starting again: nothing in
// memory survives, only the database file.
func (h *hub) restart() {
	h.t.Helper()
	h.must(h.store.Close())
	h.start()
}

// settle runs the process manager and the bus until neither has work.
func (h *hub) settle() {
	h.t.Helper()
	ctx := context.Background()
	for range 200 {
		n, err := h.app.Process.Step(ctx)
		h.must(err)
		p, err := h.app.Policies.Step(ctx)
		h.must(err)
		m, err := h.bus.DispatchDue(ctx)
		h.must(err)
		if n == 0 && p == 0 && m == 0 {
			return
		}
	}
	h.t.Fatal("hub did not settle in 200 rounds")
}

func (h *hub) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

// place places an order and gives the registrant's details at once, as a
// client that has them already does: payment starts once seats are held.
func (h *hub) place(n int, seatType uuid.UUID) uuid.UUID {
	h.t.Helper()
	id := h.placeUnnamed(n, seatType)
	h.name(id)
	return id
}

// placeUnnamed places an order whose registrant has not given their
// details yet.
func (h *hub) placeUnnamed(n int, seatType uuid.UUID) uuid.UUID {
	h.t.Helper()
	placed, err := h.app.Registrations.PlaceOrder(context.Background(), h.conference, seats(seatType, n), "", h.clock.Now())
	h.must(err)
	return placed.OrderID
}

// name gives the registrant's details of an order.
func (h *hub) name(orderID uuid.UUID) {
	h.t.Helper()
	h.must(h.app.Registrations.SetRegistrant(context.Background(), orderID, "Ann Registrant", "ann@example.org"))
}

func (h *hub) order(id uuid.UUID) OrderView {
	h.t.Helper()
	o, err := h.app.Registrations.GetOrder(context.Background(), id)
	h.must(err)
	return o
}

func (h *hub) availability() *registrations.SeatsAvailability {
	h.t.Helper()
	a, err := h.app.Registrations.Availability(context.Background(), h.conference)
	h.must(err)
	return a
}

func (h *hub) wantStatus(id uuid.UUID, want registrations.OrderStatus) {
	h.t.Helper()
	if got := h.order(id).Status; got != want {
		h.t.Fatalf("order status: got %q, want %q", got, want)
	}
}

// wantSeats checks the paid seat type's reserved and sold counts.
func (h *hub) wantSeats(reserved, sold int) {
	h.t.Helper()
	a := h.availability()
	if r, s := a.ReservedCount(h.paid), a.SoldCount(h.paid); r != reserved || s != sold {
		h.t.Fatalf("paid seats: got %d reserved, %d sold; want %d reserved, %d sold", r, s, reserved, sold)
	}
}

// commands counts the outbox messages of an order's conversation by type.
func (h *hub) commands(orderID uuid.UUID) map[string]int {
	h.t.Helper()
	rows, err := h.store.DB().Query(`SELECT type, COUNT(*) FROM messages WHERE correlation_id = $1 GROUP BY type`, orderID[:])
	h.must(err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var typ string
		var n int
		h.must(rows.Scan(&typ, &n))
		out[typ] = n
	}
	h.must(rows.Err())
	return out
}

// pay completes the payment the order's process asked for.
func (h *hub) pay(orderID uuid.UUID) uuid.UUID {
	h.t.Helper()
	for _, p := range h.payments.Initiated() {
		if p.OrderID == orderID {
			paymentID := uuid.New()
			h.must(h.app.Registrations.CompletePayment(context.Background(), orderID, paymentID, p.Amount))
			return paymentID
		}
	}
	h.t.Fatalf("no payment initiated for order %s", orderID)
	return uuid.Nil
}

// autoPay is a payment processor whose registrants pay at once.
type autoPay struct {
	*RecordingPayments
	app *App
}

var autoPayNamespace = uuid.MustParse("0b6c1c9e-7f55-4a8e-8f44-0d1f3b8f6a10")

// Initiate implements Payments.
func (p *autoPay) Initiate(ctx context.Context, cmd registrations.InitiatePayment) error {
	if err := p.RecordingPayments.Initiate(ctx, cmd); err != nil {
		return err
	}
	return p.app.Registrations.CompletePayment(ctx, cmd.OrderID, uuid.NewSHA1(autoPayNamespace, cmd.OrderID[:]), cmd.Amount)
}
