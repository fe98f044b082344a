package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	neturl "net/url"
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

// startServe runs `kiosk serve` in-process with env and flags until stop
// is called; stop reports what serve returned.
func startServe(t *testing.T, env map[string]string, flags ...string) (url string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan error, 1)
	args := append([]string{"serve"}, flags...)
	go func() { done <- run(ctx, args, func(k string) string { return env[k] }, &out, &errs) }()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("kiosk did not start: %s %s", out.String(), errs.String())
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			return errors.New("serve did not stop")
		}
	}
	t.Cleanup(func() { stop() })
	return url, stop
}

func TestServeAnswersHealthzAndStopsGracefully(t *testing.T) {
	url, stop := startServe(t, map[string]string{"KIOSK_DB": paired(t), "KIOSK_ADDR": "127.0.0.1:0", "KIOSK_LOG_LEVEL": "warn"})
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
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
}

// With no --addr and no KIOSK_ADDR, the staff UI listens on loopback only:
// the PIN screen is not on the venue network unless the operator says so.
func TestServeListensOnLoopbackByDefault(t *testing.T) {
	o, err := parseServe(nil, env{getenv: noEnv, stdout: io.Discard, stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(o.addr)
	if err != nil {
		t.Fatalf("default address %q: %v", o.addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Fatalf("default address %q: host %q is not a loopback address", o.addr, host)
	}
	if port != "8081" || o.db != "data/kiosk.db" {
		t.Fatalf("defaults: addr %q, db %q; want port 8081 and data/kiosk.db as documented", o.addr, o.db)
	}
	// An empty KIOSK_ADDR is no address: the default still applies.
	o, err = parseServe(nil, env{getenv: func(k string) string { return map[string]string{"KIOSK_ADDR": ""}[k] }, stderr: io.Discard})
	if err != nil || o.addr != defaultAddr {
		t.Fatalf("empty KIOSK_ADDR: addr %q, err %v", o.addr, err)
	}
}

// --addr and --db are used as given, and win over the environment: here
// the environment names an address on every interface and a database that
// cannot be created.
func TestServeTakesAddrAndDBFlagsOverTheEnvironment(t *testing.T) {
	db := paired(t)
	envs := map[string]string{"KIOSK_ADDR": "0.0.0.0:1", "KIOSK_DB": filepath.Join(t.TempDir(), "missing", "dir", "kiosk.db"), "KIOSK_LOG_LEVEL": "warn"}
	o, err := parseServe([]string{"--addr", "127.0.0.1:0", "--db", db}, env{getenv: func(k string) string { return envs[k] }, stderr: io.Discard})
	if err != nil || o.addr != "127.0.0.1:0" || o.db != db {
		t.Fatalf("parsed addr %q db %q (%v), want the flags'", o.addr, o.db, err)
	}

	url, stop := startServe(t, envs, "--addr", "127.0.0.1:0", "--db", db)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("kiosk listens on %s, want the --addr host 127.0.0.1", url)
	}
	resp, err := http.Get(url + "/healthz")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	must(t, stop())
	// It served the --db file: the KIOSK_DB one (whose directory does not
	// exist) would have stopped it at start, and was never created.
	if _, err := os.Stat(filepath.Dir(envs["KIOSK_DB"])); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the KIOSK_DB of the environment was used: %v", err)
	}
}

// The idle lock reaches the staff UI: a screen unlocked with the PIN is
// locked again once left alone for --idle-lock (here from KIOSK_IDLE_LOCK).
func TestServeIdleLockLocksAnUnusedScreen(t *testing.T) {
	url, stop := startServe(t, map[string]string{"KIOSK_DB": paired(t), "KIOSK_ADDR": "127.0.0.1:0",
		"KIOSK_LOG_LEVEL": "warn", "KIOSK_IDLE_LOCK": "1s"})
	c, _ := unlocked(t, url)
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := c.Get(url + path)
		must(t, err)
		resp.Body.Close()
		return resp
	}
	if resp := get("/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("unlocked screen: %d", resp.StatusCode)
	}
	time.Sleep(1500 * time.Millisecond)
	if resp := get("/"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/unlock") {
		t.Fatalf("screen left alone past --idle-lock: %d to %q, want the PIN pad", resp.StatusCode, resp.Header.Get("Location"))
	}
	must(t, stop())
}

// unlocked is a browser of the staff UI at url, unlocked with the PIN,
// and the CSRF token its forms carry.
func unlocked(t *testing.T, url string) (*http.Client, string) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	must(t, err)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(url + "/unlock")
	must(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field on the unlock page:\n%s", page)
	}
	resp, err = c.PostForm(url+"/unlock", neturl.Values{"_csrf": {string(m[1])}, "staff": {"Rita"}, "pin": {kiosktest.PIN}})
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("unlock: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return c, string(m[1])
}

func TestBadCommandLinesAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"fly"}, {"serve", "--nope"}, {"export-log", "--db", "x.db"}, {"load"}, {"status", "extra"},
		{"serve", "--idle-lock", "soon"}, {"serve", "--idle-lock", "0s"}, {"serve", "--idle-lock", "-5m"}} {
		err := run(context.Background(), args, noEnv, &bytes.Buffer{}, &bytes.Buffer{})
		if !errors.Is(err, errUsage) || exitCode(err) != 2 {
			t.Errorf("%q: %v", args, err)
		}
	}
}

// venueFile exports a small conference (one pass, Ada Lovelace holding
// one) from a hub store to a venue file, for `kiosk load`.
func venueFile(t *testing.T) (string, kiosktest.Order) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	hubStore, err := sqlitestore.Open(ctx, filepath.Join(dir, "hub.db"), sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	hub := kiosktest.NewHub(hubStore, 0)
	must(t, hub.Conference(ctx, conf, "Venue Conf"))
	st := uuid.New()
	must(t, hub.SeatType(ctx, conf, st, "Pass", 100, 10, kioskPolicy()))
	order, err := hub.ConfirmedOrder(ctx, conf, st, registrations.Attendee{Name: "Ada Lovelace", Email: "ada@example.org"},
		[]registrations.Attendee{{Name: "Ada Lovelace", Email: "ada@example.org"}})
	must(t, err)
	venue := filepath.Join(dir, "venue.jsonl")
	f, err := os.Create(venue)
	must(t, err)
	must(t, venuefile.Export(ctx, hubStore, conf, f))
	must(t, f.Close())
	must(t, hubStore.Close())
	return venue, order
}

// loadedKiosk is a paired kiosk database with venueFile's conference
// loaded.
func loadedKiosk(t *testing.T) (db string, order kiosktest.Order) {
	t.Helper()
	venue, order := venueFile(t)
	db = paired(t)
	var out, errs bytes.Buffer
	must(t, run(context.Background(), []string{"load", "--db", db, venue}, noEnv, &out, &errs))
	return db, order
}

func TestLoadStatusAndExportLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	venue, _ := venueFile(t)

	db := paired(t)
	var out, errs bytes.Buffer
	must(t, run(ctx, []string{"load", "--db", db, venue}, noEnv, &out, &errs))
	if !strings.Contains(out.String(), "1 attendees") {
		t.Fatalf("load said %q %q", out.String(), errs.String())
	}
	out.Reset()
	must(t, run(ctx, []string{"status", "--db", db}, noEnv, &out, &errs))
	if !strings.Contains(out.String(), "kiosk:           (name not received from the hub yet), id k1") || !strings.Contains(out.String(), "attendees:       1") ||
		!strings.Contains(out.String(), "badges:          0 printed") {
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

// `kiosk status` works while the kiosk serves (its database is locked):
// it asks the running kiosk, and the JSON has the kiosk's status and its
// digests. Once the kiosk stopped, it reads the database itself again.
func TestStatusWhileServing(t *testing.T) {
	db, order := loadedKiosk(t)
	url, stop := startServe(t, map[string]string{"KIOSK_DB": db, "KIOSK_ADDR": "127.0.0.1:0", "KIOSK_LOG_LEVEL": "warn"})
	c, csrf := unlocked(t, url)
	resp, err := c.PostForm(url+"/attendees/"+order.ID.String()+"/0/check-in", neturl.Values{"_csrf": {csrf}})
	must(t, err)
	resp.Body.Close()

	var out, errs bytes.Buffer
	must(t, run(context.Background(), []string{"status", "--json", "--db", db}, noEnv, &out, &errs))
	var r struct {
		KioskID       string
		PendingUpload int64
		Stats         struct{ Attendees, CheckedIn int }
		Digests       map[string]map[string]string
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out.String())
	}
	if r.KioskID != "k1" || r.Stats.Attendees != 1 || r.Stats.CheckedIn != 1 || r.PendingUpload != 1 ||
		!strings.HasPrefix(r.Digests[conf.String()]["checkins"], "1:") {
		t.Fatalf("status of the serving kiosk: %+v\n%s", r, out.String())
	}
	out.Reset()
	must(t, run(context.Background(), []string{"status", "--db", db}, noEnv, &out, &errs))
	if !strings.Contains(out.String(), "attendees:       1, 1 checked in") || !strings.Contains(out.String(), "digest:          "+conf.String()) {
		t.Fatalf("status text of the serving kiosk:\n%s", out.String())
	}
	// Nobody else may ask the running kiosk.
	if resp, err := http.Get(url + "/status.json"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status.json without the token: %v %v", resp, err)
	}

	must(t, stop())
	if _, err := os.Stat(db + ".serving"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s.serving left behind: %v", db, err)
	}
	out.Reset()
	must(t, run(context.Background(), []string{"status", "--json", "--db", db}, noEnv, &out, &errs))
	if !strings.Contains(out.String(), `"CheckedIn": 1`) {
		t.Fatalf("status of the stopped kiosk:\n%s", out.String())
	}
}
