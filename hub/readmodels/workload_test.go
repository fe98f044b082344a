package readmodels_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	confsqlite "conference/hub/conferences/sqlite"
	"conference/hub/readmodels"
	registrationsapp "conference/hub/registrations"
	"conference/migrations"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore/backendtest"
	"conference/shared/ids"
	"conference/shared/messaging"
	"conference/shared/registrations"
)

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

// hub wires the real services on one SQLite file, the way the hub does:
// conference management, the registrations app with its process manager
// and bus, and the read models following the log between steps.
type hub struct {
	t        *testing.T
	ctx      context.Context
	clock    *clock
	store    backendtest.Store
	confs    *confsqlite.Service
	catalog  *registrationsapp.MemoryCatalog
	payments *registrationsapp.RecordingPayments
	app      *registrationsapp.App
	bus      *messaging.Bus
	models   *readmodels.Models

	assignments *eventsourcing.Repository[*registrations.SeatAssignments]
	waitlists   *eventsourcing.Repository[*registrations.Waitlist]
	promos      *eventsourcing.Repository[*registrations.PromoCodeUsage]
}

func newHub(t *testing.T) *hub {
	t.Helper()
	h := &hub{t: t, ctx: context.Background(), clock: &clock{now: time.Now().UTC().Truncate(time.Millisecond)},
		catalog: registrationsapp.NewMemoryCatalog(), payments: &registrationsapp.RecordingPayments{}}
	s := backendtest.Open(t, backendtest.Options{Now: h.clock.Now, Components: []migrations.Component{migrations.Hub}})
	var err error
	h.store = s
	h.confs = confsqlite.New(s)
	h.confs.Now = h.clock.Now
	h.app, err = registrationsapp.New(registrationsapp.Config{Store: s, Catalog: h.catalog, Payments: h.payments,
		Checkpoints: registrationsapp.SQLiteCheckpoints{Store: s}, Now: h.clock.Now})
	h.must(err)
	h.bus = messaging.New(s, messaging.Options{MaxAttempts: 5, Backoff: func(int) time.Duration { return 0 }, Now: h.clock.Now})
	h.must(h.app.RegisterHandlers(h.bus))
	// A small page makes the live models apply the log in many batches.
	h.models, err = readmodels.New(s, readmodels.Options{PageSize: 17, Now: h.clock.Now})
	h.must(err)
	reg := h.app.Events()
	h.assignments = eventsourcing.NewRepository(s, reg, registrations.NewSeatAssignments)
	h.waitlists = eventsourcing.NewRepository(s, reg, registrations.NewWaitlist)
	h.promos = eventsourcing.NewRepository(s, reg, registrations.NewPromoCodeUsage)
	return h
}

func (h *hub) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

// settle runs the process manager, the bus and the read models until
// none has work left.
func (h *hub) settle() {
	h.t.Helper()
	for range 500 {
		n, err := h.app.Process.Step(h.ctx)
		h.must(err)
		d, err := h.bus.DispatchDue(h.ctx)
		h.must(err)
		h.must(h.models.CatchUp(h.ctx))
		if n == 0 && d == 0 {
			return
		}
	}
	h.t.Fatal("hub did not settle")
}

// conference is one conference as the test set it up.
type conference struct {
	id                   uuid.UUID
	full, workshop, free uuid.UUID
	quotas               map[uuid.UUID]int
}

var early = registrations.PromoCode{Code: "EARLY", Kind: registrations.DiscountPercentage, Percent: 20}

