package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/cluster"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/server"
	"conference/kiosk"
	"conference/shared/pgtest"
	"conference/sync/faultproxy"
)

// timing bounds one run; see timingFor.
type timing struct {
	chaos    time.Duration // how long the storm lasts
	hubPause time.Duration // mean pause of each online seller
	kPause   time.Duration // mean pause of each kiosk desk
	ready    time.Duration // a child must print "ready" within this
	quiet    time.Duration // actors must stop within this
	converge time.Duration // links healed, every node must agree within this
	stop     time.Duration // a child must exit cleanly within this of SIGTERM
}

// timingFor keeps the package under ~3 minutes for three seeds with -race
// on a loaded 2-core machine: the race detector makes every child several
// times slower, so the storm is shorter there.
func timingFor() timing {
	t := timing{chaos: 20 * time.Second, hubPause: 150 * time.Millisecond, kPause: 150 * time.Millisecond,
		ready: 60 * time.Second, quiet: 30 * time.Second, converge: 60 * time.Second, stop: 30 * time.Second}
	if raceBuild {
		t.chaos, t.hubPause, t.kPause = 12*time.Second, 250*time.Millisecond, 250*time.Millisecond
	}
	if testing.Short() {
		t.chaos = 6 * time.Second
	}
	return t
}

const kiosks = 3

// harness is one seed's run: the nodes, their proxies and what they said.
type harness struct {
	t      *testing.T
	seed   uint64
	rng    *rand.Rand
	timing timing
	dir    string

	// replicas > 0 runs that many hub processes on one PostgreSQL database
	// behind HAProxy, which the kiosks' proxies point at; 0 runs one hub
	// on a SQLite file.
	replicas int
	hubDB    string
	hubLns   []net.Listener
	hubs     []*proc
	haproxy  *cluster.HAProxy
	lbAddr   string
	kiosks   []*proc
	proxies  []*faultproxy.Proxy
	faults   []faultproxy.Faults
	fx       hubtest.Fixture
	kioskID  map[string]string // node name -> kiosk id (origin)

	mu     sync.Mutex
	acks   []ack
	failed error

	stats runStats
}

// runStats is what the storm did, for the log line of each seed.
type runStats struct {
	hubKills, kioskKills, partitions, cuts int
}

func (h *harness) addAck(a ack) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.acks = append(h.acks, a)
}

// fail records the first failure a background goroutine saw (a child that
// died on its own); the storm checks it and stops.
func (h *harness) fail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed == nil {
		h.failed = err
	}
}

func (h *harness) failure() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failed
}

func newHarness(t *testing.T, seed uint64, replicas int) *harness {
	h := &harness{t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, 0xc4a05)), timing: timingFor(), dir: t.TempDir(),
		kioskID: map[string]string{}, replicas: replicas}
	if keep := os.Getenv("CHAOS_KEEP"); keep != "" {
		// The databases outlive the test, for a look after a failure.
		h.dir = filepath.Join(keep, fmt.Sprintf("seed-%d-%d", seed, time.Now().Unix()))
		if err := os.MkdirAll(h.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Logf("databases kept in %s", h.dir)
	}
	t.Cleanup(h.cleanup)
	return h
}

