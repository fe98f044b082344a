package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"conference/hub/hubapp"
	"conference/shared/eventstore/backendtest"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/sqldb"
	"conference/sync/venuefile"
)

// serveDemo runs `hub serve --demo` and returns the lines it printed
// before the demo block ended, and a stop function.
func serveDemo(t *testing.T, db string) ([]string, func()) {
	t.Helper()
	mailDir := t.TempDir() // on PostgreSQL the default is under the working directory
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--log-level", "warn", "--mail-dir", mailDir},
			func(k string) string { return map[string]string{"HUB_DEMO": "true"}[k] }, pw, io.Discard)
		pw.Close()
	}()
	var lines []string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), "promo code:") || strings.Contains(sc.Text(), "not seeded") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	stop := func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("hub did not stop")
		}
	}
	return lines, stop
}

func field(lines []string, label string) string {
	for _, l := range lines {
		if _, rest, ok := strings.Cut(l, label); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

func TestServeDemoSeedsAndPrintsHowToUseIt(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hub.db")
	lines, stop := serveDemo(t, db)
	site := field(lines, "registrant site:")
	signin := field(lines, "organizer sign-in:")
	apiLine := field(lines, "JSON API:")
	if !strings.HasSuffix(site, "/c/demo") || !strings.Contains(signin, "demo@example.com") ||
		!strings.Contains(signin, "password demo-password") || !strings.Contains(apiLine, "/api/v1") {
		t.Fatalf("got %q, want the site, sign-in and API URLs", lines)
	}
	_, token, _ := strings.Cut(apiLine, "Bearer ")
	token = strings.TrimSuffix(token, ")")
	base, _, _ := strings.Cut(apiLine, " ")

	resp, err := http.Get(site)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got %d, want 200", site, resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/organizer/conferences", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"demo"`) {
		t.Fatalf("GET organizer conferences with the demo token: got %d %s, want the demo conference", resp.StatusCode, body)
	}
	stop()

	// A restart keeps the one demo conference and prints a working token again.
	lines, stop = serveDemo(t, db)
	defer stop()
	if field(lines, "registrant site:") == "" {
		t.Fatalf("got %q after a restart, want the demo printed again", lines)
	}
}

func TestRebuildPrintsProgressAndRefusesARunningHub(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, b *backendtest.Backend) {
		db := b.URL(t)
		lines, stop := serveDemo(t, db)
		if b.Name == sqldb.Postgres {
			waitForLease(t, lines, hubapp.ReadModelsLease)
		}
		err := run(context.Background(), []string{"rebuild", "--db", db}, noEnv, io.Discard, io.Discard)
		switch b.Name {
		case sqldb.SQLite: // the running hub holds the file's lock
			if !errors.Is(err, sqlitestore.ErrLocked) {
				t.Fatalf("got %v, want ErrLocked while the hub runs", err)
			}
		default: // a replica holds the read models' lease
			if err == nil || !strings.Contains(err.Error(), "stop every hub replica first") {
				t.Fatalf("got %v, want a refusal naming the running replicas", err)
			}
		}
		stop()

		var out strings.Builder
		if err := run(context.Background(), []string{"rebuild", "--db", db}, noEnv, &out, io.Discard); err != nil {
			t.Fatalf("rebuild: %v", err)
		}
		if !strings.Contains(out.String(), "rebuilding read models:") || !strings.Contains(out.String(), "read models rebuilt from") {
			t.Fatalf("got %q, want progress and a summary", out.String())
		}
	})
}

// waitForLease waits until the hub that printed lines says on /healthz
// that it holds lease.
func waitForLease(t *testing.T, lines []string, lease string) {
	t.Helper()
	url := strings.Fields(strings.SplitN(lines[0], "listening on ", 2)[1])[0]
	deadline := time.Now().Add(20 * time.Second)
	for {
		var health struct {
			Leases []string `json:"leases"`
		}
		if res, err := http.Get(url + "/healthz"); err == nil {
			json.NewDecoder(res.Body).Decode(&health)
			res.Body.Close()
		}
		if slices.Contains(health.Leases, lease) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hub did not take the %q lease within 20 s (it holds %v)", lease, health.Leases)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBadDemoEnvironmentIsAUsageError(t *testing.T) {
	_, err := parseServe(nil, func(k string) string { return map[string]string{"HUB_DEMO": "perhaps"}[k] }, io.Discard)
	if exitCode(err) != 2 {
		t.Fatalf("got %v, want a usage error", err)
	}
}

func TestExportWritesAVenueFileAKioskLoads(t *testing.T) {
	backendtest.Each(t, testExport)
}

func testExport(t *testing.T, b *backendtest.Backend) {
	dir := t.TempDir()
	db := b.URL(t)
	lines, stop := serveDemo(t, db)
	// The seat quotas and the conference's description reach the log
	// through the bus: wait for them (8 events) before stopping.
	url := strings.Fields(strings.SplitN(lines[0], "listening on ", 2)[1])[0]
	deadline := time.Now().Add(10 * time.Second)
	for {
		var health struct {
			LogPosition int64 `json:"log_position"`
		}
		if res, err := http.Get(url + "/healthz"); err == nil {
			json.NewDecoder(res.Body).Decode(&health)
			res.Body.Close()
		}
		if health.LogPosition >= 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo events not in the log after 10 s (position %d)", health.LogPosition)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	out := filepath.Join(dir, "demo.venue")
	if err := run(context.Background(), []string{"export", "--db", db, "--conference", "nope", "--out", out}, noEnv, io.Discard, io.Discard); err == nil {
		t.Fatal("exporting an unknown conference succeeded")
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed export left %s behind (%v)", out, err)
	}
	var stdout strings.Builder
	if err := run(context.Background(), []string{"export", "--db", db, "--conference", hubapp.DemoSlug, "--out", out}, noEnv, &stdout, io.Discard); err != nil {
		t.Fatalf("export: %v", err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kioskStore, err := sqlitestore.Open(context.Background(), filepath.Join(dir, "kiosk.db"), sqlitestore.Options{Node: "kiosk-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer kioskStore.Close()
	h, err := venuefile.Import(context.Background(), kioskStore, f)
	if err != nil {
		t.Fatalf("import the exported file: %v", err)
	}
	head, _ := kioskStore.Head(context.Background())
	if h.HubPosition == 0 || head == 0 {
		t.Fatalf("imported up to hub position %d, %d events; want the demo conference's events", h.HubPosition, head)
	}
}