func (h *hub) conference(organizer uuid.UUID, slug string) conference {
	h.t.Helper()
	start := time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC)
	c, err := h.confs.CreateConference(h.ctx, organizer, conferences.ConferenceDetails{Slug: slug, Name: "Conf " + slug,
		Tagline: "All about " + slug, Venue: "Centro", TimeZone: "Europe/Lisbon", StartsAt: start, EndsAt: start.Add(48 * time.Hour), Currency: "EUR"})
	h.must(err)
	out := conference{id: c.ID, quotas: map[uuid.UUID]int{}}
	var prices []registrations.SeatPrice
	for _, st := range []struct {
		dst   *uuid.UUID
		name  string
		price int64
		quota int
	}{{&out.full, "Full pass", 10000, 20}, {&out.workshop, "Workshop", 5000, 3}, {&out.free, "Social", 0, 50}} {
		s, err := h.confs.AddSeatType(h.ctx, organizer, c.ID, conferences.SeatTypeDetails{Name: st.name, Price: registrations.NewMoney(st.price, "EUR"), Quota: st.quota})
		h.must(err)
		*st.dst = s.ID
		out.quotas[s.ID] = st.quota
		prices = append(prices, registrations.SeatPrice{SeatType: s.ID, Price: s.Price})
		// What the hub's consumer of conferences.SeatTypeCreated does.
		h.must(h.app.Registrations.SetSeatQuota(h.ctx, c.ID, s.ID, st.quota))
	}
	h.catalog.Set(c.ID, registrationsapp.Offer{Prices: prices, PromoCodes: []registrations.PromoCode{early}, ReservationWindow: c.ReservationWindow})
	_, err = h.confs.Publish(h.ctx, organizer, c.ID)
	h.must(err)
	return out
}

// place places an order whose registrant gives their details at once.
func (h *hub) place(c conference, s registrations.Seats, promo string) uuid.UUID {
	h.t.Helper()
	id := h.placeUnnamed(c, s, promo)
	h.must(h.app.Registrations.SetRegistrant(h.ctx, id, "Reg "+id.String()[:8], "reg-"+id.String()[:8]+"@example.org"))
	return id
}

// placeUnnamed places an order whose registrant never gives their details:
// its seats are held until it expires.
func (h *hub) placeUnnamed(c conference, s registrations.Seats, promo string) uuid.UUID {
	h.t.Helper()
	placed, err := h.app.Registrations.PlaceOrder(h.ctx, c.id, s, promo, h.clock.Now())
	h.must(err)
	return placed.OrderID
}

func (h *hub) pay(orderID uuid.UUID) {
	h.t.Helper()
	for _, p := range h.payments.Initiated() {
		if p.OrderID == orderID {
			h.must(h.app.Registrations.CompletePayment(h.ctx, orderID, ids.New(), p.Amount))
			return
		}
	}
	h.t.Fatalf("no payment initiated for order %s", orderID)
}

func seats(seatType uuid.UUID, n int) registrations.Seats {
	return registrations.Seats{{SeatType: seatType, Quantity: n}}
}

func (h *hub) assign(c conference, orderID uuid.UUID, attendees ...registrations.Attendee) {
	h.t.Helper()
	o, err := h.app.Registrations.GetOrder(h.ctx, orderID)
	h.must(err)
	h.must(h.assignments.Update(h.ctx, registrations.AssignmentsStreamID(orderID), eventsourcing.Metadata{}, func(a *registrations.SeatAssignments) error {
		if a.Version() == 0 {
			if err := a.Create(orderID, c.id, o.Reserved); err != nil {
				return err
			}
		}
		for i, at := range attendees {
			if err := a.AssignSeat(i, at); err != nil {
				return err
			}
		}
		return nil
	}))
}

// workload drives several conferences through every kind of order life,
// with assignments, waitlists, promo codes and organizer edits.
type workload struct {
	confs     []conference
	orders    []uuid.UUID
	partial   uuid.UUID
	confirmed uuid.UUID
	cancelled uuid.UUID
	expired   uuid.UUID
	entries   [3]uuid.UUID
}