// cleanup kills whatever is still running (a failed run) and closes the
// proxies and the hub's listener.
func (h *harness) cleanup() {
	for _, p := range h.all() {
		if p != nil {
			p.kill()
		}
	}
	if h.haproxy != nil {
		h.haproxy.Stop()
	}
	for _, p := range h.proxies {
		p.Close()
	}
	for _, ln := range h.hubLns {
		ln.Close()
	}
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// setup makes the hub database (a published conference whose workshop
// kiosks sell past their allocation, quota 10, allocation 2) and pairs
// the kiosks, in this process; then the hub's listener and one proxy per
// kiosk, the kiosks pointing at their proxies.
func (h *harness) setup() {
	t := h.t
	ctx := context.Background()
	var lnFiles []*os.File
	for range max(h.replicas, 1) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		f, err := ln.(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		h.hubLns, lnFiles = append(h.hubLns, ln), append(lnFiles, f)
	}
	// What the kiosks reach the hub through: its one listener, or HAProxy
	// in front of the replicas (started with them).
	h.lbAddr = h.hubLns[0].Addr().String()
	h.hubDB = filepath.Join(h.dir, "hub.db")
	if h.replicas > 0 {
		h.hubDB = pgtest.NewDatabase(t)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		h.lbAddr = l.Addr().String()
		l.Close()
	}
	hub, err := hubapp.Open(ctx, hubapp.Config{DB: h.hubDB, MailDir: filepath.Join(h.dir, "mail"), Logger: discard, BusPoll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopHub := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- hub.Run(runCtx) }()
	handler, err := server.New(hub)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(handler)
	h.fx = hubtest.PublishedConference(t, hub)
	h.sizeWorkshop(ctx, hub)

	for i := range kiosks {
		name := fmt.Sprintf("k%d", i+1)
		created, err := hub.Kiosks.CreateKiosk(ctx, h.fx.OrganizerID, h.fx.ConferenceID, "Door "+name)
		if err != nil {
			t.Fatal(err)
		}
		proxy, err := faultproxy.Start(h.lbAddr, faultproxy.Faults{}, h.seed*31+uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		h.proxies = append(h.proxies, proxy)
		h.faults = append(h.faults, faultproxy.Faults{})
		db := filepath.Join(h.dir, name+".db")
		h.kioskID[name] = pair(t, db, hs.URL, created.PairingCode, "http://"+proxy.Addr())
		h.kiosks = append(h.kiosks, &proc{h: h, cfg: h.childConfig("kiosk", name, db, uint64(i+1), h.timing.kPause)})
	}
	hs.Close()
	stopHub()
	if err := <-ran; err != nil {
		t.Fatalf("setup hub workers: %v", err)
	}
	if err := hub.Close(); err != nil {
		t.Fatalf("close setup hub: %v", err)
	}
	for i, f := range lnFiles {
		name := "hub"
		if h.replicas > 0 {
			name = fmt.Sprintf("hub%d", i+1)
		}
		h.hubs = append(h.hubs, &proc{h: h, cfg: h.childConfig("hub", name, h.hubDB, uint64(100+i), h.timing.hubPause), extra: []*os.File{f}})
	}
}

// sizeWorkshop gives the workshop a quota the desks sell through about
// halfway into the storm, so sales inside allocations and overflowing
// ones both happen whatever the storm's length.
func (h *harness) sizeWorkshop(ctx context.Context, hub *hubapp.Hub) {
	t := h.t
	quota := max(hubtest.WorkshopQuota, int(h.timing.chaos.Seconds()*1.5))
	list, err := hub.Conferences.ListSeatTypes(ctx, h.fx.OrganizerID, h.fx.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range list {
		if st.ID == h.fx.Workshop {
			d := st.SeatTypeDetails
			d.Quota = quota
			if _, err := hub.Conferences.UpdateSeatType(ctx, h.fx.OrganizerID, h.fx.ConferenceID, st.ID, d, hub.Sold); err != nil {
				t.Fatal(err)
			}
		}
	}
	hubtest.WaitForQuotas(t, hub, h.fx.ConferenceID, map[uuid.UUID]int{h.fx.Workshop: quota})
}

// pair pairs a fresh kiosk database with the hub, then points the kiosk at
// its proxy: every later connection goes through the faults.
func pair(t *testing.T, db, hubURL, code, proxyURL string) string {
	ctx := context.Background()
	k, err := kiosk.Open(ctx, kiosk.Config{Path: db, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	id, err := k.Pair(ctx, hubURL, code)
	if err != nil {
		t.Fatalf("pair %s: %v", db, err)
	}
	id.HubURL = proxyURL
	if err := k.SaveIdentity(ctx, id); err != nil {
		t.Fatalf("point %s at its proxy: %v", db, err)
	}
	return id.KioskID
}

func (h *harness) childConfig(role, name, db string, n uint64, pause time.Duration) childConfig {
	return childConfig{Role: role, Name: name, DB: db, MailDir: filepath.Join(h.dir, "mail"), Seed: h.seed*101 + n, Pause: pause,
		Organizer: h.fx.OrganizerID, Conference: h.fx.ConferenceID, Paid: h.fx.Paid, Free: h.fx.Free, Workshop: h.fx.Workshop}
}

func (h *harness) all() []*proc { return append(append([]*proc(nil), h.hubs...), h.kiosks...) }

// startAll starts the hub (or its replicas and HAProxy), then the kiosks,
// with their actors.
func (h *harness) startAll() error {
	for _, p := range h.hubs {
		if err := p.start(false); err != nil {
			return err
		}
	}
	if h.replicas > 0 {
		backends := make([]string, len(h.hubLns))
		for i, ln := range h.hubLns {
			backends[i] = ln.Addr().String()
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		hp, err := cluster.StartHAProxy(ctx, h.dir, h.lbAddr, backends)
		if err != nil {
			return err
		}
		h.haproxy = hp
	}
	for _, p := range h.kiosks {
		if err := p.start(false); err != nil {
			return err
		}
	}
	return nil
}

// storm runs the faults for the chaos phase while the actors act: fault
// settings changed, links cut, kiosks partitioned off, nodes SIGKILLed and
// restarted. It stops early when a child failed.
func (h *harness) storm() error {
	start := time.Now()
	end := start.Add(h.timing.chaos)
	for time.Now().Before(end) {
		if err := h.failure(); err != nil {
			return err
		}
		// Replicas: each is killed at least once, one third and two
		// thirds into the storm, whatever the dice say.
		if n := h.stats.hubKills; h.replicas > 0 && n < h.replicas && time.Since(start) > time.Duration(n+1)*h.timing.chaos/time.Duration(h.replicas+1) {
			if err := h.killHub(); err != nil {
				return err
			}
			continue
		}
		time.Sleep(time.Duration(200+h.rng.IntN(500)) * time.Millisecond)
		i := h.rng.IntN(kiosks)
		switch r := h.rng.Float64(); {
		case r < 0.25:
			h.faults[i] = faultproxy.Faults{
				MaxDelay:     time.Duration(h.rng.IntN(25)) * time.Millisecond,
				RefuseRate:   0.3 * h.rng.Float64(),
				MeanLifetime: time.Duration(300+h.rng.IntN(3000)) * time.Millisecond,
			}
			h.proxies[i].SetFaults(h.faults[i])
		case r < 0.40:
			h.proxies[i].CutAll()
		case r < 0.60:
			// One kiosk (sometimes all) offline for a while: it sells
			// and checks in on its own, the others go on online.
			cut := []int{i}
			if h.rng.IntN(4) == 0 {
				cut = []int{0, 1, 2}
			}
			for _, j := range cut {
				h.proxies[j].Partition()
			}
			h.stats.partitions++
			time.Sleep(time.Duration(300+h.rng.IntN(2500)) * time.Millisecond)
			for _, j := range cut {
				h.proxies[j].Heal()
				h.proxies[j].SetFaults(h.faults[j])
			}
		case r < 0.85:
			h.kiosks[i].kill()
			h.stats.kioskKills++
			time.Sleep(time.Duration(h.rng.IntN(300)) * time.Millisecond)
			if err := h.kiosks[i].start(false); err != nil {
				return err
			}
		default:
			if err := h.killHub(); err != nil {
				return err
			}
		}
	}
	return h.failure()
}

// killHub SIGKILLs a hub and starts it again after a moment. Replicas are
// killed in turn, so each is killed while the other serves.
func (h *harness) killHub() error {
	p := h.hubs[h.stats.hubKills%len(h.hubs)]
	p.kill()
	h.stats.hubKills++
	time.Sleep(time.Duration(h.rng.IntN(500)) * time.Millisecond)
	return p.start(false)
}

// quietDown stops every actor and heals every link.
func (h *harness) quietDown() error {
	for _, p := range h.all() {
		p.tellQuiet()
	}
	deadline := time.Now().Add(h.timing.quiet)
	for _, p := range h.all() {
		for !p.isQuiet() {
			if err := h.failure(); err != nil {
				return err
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s's actor did not stop within %s of being told\n%s", p.cfg.Name, h.timing.quiet, p.stderr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, p := range h.proxies {
		p.Heal()
	}
	return nil
}

// converge waits until every kiosk is online with nothing left to upload
// and reports the hub's digest, twice in a row with the hub's log still.
func (h *harness) converge() (time.Duration, error) {
	start := time.Now()
	deadline := start.Add(h.timing.converge)
	agreed := 0
	var lastHead int64 = -1
	for {
		if err := h.failure(); err != nil {
			return 0, err
		}
		why := h.disagreement(&lastHead)
		if why == nil {
			agreed++
			if agreed >= 3 {
				return time.Since(start), nil
			}
		} else {
			agreed = 0
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("nodes did not converge within %s of healing the links: %w", h.timing.converge, why)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// disagreement says what still differs between the nodes' reported
// states, nil when they agree.
func (h *harness) disagreement(lastHead *int64) error {
	var hs hubState
	var errs []error
	for i, p := range h.hubs {
		var s hubState
		if !p.lastState(&s) {
			return fmt.Errorf("%s has not reported its state yet", p.cfg.Name)
		}
		if i == 0 {
			hs = s
		} else if s.Head != hs.Head || digestDiff(s.Digest, hs.Digest) != "" {
			errs = append(errs, fmt.Errorf("replicas disagree: %s at head %d, %s at %d", h.hubs[0].cfg.Name, hs.Head, p.cfg.Name, s.Head))
		}
	}
	stable := hs.Head == *lastHead
	*lastHead = hs.Head
	if !stable {
		errs = append(errs, fmt.Errorf("hub log still moving (head %d)", hs.Head))
	}
	for _, p := range h.kiosks {
		var ks kioskState
		switch {
		case !p.lastState(&ks):
			errs = append(errs, fmt.Errorf("%s has not reported its state", p.cfg.Name))
		case !ks.Online:
			errs = append(errs, fmt.Errorf("%s is offline", p.cfg.Name))
		case ks.Pending > 0:
			errs = append(errs, fmt.Errorf("%s has %d events to upload", p.cfg.Name, ks.Pending))
		default:
			if diff := digestDiff(hs.Digest, ks.Digest); diff != "" {
				errs = append(errs, fmt.Errorf("%s (hub_seen %d of head %d) differs from the hub: %s", p.cfg.Name, ks.HubSeen, hs.Head, diff))
			}
		}
	}
	return errors.Join(errs...)
}

// stopAll stops the kiosks, then the hub, gracefully.
func (h *harness) stopAll() error {
	var errs []error
	for _, p := range h.kiosks {
		errs = append(errs, p.stop(h.timing.stop))
	}
	for _, p := range h.hubs {
		errs = append(errs, p.stop(h.timing.stop))
	}
	if h.haproxy != nil {
		h.haproxy.Stop()
		h.haproxy = nil
	}
	return errors.Join(errs...)
}
