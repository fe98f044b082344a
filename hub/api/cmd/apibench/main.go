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
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"conference/hub/api"
	"conference/hub/conferences"
	"conference/hub/hubapp"
	"conference/hub/server"
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

// hub is a running hub with the API on a loopback port.
type hub struct {
	h     *hubapp.Hub
	url   string
	token string
	stop  func()
}

var hubs int

// startHub opens a hub on a fresh database file in dir and serves the API.
func startHub(ctx context.Context, dir string) (*hub, error) {
	hubs++
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
	h, err := hubapp.Open(ctx, hubapp.Config{DB: filepath.Join(dir, fmt.Sprintf("hub-%d.db", hubs)), Logger: log})
	if err != nil {
		return nil, err
	}
	handler, err := server.New(h, func(e *echo.Echo) error { return api.Register(e, h, api.Options{}) })
	if err != nil {
		h.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	workers, served := make(chan error, 1), make(chan error, 1)
	go func() { workers <- h.Run(ctx) }()
	go func() { served <- server.Serve(ctx, ln, handler, server.Lifecycle{Grace: 5 * time.Second}, log) }()
	org, err := h.Conferences.CreateOrganizer(ctx, conferences.NewOrganizer{Email: "bench@example.com", DisplayName: "Bench"})
	if err == nil {
		var token string
		token, err = h.Conferences.IssueAPIToken(ctx, org.ID)
		if err == nil {
			return &hub{h: h, url: "http://" + ln.Addr().String() + api.Prefix, token: token, stop: func() {
				cancel()
				<-served
				<-workers
				h.Close()
			}}, nil
		}
	}
	cancel()
	<-served
	<-workers
	h.Close()
	return nil, err
}

// conference creates and publishes a conference with one seat type of
// quota through the organizer API and waits until it is on sale.
func (hb *hub) conference(ctx context.Context, c *client, slug string, quota int) (seatType string, err error) {
	var conf struct{ ID string }
	start := time.Now().UTC().Add(90 * 24 * time.Hour).Truncate(time.Hour)
	if _, err := c.call(ctx, "POST", "/organizer/conferences", hb.token, "", map[string]any{
		"slug": slug, "name": "Bench " + slug, "time_zone": "Europe/Lisbon", "currency": "EUR",
		"starts_at": start, "ends_at": start.Add(48 * time.Hour),
	}, http.StatusCreated, &conf); err != nil {
		return "", err
	}
	var st struct{ ID string }
	if _, err := c.call(ctx, "POST", "/organizer/conferences/"+conf.ID+"/seat-types", hb.token, "", map[string]any{
		"name": "Pass", "price": map[string]any{"amount": 19900, "currency": "EUR"}, "quota": quota,
	}, http.StatusCreated, &st); err != nil {
		return "", err
	}
	if _, err := c.call(ctx, "POST", "/organizer/conferences/"+conf.ID+"/publish", hb.token, "", nil, http.StatusOK, nil); err != nil {
		return "", err
	}
	// On sale once registrations knows the quota and the public read shows it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var pub struct {
			SeatTypes []struct{ Remaining int } `json:"seat_types"`
		}
		_, err := c.call(ctx, "GET", "/conferences/"+slug, "", "", nil, http.StatusOK, &pub)
		if err == nil && len(pub.SeatTypes) == 1 && pub.SeatTypes[0].Remaining == quota {
			av, aerr := hb.h.Registrations.Availability(ctx, mustUUID(conf.ID))
			if aerr == nil && av.Quota(mustUUID(st.ID)) == quota {
				return st.ID, nil
			}
		}
		if time.Now().After(deadline) {
			return "", errors.New("conference not on sale after 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
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