func run(h *hub) workload {
	var w workload
	org, err := h.confs.CreateOrganizer(h.ctx, conferences.NewOrganizer{Email: "org@example.org", DisplayName: "Org"})
	h.must(err)
	for i := range 3 {
		w.confs = append(w.confs, h.conference(org.ID, fmt.Sprintf("conf-%d", i)))
	}
	h.settle()
	for ci, c := range w.confs {
		var paid, unpaid []uuid.UUID
		for i := range 6 {
			promo := ""
			if i%2 == 0 {
				promo = "early"
			}
			place := h.place
			if i == 5 {
				place = h.placeUnnamed
			}
			id := place(c, seats(c.full, 1+i%3), promo)
			if i < 4 {
				paid = append(paid, id)
			} else {
				unpaid = append(unpaid, id)
			}
		}
		// Placed together, all three pass the seats-left check; reserved
		// in turn, the second gets the one seat left and the third none.
		ws1 := h.place(c, seats(c.workshop, 2), "")
		partial := h.place(c, seats(c.workshop, 2), "")
		rejected := h.place(c, seats(c.workshop, 1), "")
		h.settle()
		free := h.place(c, registrations.Seats{{SeatType: c.free, Quantity: 2}}, "")
		h.settle()
		for _, id := range append(paid, ws1, partial) {
			h.pay(id)
		}
		h.settle()
		_ = rejected

		// Unpaid orders expire; their promo use is given back.
		h.clock.Advance(registrations.DefaultReservationWindow + time.Minute)
		h.settle()
		for _, id := range unpaid {
			o, err := h.app.Registrations.GetOrder(h.ctx, id)
			h.must(err)
			if o.Quote.PromoCode != "" {
				h.must(h.promos.Update(h.ctx, registrations.PromoUsageStreamID(c.id, o.Quote.PromoCode), eventsourcing.Metadata{},
					func(u *registrations.PromoCodeUsage) error { return u.Release(id) }))
			}
		}

		// A confirmed order is cancelled (its sold seats come back), and
		// one placed now is cancelled while reserved.
		h.must(h.app.Registrations.CancelOrder(h.ctx, paid[3], "changed plans"))
		late := h.place(c, seats(c.full, 1), "")
		h.settle()
		h.must(h.app.Registrations.CancelOrder(h.ctx, late, "mistake"))
		h.settle()

		ada := registrations.Attendee{Name: fmt.Sprintf("Ada %d", ci), Email: fmt.Sprintf("ada%d@example.org", ci), Company: "Analytical"}
		bob := registrations.Attendee{Name: fmt.Sprintf("Bob %d", ci), Email: fmt.Sprintf("bob%d@example.org", ci)}
		eve := registrations.Attendee{Name: fmt.Sprintf("Eve %d", ci), Email: fmt.Sprintf("eve%d@example.org", ci)}
		h.assign(c, paid[1], ada, bob)
		h.assign(c, paid[1], eve)                                                     // reassigns position 0
		h.assign(c, free, registrations.Attendee{Name: "Zed", Email: bob.Email}, bob) // position 0, then 1
		h.assign(c, paid[3], ada)                                                     // cancelled order: not an attendee

		// Waitlist for the sold-out workshop.
		var entries [3]uuid.UUID
		for i := range entries {
			entries[i] = ids.New()
			h.must(h.waitlists.Update(h.ctx, registrations.WaitlistStreamID(c.id), eventsourcing.Metadata{}, func(wl *registrations.Waitlist) error {
				return wl.Join(c.id, entries[i], fmt.Sprintf("Waiter %d", i), fmt.Sprintf("w%d-%d@example.org", ci, i), c.workshop, 1, h.clock.Now())
			}))
		}
		h.must(h.waitlists.Update(h.ctx, registrations.WaitlistStreamID(c.id), eventsourcing.Metadata{}, func(wl *registrations.Waitlist) error {
			if _, err := wl.OfferSeats(c.workshop, 1, time.Hour, h.clock.Now()); err != nil {
				return err
			}
			if err := wl.AcceptOffer(entries[0], h.clock.Now()); err != nil {
				return err
			}
			_, err := wl.Leave(entries[1], h.clock.Now())
			return err
		}))

		// The organizer raises the workshop quota.
		st, err := h.confs.UpdateSeatType(h.ctx, org.ID, c.id, c.workshop, conferences.SeatTypeDetails{Name: "Workshop A", Price: registrations.NewMoney(5000, "EUR"), Quota: 5}, nil)
		h.must(err)
		h.must(h.app.Registrations.SetSeatQuota(h.ctx, c.id, c.workshop, st.Quota))
		h.settle()

		w.orders = append(w.orders, paid...)
		w.orders = append(w.orders, unpaid...)
		w.orders = append(w.orders, ws1, partial, rejected, free, late)
		if ci == 0 {
			w.partial, w.confirmed, w.cancelled, w.expired, w.entries = partial, paid[1], paid[3], unpaid[0], entries
		}
	}
	// The organizer renames the first conference and hides the last.
	c0, err := h.confs.GetConference(h.ctx, org.ID, w.confs[0].id)
	h.must(err)
	d := c0.ConferenceDetails
	d.Name = "Renamed conference"
	_, err = h.confs.UpdateConference(h.ctx, org.ID, w.confs[0].id, d)
	h.must(err)
	_, err = h.confs.Unpublish(h.ctx, org.ID, w.confs[2].id)
	h.must(err)
	h.settle()
	return w
}

