// Command clusterbench measures the hub as replicas on PostgreSQL behind
// HAProxy, beside a single hub on SQLite in the same run, and prints one
// markdown row per figure (the median of several runs):
//
//   - complete orders (place, reserve, name, pay, confirm) through HAProxy
//     over two replicas, as a ratio of the single SQLite hub's rate;
//   - an event appended on one replica reaching a kiosk connected to the
//     other.
//
// Replicas are hubs in this process, each with its own pool, leases,
// listener and HTTP server, on one PostgreSQL database (a throwaway
// cluster with fsync on, started from the machine's server binaries);
// HAProxy is the real one. Everything shares the machine's cores, the load
// generator included: the ratio, not the absolute rate, is the figure.
//
//	go run ./hub/cmd/clusterbench [-runs 3] [-duration 6s]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"conference/hub/api"
	"conference/hub/api/apiload"
	"conference/hub/cluster"
	"conference/kiosk"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/pgtest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "clusterbench: %v\n", err)
		os.Exit(1)
	}
}

// profile, when set, receives a CPU profile of the first cluster orders run.
var profile *os.File

var quiet = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("clusterbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 3, "runs per figure (the median is reported)")
	duration := fs.Duration("duration", 6*time.Second, "length of each orders run")
	clients := fs.Int("clients", 50, "concurrent clients completing orders")
	samples := fs.Int("samples", 300, "appends timed per latency run")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the cluster's orders runs to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		profile = f
	}
	dir, err := os.MkdirTemp("", "clusterbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pg, err := pgtest.Start(ctx, pgtest.Options{Fsync: true})
	if err != nil {
		return err
	}
	defer pg.Stop()
	dbs := 0
	freshPG := func() (string, error) {
		dbs++
		name := fmt.Sprintf("bench%d", dbs)
		return pg.URL(name), pg.Exec(ctx, "CREATE DATABASE "+name)
	}

	// Orders: SQLite hub and cluster alternately, in the same minutes.
	var lite, clustered, ratios []float64
	for i := range *runs {
		r1, err := ordersOnSQLite(ctx, filepath.Join(dir, fmt.Sprintf("hub-%d.db", i)), *clients, *duration, stderr)
		if err != nil {
			return fmt.Errorf("orders on SQLite: %w", err)
		}
		db, err := freshPG()
		if err != nil {
			return err
		}
		r2, err := ordersOnCluster(ctx, db, filepath.Join(dir, fmt.Sprintf("haproxy-%d", i)), *clients, *duration, stderr)
		if err != nil {
			return fmt.Errorf("orders on the cluster: %w", err)
		}
		lite, clustered, ratios = append(lite, r1), append(clustered, r2), append(ratios, r2/r1)
		fmt.Fprintf(stderr, "orders run %d: SQLite hub %.0f/s, two replicas behind HAProxy %.0f/s (%.2f)\n", i+1, r1, r2, r2/r1)
	}
	ratio := median(ratios)
	row(stdout, fmt.Sprintf("cluster: complete orders through HAProxy over 2 replicas, %d clients", *clients),
		">= 0.5 of the single SQLite hub in the same run",
		fmt.Sprintf("%.0f orders/s against %.0f on SQLite: ratio %.2f (runs %s)", median(clustered), median(lite), ratio, fmtRatios(ratios)),
		ratio >= 0.5)

	var p99s []float64
	for range *runs {
		db, err := freshPG()
		if err != nil {
			return err
		}
		p99, err := kioskOnTheOtherReplica(ctx, db, filepath.Join(dir, fmt.Sprintf("kiosk-%d.db", dbs)), *samples)
		if err != nil {
			return fmt.Errorf("kiosk latency: %w", err)
		}
		p99s = append(p99s, p99)
	}
	row(stdout, "cluster: an append on one replica reaching a kiosk connected to the other", "p99 < 100 ms",
		fmt.Sprintf("p99 %.1f ms (runs %s)", median(p99s), fmtMS(p99s)), median(p99s) < 100)
	return nil
}

func row(w io.Writer, figure, target, measured string, ok bool) {
	verdict := "ok"
	if !ok {
		verdict = "MISSED"
	}
	fmt.Fprintf(w, "| %s | %s | %s | %s |\n", figure, target, measured, verdict)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func fmtRatios(xs []float64) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf("%.2f", x))
	}
	return strings.Join(parts, ", ")
}

func fmtMS(xs []float64) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf("%.1f", x))
	}
	return strings.Join(parts, ", ")
}

// orders runs clients completing orders through c for d.
func orders(ctx context.Context, c *apiload.Client, slug, seatType string, clients int, d time.Duration, stderr io.Writer) (float64, error) {
	rate, lat, err := apiload.Orders(ctx, c, slug, seatType, clients, d)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(stderr, "  %s by step: p50 %v\n    p99 %v\n", slug, lat.Quantile(0.5), lat.P99())
	return rate, nil
}

