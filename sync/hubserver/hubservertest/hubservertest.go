// Package hubservertest starts a real hub sync endpoint for tests: a hub
// store on a SQLite file, the conference and kiosk registries, the real
// merge and scope rules, and the hubserver on a loopback httptest server.
// Kiosks pair with it over HTTP exactly as in production.
package hubservertest

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	confsqlite "conference/hub/conferences/sqlite"
	"conference/hub/kiosks"
	"conference/migrations"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
	"conference/shared/registrations"
	"conference/sync/digest"
	"conference/sync/hubserver"
	"conference/sync/merge"
	"conference/sync/merge/mergetest"
	"conference/sync/scope"
)

// Hub is a running hub sync endpoint.
type Hub struct {
	Store      *sqlitestore.Store
	Kiosks     *kiosks.Registry
	Server     *hubserver.Server
	HTTP       *httptest.Server
	URL        string
	Organizer  uuid.UUID
	Conference mergetest.Conference
	Merger     *Recorder
}

// Options tune the hub under test.
type Options struct {
	PingInterval time.Duration
	Configure    func(*hubserver.Config)
}

// Start opens a hub with one organizer and one conference (full pass 100
// seats, workshop 20) and serves sync on loopback until the test ends.
func Start(tb testing.TB, opts Options) *Hub {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlitestore.Open(ctx, filepath.Join(tb.TempDir(), "hub.db"), sqlitestore.Options{
		Synchronous: "NORMAL", Components: []migrations.Component{migrations.Hub, migrations.Kiosks}})
	if err != nil {
		tb.Fatalf("open hub store: %v", err)
	}
	confs := confsqlite.New(store)
	org, err := confs.CreateOrganizer(ctx, conferences.NewOrganizer{Email: "org@example.org", DisplayName: "Org"})
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	conf, err := confs.CreateConference(ctx, org.ID, conferences.ConferenceDetails{Slug: "gophercon", Name: "GopherCon",
		TimeZone: "Europe/Lisbon", StartsAt: start, EndsAt: start.Add(48 * time.Hour), Currency: "EUR"})
	if err != nil {
		tb.Fatal(err)
	}
	c := mergetest.Conference{ID: conf.ID, FullPass: ids.New(), Workshop: ids.New()}
	repo := eventsourcing.NewRepository(store, merge.Registry(), registrations.NewSeatsAvailability)
	if err := repo.Update(ctx, registrations.AvailabilityStreamID(c.ID), eventsourcing.Metadata{},
		func(a *registrations.SeatsAvailability) error {
			if err := a.AddSeatType(c.ID, c.FullPass, 100); err != nil {
				return err
			}
			return a.AddSeatType(c.ID, c.Workshop, 20)
		}); err != nil {
		tb.Fatal(err)
	}
	reg, err := kiosks.New(store.DB(), kiosks.Config{Conferences: confs})
	if err != nil {
		tb.Fatal(err)
	}
	rec := &Recorder{Merger: merge.New(store)}
	cfg := hubserver.Config{Kiosks: reg, Log: store, Pager: scope.New(store), Merger: rec,
		Allocations: merge.NewAllocations(store),
		Digest: func(ctx context.Context, q hubserver.DigestQuery) (map[string]string, error) {
			if !q.Cut {
				return digest.Compute(ctx, store, q.Conference)
			}
			return digest.ComputeCut(ctx, store, q.Conference, digest.KioskCut(q.Position, q.KioskID, q.UpSeq))
		},
		PingInterval: opts.PingInterval, PresenceEvery: 100 * time.Millisecond}
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	srv, err := hubserver.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tb.Cleanup(func() {
		srv.Close()
		hs.Close()
		store.Close()
	})
	return &Hub{Store: store, Kiosks: reg, Server: srv, HTTP: hs, URL: hs.URL, Organizer: org.ID, Conference: c, Merger: rec}
}

