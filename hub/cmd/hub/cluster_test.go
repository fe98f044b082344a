package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"conference/hub/cluster"
	"conference/shared/metrics/metricstest"
	"conference/shared/pgtest"

	"github.com/jackc/pgx/v5"
)

// hubChildEnv makes the test binary run as `hub`, with its arguments after
// "--": the cluster's replicas are this binary, so the tests need no build.
const hubChildEnv = "HUB_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(hubChildEnv) != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		args := os.Args[1:]
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		err := run(ctx, args, os.Getenv, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintf(os.Stderr, "hub: %v\n", err)
			os.Exit(exitCode(err))
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// hubCommand runs this test binary as the hub.
func hubCommand(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), hubChildEnv+"=1", "HUB_LOG_LEVEL=warn")
	return cmd
}

// startCluster runs PostgreSQL, replicas of this hub and HAProxy.
func startCluster(t *testing.T, replicas int, extra ...string) *cluster.Cluster {
	t.Helper()
	cluster.RequireHAProxy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := pgtest.NewDatabase(t)
	c, err := cluster.Start(ctx, cluster.Options{DB: db, Replicas: replicas, Hub: hubCommand, Dir: t.TempDir(),
		ExtraArgs: append([]string{"--drain", "1500ms"}, extra...)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// leasedWorkers run on exactly one replica at a time.
var leasedWorkers = []string{"command bus", "mail notices", "read models", "registration policies", "registration process manager"}

type health struct {
	Status   string   `json:"status"`
	Database string   `json:"database"`
	Leases   []string `json:"leases"`
}

func getHealth(t *testing.T, url string) (int, health) {
	t.Helper()
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		return 0, health{}
	}
	defer resp.Body.Close()
	var h health
	json.NewDecoder(resp.Body).Decode(&h)
	return resp.StatusCode, h
}

// Every background worker runs on exactly one replica; when that replica
// is killed its work moves to the other within 5 s.
func TestReplicasShareTheWorkAndTakeItOverWhenOneDies(t *testing.T) {
	c := startCluster(t, 2)
	a, b := c.Replicas[0], c.Replicas[1]
	leases := func() (map[string]string, error) {
		who := map[string]string{}
		for _, r := range c.Replicas {
			code, h := getHealth(t, r.URL)
			if code != http.StatusOK {
				continue
			}
			for _, l := range h.Leases {
				if other, dup := who[l]; dup {
					return nil, fmt.Errorf("lease %q held by %s and %s", l, other, r.Name)
				}
				who[l] = r.Name
			}
		}
		return who, nil
	}
	var before map[string]string
	deadline := time.Now().Add(30 * time.Second)
	for {
		who, err := leases()
		if err != nil {
			t.Fatal(err)
		}
		if len(who) == len(leasedWorkers) {
			before = who
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s only these workers run: %v", who)
		}
		time.Sleep(100 * time.Millisecond)
	}
	victim, survivor := a, b
	if before["read models"] == b.Name {
		victim, survivor = b, a
	}
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for {
		code, h := getHealth(t, survivor.URL)
		if code == http.StatusOK && len(h.Leases) == len(leasedWorkers) {
			break
		}
		if time.Since(killed) > 5*time.Second {
			t.Fatalf("5 s after killing %s, %s runs only %v", victim.Name, survivor.Name, h.Leases)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("every worker runs on %s %s after %s was killed", survivor.Name, time.Since(killed).Round(time.Millisecond), victim.Name)
	// Through HAProxy the hub still answers.
	if code, _ := getHealth(t, c.URL); code != http.StatusOK {
		t.Fatalf("through HAProxy: %d", code)
	}
}

// A replica told to stop fails its health check first, while it still
// serves, so HAProxy takes it out before it closes.
func TestAStoppingReplicaDrainsBeforeItCloses(t *testing.T) {
	c := startCluster(t, 2)
	r := c.Replicas[0]
	stopped := make(chan error, 1)
	go func() { stopped <- r.Stop() }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, h := getHealth(t, r.URL)
		if code == http.StatusServiceUnavailable && h.Status == "draining" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stopping replica never said it was draining (last: %d %+v)", code, h)
		}
		time.Sleep(20 * time.Millisecond)
	}
	<-stopped
	for i := 0; i < 20; i++ {
		if code, _ := getHealth(t, c.URL); code != http.StatusOK {
			t.Fatalf("request %d through HAProxy after a drained stop: %d", i, code)
		}
	}
}

// PostgreSQL itself goes away under load and comes back: while it is away
// requests fail with 503 and say why, the health check fails, nothing
// acknowledged is lost, and the replicas recover by themselves.
func TestTheClusterRidesOutAPostgreSQLRestart(t *testing.T) {
	cluster.RequireHAProxy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pg, err := pgtest.Start(ctx, pgtest.Options{Fsync: true})
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	defer pg.Stop()
	c, err := cluster.Start(ctx, cluster.Options{DB: pg.NewDatabase(t), Replicas: 2, Hub: hubCommand, Dir: t.TempDir(),
		ExtraArgs: []string{"--demo", "--drain", "0s"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	api := c.URL + "/api/v1"
	var conf struct {
		SeatTypes []struct {
			ID        string `json:"id"`
			Remaining int    `json:"remaining"`
		} `json:"seat_types"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(conf.SeatTypes) == 0 {
		getJSON(t, api+"/conferences/demo", &conf)
		if time.Now().After(deadline) {
			t.Fatal("the demo conference never showed its seat types")
		}
	}
	seatType := conf.SeatTypes[0].ID
	place := func() (string, int, string) {
		body := strings.NewReader(fmt.Sprintf(`{"seats":[{"seat_type":%q,"quantity":1}]}`, seatType))
		resp, err := http.Post(api+"/conferences/demo/orders", "application/json", body)
		if err != nil {
			return "", 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var placed struct {
			OrderID string `json:"order_id"`
		}
		json.Unmarshal(b, &placed)
		return placed.OrderID, resp.StatusCode, string(b)
	}
	var acked []string
	for range 5 {
		id, code, body := place()
		if code != http.StatusCreated {
			t.Fatalf("before the restart: %d %s", code, body)
		}
		acked = append(acked, id)
	}
	if err := pg.Crash(ctx); err != nil {
		t.Fatal(err)
	}
	saw503 := false
	for range 20 {
		id, code, body := place()
		switch code {
		case http.StatusCreated:
			acked = append(acked, id) // answered before it noticed
		case http.StatusServiceUnavailable:
			if !strings.Contains(body, "database is unavailable") {
				t.Fatalf("503 without saying why: %s", body)
			}
			saw503 = true
		default:
			t.Fatalf("while PostgreSQL is down: %d %s", code, body)
		}
		if saw503 {
			break
		}
	}
	if !saw503 {
		t.Fatal("no request failed with 503 while PostgreSQL was down")
	}
	for _, r := range c.Replicas {
		if code, h := getHealth(t, r.URL); code != http.StatusServiceUnavailable {
			t.Fatalf("%s health while PostgreSQL is down: %d %+v", r.Name, code, h)
		}
	}
	if err := pg.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	recovered := time.Now().Add(60 * time.Second)
	for {
		id, code, body := place()
		if code == http.StatusCreated {
			acked = append(acked, id)
			break
		}
		if time.Now().After(recovered) {
			t.Fatalf("the cluster never recovered: %d %s", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Every worker runs again, somewhere.
	deadline = time.Now().Add(30 * time.Second)
	for {
		held := 0
		for _, r := range c.Replicas {
			_, h := getHealth(t, r.URL)
			held += len(h.Leases)
		}
		if held == len(leasedWorkers) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart the replicas hold %d of %d leases", held, len(leasedWorkers))
		}
		time.Sleep(100 * time.Millisecond)
	}
	db, err := pgx.Connect(ctx, c.DB())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	for _, id := range acked {
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'registrations.OrderPlaced'`, "order-"+id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("acknowledged order %s: %d OrderPlaced events, want exactly 1", id, n)
		}
	}
	t.Logf("%d acknowledged orders, all kept once", len(acked))
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(v)
}

// Each replica serves its own /metrics, labelled by nothing that names
// it: what the database counts reads the same on both, what a replica
// counts (requests) is its own.
func TestEachReplicaServesItsOwnMetrics(t *testing.T) {
	c := startCluster(t, 2)
	for _, r := range c.Replicas {
		if code, _ := getHealth(t, r.URL); code != http.StatusOK {
			t.Fatalf("%s: health %d", r.Name, code)
		}
	}
	// One replica answers three requests the other does not.
	for range 3 {
		resp, err := http.Get(c.Replicas[0].URL + "/livez")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var orders, livez []float64
	for _, r := range c.Replicas {
		f := metricstest.Scrape(t, r.URL, "")
		n, ok := f.Value("conference_orders")
		if !ok {
			t.Fatalf("%s: no conference_orders", r.Name)
		}
		orders = append(orders, n)
		n, _ = f.Value("conference_http_requests_total", "route", "/livez")
		livez = append(livez, n)
		for name, fam := range f {
			for _, m := range fam.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "replica" || l.GetName() == "instance" {
						t.Fatalf("%s: %s is labelled by %s", r.Name, name, l.GetName())
					}
				}
			}
		}
	}
	if orders[0] != orders[1] {
		t.Fatalf("orders by status differ between replicas: %v", orders)
	}
	if livez[0] != livez[1]+3 {
		t.Fatalf("/livez requests counted %v: each replica counts its own", livez)
	}
}
