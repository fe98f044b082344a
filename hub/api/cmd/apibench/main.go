// Command apibench measures the hub's JSON API over real HTTP on loopback,
// against a hub on a fresh SQLite file, and prints one markdown row per
// figure:
//
//	| figure | target | measured | ok/MISSED |
//
// Figures: complete orders (place, reserve, pay, confirm) with 50
// concurrent clients; 200 clients racing for the last 10 seats; the public
// seat-availability read. Each is the median of several runs.
//
//	go run ./hub/api/cmd/apibench [-runs 3] [-duration 8s] [-cpuprofile f]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"time"

	"conference/hub/api/apiload"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "apibench: %v\n", err)
		os.Exit(1)
	}
}

type config struct {
	runs, raceRuns int
	duration       time.Duration
	orderClients   int
	readClients    int
	cpuProfile     string
	trace          string
	only           string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("apibench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.runs, "runs", 3, "runs per throughput figure (the median is reported)")
	fs.IntVar(&cfg.raceRuns, "race-runs", 5, "runs of the last-seats race (every one must reserve exactly 10)")
	fs.DurationVar(&cfg.duration, "duration", 6*time.Second, "length of each throughput run")
	fs.IntVar(&cfg.orderClients, "order-clients", 50, "concurrent clients completing orders")
	fs.IntVar(&cfg.readClients, "read-clients", 32, "concurrent clients reading availability")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole bench to `file`")
	fs.StringVar(&cfg.trace, "trace", "", "write an execution trace of the whole bench to `file` (go tool trace)")
	fs.StringVar(&cfg.only, "only", "", "run one figure: orders, race or reads")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if cfg.trace != "" {
		f, err := os.Create(cfg.trace)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	dir, err := os.MkdirTemp("", "apibench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Fprintln(stdout, "| figure | target | measured | ok/MISSED |")
	fmt.Fprintln(stdout, "|---|---|---|---|")
	if cfg.only == "" || cfg.only == "orders" {
		if err := benchOrders(ctx, cfg, dir, stdout); err != nil {
			return fmt.Errorf("complete orders: %w", err)
		}
	}
	if cfg.only == "" || cfg.only == "race" {
		if err := benchRace(ctx, cfg, dir, stdout); err != nil {
			return fmt.Errorf("last seats race: %w", err)
		}
	}
	if cfg.only == "" || cfg.only == "reads" {
		if err := benchReads(ctx, cfg, dir, stdout); err != nil {
			return fmt.Errorf("availability reads: %w", err)
		}
	}
	return nil
}

var hubs int

// startHub opens a hub on a fresh database file in dir and serves the API.
func startHub(ctx context.Context, dir string) (*apiload.Hub, error) {
	hubs++
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
	return apiload.Serve(ctx, filepath.Join(dir, fmt.Sprintf("hub-%d.db", hubs)), "bench@example.com", log)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}