func TestLiveModelsMatchTheDomainAndEqualARebuild(t *testing.T) {
	h := newHub(t)
	w := run(h)
	ctx := h.ctx
	m := h.models

	// Every order as the Order aggregate sees it.
	for _, id := range w.orders {
		want, err := h.app.Registrations.GetOrder(ctx, id)
		h.must(err)
		got, err := m.Order(ctx, id)
		h.must(err)
		if got.Status != want.Status || !got.Reserved.Equal(want.Reserved) || got.Total != want.Quote.Total ||
			got.Partial != want.Partial || got.AccessCode != want.AccessCode || got.PaymentPending != want.PaymentPending {
			t.Fatalf("order %s: read model %+v, aggregate %+v", id, got, want)
		}
	}
	// Every seat type as SeatsAvailability sees it.
	for _, c := range w.confs {
		a, err := h.app.Registrations.Availability(ctx, c.id)
		h.must(err)
		list, err := m.SeatTypes(ctx, c.id)
		h.must(err)
		if len(list) != 3 || list[0].SeatTypeID != c.full || list[1].Name != "Workshop A" || list[2].Name != "Social" {
			t.Fatalf("seat types of %s: got %+v", c.id, list)
		}
		for _, v := range list {
			if v.Quota != a.Quota(v.SeatTypeID) || v.Reserved != a.ReservedCount(v.SeatTypeID) || v.Sold != a.SoldCount(v.SeatTypeID) ||
				v.Remaining != a.Remaining(v.SeatTypeID) {
				t.Fatalf("seat type %s: read model %+v, availability quota %d reserved %d sold %d remaining %d", v.Name, v,
					a.Quota(v.SeatTypeID), a.ReservedCount(v.SeatTypeID), a.SoldCount(v.SeatTypeID), a.Remaining(v.SeatTypeID))
			}
		}
	}
	c0 := w.confs[0]
	if o, _ := m.Order(ctx, w.partial); !o.Partial || o.Status != registrations.OrderStatusConfirmed || o.Reserved.Get(c0.workshop) != 1 || o.Total.Amount != 5000 {
		t.Fatalf("partially reserved order: got %+v", o)
	}
	if o, _ := m.Order(ctx, w.expired); o.Status != registrations.OrderStatusExpired || o.ExpiresAt.IsZero() {
		t.Fatalf("expired order: got %+v", o)
	}
	att, err := m.Attendees(ctx, c0.id, "", 0, 0)
	h.must(err)
	var names []string
	for _, a := range att {
		names = append(names, a.Name)
	}
	if want := []string{"Bob 0", "Bob 0", "Eve 0", "Zed"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("attendees of the first conference: got %v, want %v", names, want)
	}
	if seatsOf, _ := m.OrderSeats(ctx, w.confirmed); len(seatsOf) != 2 || seatsOf[0].Attendee.Name != "Eve 0" || seatsOf[0].SeatTypeName != "Full pass" {
		t.Fatalf("seats of a confirmed order: got %+v", seatsOf)
	}
	if cancelled, _ := m.Orders(ctx, c0.id, readmodels.OrdersFilter{Status: registrations.OrderStatusCancelled}); len(cancelled) != 2 {
		t.Fatalf("cancelled orders of the first conference: got %d, want 2", len(cancelled))
	}
	wl, err := m.Waitlist(ctx, c0.id)
	h.must(err)
	if len(wl) != 3 || wl[0].Status != registrations.WaitlistAccepted || wl[1].Status != registrations.WaitlistGone || wl[2].Place != 1 {
		t.Fatalf("waitlist: got %+v", wl)
	}
	promo, err := m.PromoCodeUse(ctx, c0.id)
	h.must(err)
	// Orders 0 and 2 (paid, confirmed) and 4 (unpaid, expired, its use
	// released) used EARLY.
	if len(promo) != 1 || promo[0].Code != "EARLY" || promo[0].Uses != 2 || promo[0].Released != 1 || promo[0].ConfirmedOrders != 2 {
		t.Fatalf("promo code use: got %+v", promo)
	}
	pub, err := m.PublishedConferences(ctx)
	h.must(err)
	if len(pub) != 2 || pub[0].Name != "Renamed conference" && pub[1].Name != "Renamed conference" {
		t.Fatalf("published conferences: got %+v", pub)
	}

	live, err := m.Digest(ctx)
	h.must(err)
	liveSeats := map[uuid.UUID][]readmodels.SeatTypeView{}
	for _, c := range w.confs {
		liveSeats[c.id], _ = m.SeatTypes(ctx, c.id)
	}

	var calls []int64
	defer readmodels.SetRebuildSizes(16, 32)()
	h.must(readmodels.Rebuild(ctx, h.store, func(done, total int64) { calls = append(calls, done) }))
	if len(calls) < 10 || calls[len(calls)-1] != m.Position() {
		t.Fatalf("progress: got %v, want it to end at %d", calls, m.Position())
	}
	rebuilt, err := readmodels.New(h.store, readmodels.Options{})
	h.must(err)
	h.must(rebuilt.CatchUp(ctx))
	again, err := rebuilt.Digest(ctx)
	h.must(err)
	if len(live) != 11 || !reflect.DeepEqual(live, again) {
		t.Fatalf("digests differ:\nlive    %v\nrebuilt %v", live, again)
	}
	for _, c := range w.confs {
		if got, _ := rebuilt.SeatTypes(ctx, c.id); !reflect.DeepEqual(got, liveSeats[c.id]) {
			t.Fatalf("rebuilt seat types of %s: got %+v, want %+v", c.id, got, liveSeats[c.id])
		}
	}
	if o, _ := rebuilt.Order(ctx, w.cancelled); o.Status != registrations.OrderStatusCancelled {
		t.Fatalf("rebuilt cancelled order: got %+v", o)
	}
}

func TestAFailedRebuildLeavesTheModelsAsTheyWere(t *testing.T) {
	h := newHub(t)
	run(h)
	live, err := h.models.Digest(h.ctx)
	h.must(err)

	// Given a rebuild stopped after some chunks were handed to its writer,
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	defer readmodels.SetRebuildSizes(16, 32)()
	err = readmodels.Rebuild(ctx, h.store, func(done, total int64) {
		if done >= 4*32 {
			cancel()
		}
	})
	if err == nil {
		t.Fatal("rebuild with a cancelled context: got no error")
	}

	// then the tables and checkpoints are the ones from before.
	after, err := readmodels.New(h.store, readmodels.Options{})
	h.must(err)
	if got, want := after.Position(), h.models.Position(); got != want {
		t.Fatalf("checkpoint after the failed rebuild: got %d, want %d", got, want)
	}
	again, err := after.Digest(h.ctx)
	h.must(err)
	if !reflect.DeepEqual(live, again) {
		t.Fatalf("digests differ:\nbefore %v\nafter  %v", live, again)
	}
}
