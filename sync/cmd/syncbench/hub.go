package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
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
	"conference/sync/hubserver"
	"conference/sync/merge"
	"conference/sync/scope"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// hub is a hub with one organizer and one conference, serving sync.
type hub struct {
	store      *sqlitestore.Store
	reg        *kiosks.Registry
	confs      *confsqlite.Service
	srv        *hubserver.Server
	http       *http.Server
	url        string
	organizer  uuid.UUID
	conference uuid.UUID
	seatType   uuid.UUID
	mergeTime  atomic.Int64 // nanoseconds spent in Merger.Accept
}

// timedMerger measures how much of an upload the merge rules take, to
// tell the transport's share from theirs.
type timedMerger struct {
	*merge.Merger
	spent *atomic.Int64
}

func (m *timedMerger) Accept(ctx context.Context, kioskID string, batch []eventstore.Event) (int64, error) {
	start := time.Now()
	defer func() { m.spent.Add(int64(time.Since(start))) }()
	return m.Merger.Accept(ctx, kioskID, batch)
}

func openHubStore(ctx context.Context, dir string) (*sqlitestore.Store, error) {
	return sqlitestore.Open(ctx, filepath.Join(dir, "hub.db"), sqlitestore.Options{Logger: quiet, Synchronous: os.Getenv("SYNCBENCH_HUB_SYNC"),
		Components: []migrations.Component{migrations.Hub, migrations.Kiosks}})
}

// setupHub creates the hub database: organizer, conference, seat types.
func setupHub(ctx context.Context, dir string) (*hub, error) {
	store, err := openHubStore(ctx, dir)
	if err != nil {
		return nil, err
	}
	h := &hub{store: store, confs: confsqlite.New(store)}
	org, err := h.confs.CreateOrganizer(ctx, conferences.NewOrganizer{Email: "bench@example.org", DisplayName: "Bench"})
	if err != nil {
		return nil, err
	}
	start := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	conf, err := h.confs.CreateConference(ctx, org.ID, conferences.ConferenceDetails{Slug: "benchcon", Name: "BenchCon",
		TimeZone: "Europe/Lisbon", StartsAt: start, EndsAt: start.Add(48 * time.Hour), Currency: "EUR"})
	if err != nil {
		return nil, err
	}
	h.organizer, h.conference, h.seatType = org.ID, conf.ID, ids.New()
	repo := eventsourcing.NewRepository(store, merge.Registry(), registrations.NewSeatsAvailability)
	if err := repo.Update(ctx, registrations.AvailabilityStreamID(conf.ID), eventsourcing.Metadata{},
		func(a *registrations.SeatsAvailability) error { return a.AddSeatType(conf.ID, h.seatType, 100_000) }); err != nil {
		return nil, err
	}
	if err := h.openRegistry(); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *hub) openRegistry() error {
	reg, err := kiosks.New(h.store.DB(), kiosks.Config{Conferences: h.confs})
	h.reg = reg
	return err
}

// pair creates and pairs a kiosk, returning its id and credential.
func (h *hub) pair(ctx context.Context, name string) (string, string, error) {
	k, err := h.reg.CreateKiosk(ctx, h.organizer, h.conference, name)
	if err != nil {
		return "", "", err
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	p, err := h.reg.Pair(ctx, k.PairingCode, pub)
	if err != nil {
		return "", "", err
	}
	return p.Kiosk.KioskID, p.Credential, nil
}

// serve starts the sync endpoint on a loopback port.
func (h *hub) serve(ping time.Duration) error {
	srv, err := hubserver.New(hubserver.Config{Kiosks: h.reg, Log: h.store, Pager: scope.New(h.store, scope.WithLogger(quiet)),
		Merger: &timedMerger{Merger: merge.New(h.store, merge.WithLogger(quiet)), spent: &h.mergeTime}, Allocations: merge.NewAllocations(h.store),
		PingInterval: ping, Logger: quiet})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	h.srv, h.http, h.url = srv, &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}, "http://"+ln.Addr().String()
	go h.http.Serve(ln) //nolint:errcheck // ends with close
	return nil
}

func (h *hub) close() {
	if h.srv != nil {
		h.srv.Close()
		h.http.Close()
	}
	h.store.Close()
}

func fail(what string, err error) {
	if err != nil {
		panic(fmt.Sprintf("syncbench: %s: %v", what, err))
	}
}