func ordersOnSQLite(ctx context.Context, path string, clients int, d time.Duration, stderr io.Writer) (float64, error) {
	h, err := apiload.Serve(ctx, path, "lite@example.com", quiet)
	if err != nil {
		return 0, err
	}
	defer h.Stop()
	c := apiload.NewClient(h.API(), clients+4)
	defer c.Close()
	_, seatType, err := h.OnSale(ctx, c, "lite", 1_000_000)
	if err != nil {
		return 0, err
	}
	return orders(ctx, c, "lite", seatType, clients, d, stderr)
}

// twoReplicas starts two hubs on the PostgreSQL database db.
func twoReplicas(ctx context.Context, db string) (a, b *apiload.Hub, err error) {
	if a, err = apiload.Serve(ctx, db, "a@example.com", quiet); err != nil {
		return nil, nil, err
	}
	if b, err = apiload.Serve(ctx, db, "b@example.com", quiet); err != nil {
		a.Stop()
		return nil, nil, err
	}
	return a, b, nil
}

func ordersOnCluster(ctx context.Context, db, dir string, clients int, d time.Duration, stderr io.Writer) (float64, error) {
	a, b, err := twoReplicas(ctx, db)
	if err != nil {
		return 0, err
	}
	defer a.Stop()
	defer b.Stop()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	hp, err := cluster.StartHAProxy(ctx, dir, "127.0.0.1:0", []string{strings.TrimPrefix(a.URL, "http://"), strings.TrimPrefix(b.URL, "http://")})
	if err != nil {
		return 0, err
	}
	defer hp.Stop()
	c := apiload.NewClient(hp.URL+api.Prefix, clients+4)
	defer c.Close()
	_, seatType, err := a.OnSale(ctx, c, "cluster", 1_000_000)
	if err != nil {
		return 0, err
	}
	if profile != nil {
		if err := pprof.StartCPUProfile(profile); err != nil {
			return 0, err
		}
		defer pprof.StopCPUProfile()
		profile = nil
	}
	fmt.Fprintf(stderr, "  leases: replica A %v, replica B %v\n", a.H.Leases(), b.H.Leases())
	return orders(ctx, c, "cluster", seatType, clients, d, stderr)
}

// kioskOnTheOtherReplica pairs a kiosk with replica B and times events
// appended on replica A until the kiosk has stored them.
func kioskOnTheOtherReplica(ctx context.Context, db, kioskDB string, samples int) (float64, error) {
	a, b, err := twoReplicas(ctx, db)
	if err != nil {
		return 0, err
	}
	defer a.Stop()
	defer b.Stop()
	c := apiload.NewClient(a.API(), 4)
	defer c.Close()
	if _, _, err := a.OnSale(ctx, c, "latency", 100); err != nil {
		return 0, err
	}
	conf, err := a.H.Conferences.GetPublishedBySlug(ctx, "latency")
	if err != nil {
		return 0, err
	}
	created, err := a.H.Kiosks.CreateKiosk(ctx, conf.OrganizerID, conf.ID, "Bench door")
	if err != nil {
		return 0, err
	}
	k, err := kiosk.Open(ctx, kiosk.Config{Path: kioskDB, Logger: quiet})
	if err != nil {
		return 0, err
	}
	if _, err := k.Pair(ctx, b.URL, created.PairingCode); err != nil {
		k.Close()
		return 0, fmt.Errorf("pair with replica B: %w", err)
	}
	// The kiosk id stamps every event it records: it applies from a restart.
	k.Close()
	if k, err = kiosk.Open(ctx, kiosk.Config{Path: kioskDB, Logger: quiet}); err != nil {
		return 0, err
	}
	defer k.Close()
	syncCtx, stopSync := context.WithCancel(ctx)
	defer stopSync()
	go k.RunSync(syncCtx, kiosk.SyncOptions{}) //nolint:errcheck // ends with stopSync
	head, err := a.H.Store.Head(ctx)
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := k.Status(ctx)
		if err == nil && st.Online && st.HubSeen >= head {
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("the kiosk never caught up with the hub (status %+v, %v)", st, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stream := eventstore.Stream{ID: "bench-" + conf.ID.String(), Type: "bench.Ping"}
	lat := make([]float64, 0, samples)
	for i := range samples {
		kioskHead, err := k.Store().Head(ctx)
		if err != nil {
			return 0, err
		}
		data, _ := json.Marshal(map[string]any{"conference_id": conf.ID, "n": i})
		start := time.Now()
		if _, err := a.H.Store.Append(ctx, stream, eventstore.AnyVersion, []eventstore.Event{{EventID: ids.New(), Type: "bench.Ping", Schema: 1, Data: data}}); err != nil {
			return 0, err
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = k.Store().WaitForAppend(wctx, kioskHead)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("sample %d never reached the kiosk: %w", i, err)
		}
		lat = append(lat, float64(time.Since(start).Microseconds())/1000)
		time.Sleep(5 * time.Millisecond)
	}
	slices.Sort(lat)
	return lat[len(lat)*99/100], nil
}
