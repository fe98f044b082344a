package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/kiosk/kiosktest"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/registrations"
	"conference/sync/venuefile"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func noEnv(string) string { return "" }

var conf = uuid.MustParse("00000000-0000-0000-0000-00000000c0f1")

func paired(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "kiosk.db")
	keys, err := kiosktest.NewKeys("k1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := kiosktest.Pair(context.Background(), db, "k1", conf, keys); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestServeAnswersHealthzAndStopsGracefully(t *testing.T) {
	db := paired(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan error, 1)
	env := func(k string) string {
		return map[string]string{"KIOSK_DB": db, "KIOSK_ADDR": "127.0.0.1:0", "KIOSK_LOG_LEVEL": "warn"}[k]
	}
	go func() { done <- run(ctx, []string{"serve"}, env, &out, &errs) }()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("kiosk did not start: %s %s", out.String(), errs.String())
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("kiosk listens on %s, want localhost", url)
	}
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestBadCommandLinesAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"fly"}, {"serve", "--nope"}, {"export-log", "--db", "x.db"}, {"load"}, {"status", "extra"}} {
		err := run(context.Background(), args, noEnv, &bytes.Buffer{}, &bytes.Buffer{})
		if !errors.Is(err, errUsage) || exitCode(err) != 2 {
			t.Errorf("%q: %v", args, err)
		}
	}
}

func TestLoadStatusAndExportLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// A hub store with a small conference, exported to a venue file.
	hubStore, err := sqlitestore.Open(ctx, filepath.Join(dir, "hub.db"), sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	hub := kiosktest.NewHub(hubStore, 0)
	must(t, hub.Conference(ctx, conf, "Venue Conf"))
	st := uuid.New()
	must(t, hub.SeatType(ctx, conf, st, "Pass", 100, 10, kioskPolicy()))
	_, err = hub.ConfirmedOrder(ctx, conf, st, registrations.Attendee{Name: "Ada Lovelace", Email: "ada@example.org"},
		[]registrations.Attendee{{Name: "Ada Lovelace", Email: "ada@example.org"}})
	must(t, err)
	venue := filepath.Join(dir, "venue.jsonl")
	f, err := os.Create(venue)
	must(t, err)
	must(t, venuefile.Export(ctx, hubStore, conf, f))
	must(t, f.Close())
	must(t, hubStore.Close())

	db := paired(t)
	var out, errs bytes.Buffer
	must(t, run(ctx, []string{"load", "--db", db, venue}, noEnv, &out, &errs))
	if !strings.Contains(out.String(), "1 attendees") {
		t.Fatalf("load said %q %q", out.String(), errs.String())
	}
	out.Reset()
	must(t, run(ctx, []string{"status", "--db", db}, noEnv, &out, &errs))
	if !strings.Contains(out.String(), "kiosk:           k1") || !strings.Contains(out.String(), "attendees:       1") {
		t.Fatalf("status:\n%s", out.String())
	}
	logFile := filepath.Join(dir, "log.jsonl")
	out.Reset()
	must(t, run(ctx, []string{"export-log", "--db", db, "--out", logFile}, noEnv, &out, &errs))
	body, err := os.ReadFile(logFile)
	must(t, err)
	if lines := strings.Count(string(body), "\n"); lines < 5 || !strings.Contains(string(body), "Ada Lovelace") {
		t.Fatalf("%d lines exported", lines)
	}
	// A truncated venue file is refused and changes nothing.
	bad := filepath.Join(dir, "bad.jsonl")
	whole, _ := os.ReadFile(venue)
	must(t, os.WriteFile(bad, whole[:len(whole)/2], 0o644))
	if err := run(ctx, []string{"load", "--db", db, bad}, noEnv, &out, &errs); !errors.Is(err, venuefile.ErrBadFile) {
		t.Fatalf("truncated file: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func kioskPolicy() conferencesOnSite {
	return conferencesOnSite{SellableAtKiosks: true, KioskAllocationSize: 1}
}

type conferencesOnSite = conferences.OnSitePolicy
