package chaos

import (
	"conference/hub/cluster"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// defaultSeeds run in every `go test`; CHAOS_SEED=<n> runs that one only.
var defaultSeeds = []uint64{1, 2, 3}

// TestSyncChaos runs one hub and three kiosks as processes behind fault
// proxies while they sell and check in, SIGKILLs and restarts them, heals
// the links and checks every database against the sync rules: each
// kiosk event at the hub exactly once, equal digests, conflicts exactly
// for the overflow, every acknowledged action kept, duplicate check-ins
// warned about.
func TestSyncChaos(t *testing.T) {
	seeds := defaultSeeds
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED=%q is not a number", s)
		}
		seeds = []uint64{n}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("replay this run: CHAOS_SEED=%d go test -race -count=1 -run TestSyncChaos -v ./sync/chaos/", seed)
				}
			})
			runSeed(t, seed, 0)
		})
	}
}

// TestReplicaFailover runs the same storm against a hub of two replicas on
// PostgreSQL behind HAProxy (issue 16): the kiosks reach the hub through
// HAProxy, registrants order and pay on both replicas, and each replica in
// turn is SIGKILLed and restarted while the other serves. The same rules
// are checked at the end, and the shared log must have no skipped or
// duplicated position.
func TestReplicaFailover(t *testing.T) {
	cluster.RequireHAProxy(t)
	seed := uint64(1)
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED=%q is not a number", s)
		}
		seed = n
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay this run: CHAOS_SEED=%d go test -race -count=1 -run TestReplicaFailover -v ./sync/chaos/", seed)
		}
	})
	runSeed(t, seed, 2)
}

func runSeed(t *testing.T, seed uint64, replicas int) {
	start := time.Now()
	h := newHarness(t, seed, replicas)
	h.setup()
	if err := h.startAll(); err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := h.storm(); err != nil {
		t.Fatalf("during the storm: %v", err)
	}
	if err := h.quietDown(); err != nil {
		t.Fatalf("quiet down: %v", err)
	}
	took, err := h.converge()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.stopAll(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	v, err := h.verify(context.Background())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var cuts, refused int
	for _, p := range h.proxies {
		s := p.Stats()
		cuts, refused = cuts+s.Cut, refused+s.Refused
	}
	t.Logf("seed %d in %s (converged %s after healing): kills hub %d kiosks %d, partitions %d, cuts %d, refused %d; "+
		"events hub %d kiosks %d; acks %v; walk-ups %d (certain %d, past allocation %d); overflowing sales %d, conflicts %d; "+
		"check-ins %d, attendees checked in on 2+ kiosks %d, duplicate warnings %d",
		seed, time.Since(start).Round(time.Millisecond), took.Round(time.Millisecond), h.stats.hubKills, h.stats.kioskKills,
		h.stats.partitions, cuts, refused, v.hubEvents, v.kioskEvents, v.acks, v.walkUps, v.certain, v.pastAllocation,
		v.overflowSales, v.conflicts, v.checkIns, v.sharedAttendees, v.duplicates)
	if len(v.problems) > 0 {
		t.Fatalf("seed %d broke %d sync rules:\n  %s", seed, len(v.problems), strings.Join(v.problems, "\n  "))
	}
	// A run where nothing happened proves nothing.
	if v.walkUps == 0 || v.acks["checkin"] == 0 || v.acks["assign"] == 0 || h.stats.kioskKills+h.stats.hubKills == 0 {
		t.Fatalf("seed %d did too little to prove anything: %d walk-ups, acks %v, %d kills", seed, v.walkUps, v.acks, h.stats.kioskKills+h.stats.hubKills)
	}
	if replicas > 0 && h.stats.hubKills < replicas {
		t.Fatalf("seed %d killed %d replicas of %d: every one must be killed once", seed, h.stats.hubKills, replicas)
	}
}