// NewKiosk creates a kiosk in the registry and returns its pairing code.
func (h *Hub) NewKiosk(tb testing.TB, name string) kiosks.Created {
	tb.Helper()
	k, err := h.Kiosks.CreateKiosk(context.Background(), h.Organizer, h.Conference.ID, name)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// Pair creates a kiosk and pairs it directly through the registry (tests
// of the HTTP pairing use kioskclient.Pair).
func (h *Hub) Pair(tb testing.TB, name string) kiosks.Pairing {
	tb.Helper()
	k := h.NewKiosk(tb, name)
	pub, _, _ := ed25519.GenerateKey(nil)
	p, err := h.Kiosks.Pair(context.Background(), k.PairingCode, pub)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Describe records the conference and its two seat types in the hub log
// as Conference Management's feed does, so kiosks can sell them: the full
// pass never sold at kiosks, the workshop with the given on-site policy.
func (h *Hub) Describe(tb testing.TB, workshop conferences.OnSitePolicy) {
	tb.Helper()
	c := h.Conference
	h.feed(tb, conferences.ConferenceCreated{ConferenceInfo: conferences.ConferenceInfo{
		ConferenceID: c.ID, Name: "GopherCon", Slug: "gophercon", Currency: "EUR", Published: true}})
	h.feed(tb, conferences.SeatTypeCreated{SeatTypeInfo: conferences.SeatTypeInfo{
		ConferenceID: c.ID, SeatType: c.FullPass, Name: "Full pass", Price: registrations.NewMoney(30000, "EUR"), Quota: 100}})
	h.feed(tb, conferences.SeatTypeCreated{SeatTypeInfo: h.workshop(workshop)})
}

// SetWorkshopPolicy records a change of the workshop's on-site policy, as
// the organizer editing the seat type does.
func (h *Hub) SetWorkshopPolicy(tb testing.TB, policy conferences.OnSitePolicy) {
	tb.Helper()
	h.feed(tb, conferences.SeatTypeUpdated{SeatTypeInfo: h.workshop(policy)})
}

func (h *Hub) workshop(policy conferences.OnSitePolicy) conferences.SeatTypeInfo {
	return conferences.SeatTypeInfo{ConferenceID: h.Conference.ID, SeatType: h.Conference.Workshop, Name: "Workshop",
		Price: registrations.NewMoney(4000, "EUR"), Quota: 20, OnSite: policy}
}

func (h *Hub) feed(tb testing.TB, e conferences.Event) {
	tb.Helper()
	data, err := json.Marshal(e)
	if err != nil {
		tb.Fatal(err)
	}
	stream := eventstore.Stream{ID: "conference-" + h.Conference.ID.String(), Type: "conferences.Conference"}
	if _, err := h.Store.Append(context.Background(), stream, eventstore.AnyVersion,
		[]eventstore.Event{{EventID: ids.New(), Type: e.EventType(), Schema: 1, Data: data}}); err != nil {
		tb.Fatalf("feed %s to the hub log: %v", e.EventType(), err)
	}
}

// OwnEvents counts the hub's events recorded by origin, and the distinct
// event ids among them.
func (h *Hub) OwnEvents(tb testing.TB, origin string) (events, distinct int) {
	tb.Helper()
	err := h.Store.DB().QueryRow(`SELECT count(*), count(DISTINCT event_id) FROM events WHERE origin = ?`, origin).Scan(&events, &distinct)
	if err != nil {
		tb.Fatal(err)
	}
	return events, distinct
}

// Head is the hub log's head.
func (h *Hub) Head(tb testing.TB) int64 {
	tb.Helper()
	head, err := h.Store.Head(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return head
}

// Recorder is the real merger, noting every batch it is handed, so tests
// can prove what was (not) resent.
type Recorder struct {
	*merge.Merger
	mu      sync.Mutex
	Batches []Batch
}

// Batch is one Accept call.
type Batch struct {
	KioskID     string
	First, Last int64
	AckedBefore int64
}

// Accept records the batch and merges it.
func (r *Recorder) Accept(ctx context.Context, kioskID string, batch []eventstore.Event) (int64, error) {
	before, _ := r.Merger.Acked(ctx, kioskID)
	if len(batch) > 0 {
		r.mu.Lock()
		r.Batches = append(r.Batches, Batch{KioskID: kioskID, First: batch[0].OriginSeq, Last: batch[len(batch)-1].OriginSeq, AckedBefore: before})
		r.mu.Unlock()
	}
	return r.Merger.Accept(ctx, kioskID, batch)
}

// Seen returns a copy of the batches recorded so far.
func (r *Recorder) Seen() []Batch {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Batch(nil), r.Batches...)
}

// Eventually polls cond every 10ms until it holds or timeout passes.
func Eventually(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
