// Command readbench measures the read-model figures of issue 3 and prints
// one markdown row per figure:
//
//   - rebuild all read models from 1,000,000 events (median of 3 runs);
//   - public seat-availability reads per second through an echo HTTP
//     handler on loopback with concurrent clients (median of 3 runs).
//
// The log is generated into a temporary SQLite file through the store's
// own API: several conferences, orders placed, reserved, paid, confirmed,
// partially reserved, expired and cancelled, the registration process's
// events and commands, seat assignments, waitlist entries and promo uses.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/readmodels"
	"conference/shared/eventstore/sqlitestore"
)

func main() {
	events := flag.Int("events", 1_000_000, "events to generate")
	runs := flag.Int("runs", 3, "runs per figure (the median is reported)")
	clients := flag.Int("clients", 64, "concurrent HTTP clients")
	readFor := flag.Duration("read-for", 3*time.Second, "duration of one availability read run")
	keep := flag.String("db", "", "generate into this file and keep it (default: a temporary file)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the rebuilds to this file")
	verbose := flag.Bool("v", false, "log the rebuild's phases")
	flag.Parse()
	profile = *cpuProfile
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	if err := run(*events, *runs, *clients, *readFor, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "readbench:", err)
		os.Exit(1)
	}
}

// profile is where -cpuprofile writes.
var profile string

func run(events, runs, clients int, readFor time.Duration, path string) error {
	ctx := context.Background()
	if path == "" {
		dir, err := os.MkdirTemp("", "readbench-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "hub.db")
	}
	store, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		return err
	}
	defer store.Close()
	start := time.Now()
	head, err := store.Head(ctx)
	if err != nil {
		return err
	}
	var confs []uuid.UUID
	if head == 0 {
		if confs, err = generate(ctx, store, events); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	} else if confs, err = publishedConferences(ctx, store); err != nil { // a kept -db file
		return err
	}
	if head, err = store.Head(ctx); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "readbench: generated %d events in %s\n", head, time.Since(start).Round(time.Millisecond))

	var secs []float64
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
	}
	for i := range runs {
		t0 := time.Now()
		if err := readmodels.Rebuild(ctx, store, func(done, total int64) {
			fmt.Fprintf(os.Stderr, "\rreadbench: rebuild %d: %d/%d events", i+1, done, total)
		}); err != nil {
			return fmt.Errorf("rebuild: %w", err)
		}
		secs = append(secs, time.Since(t0).Seconds())
		fmt.Fprintf(os.Stderr, " in %.2f s\n", secs[i])
	}
	pprof.StopCPUProfile()
	rebuild := median(secs)
	row(fmt.Sprintf("read models: rebuild all from %s events", commas(int(head))), "< 10 s",
		fmt.Sprintf("%.2f s (%s events/s)", rebuild, commas(int(float64(head)/rebuild))), rebuild < 10)

	models, err := readmodels.New(store, readmodels.Options{})
	if err != nil {
		return err
	}
	if err := models.CatchUp(ctx); err != nil {
		return err
	}
	var rates []float64
	for range runs {
		rate, err := availabilityReads(ctx, models, confs, clients, readFor)
		if err != nil {
			return fmt.Errorf("availability reads: %w", err)
		}
		rates = append(rates, rate)
	}
	rate := median(rates)
	row(fmt.Sprintf("read models: public seat-availability read over HTTP, %d clients", clients), ">= 20,000 requests/s",
		fmt.Sprintf("%s requests/s", commas(int(rate))), rate >= 20_000)
	return nil
}

// availabilityReads serves SeatTypes as JSON from an echo handler on
// loopback and counts the successful requests concurrent keep-alive
// clients make in d.
func availabilityReads(ctx context.Context, models *readmodels.Models, confs []uuid.UUID, clients int, d time.Duration) (float64, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/api/v1/conferences/:id/seat-types", func(c echo.Context) error {
		id, err := uuid.Parse(c.Param("id"))
		if err != nil {
			return c.JSON(http.StatusBadRequest, map[string]string{"code": "invalid_id"})
		}
		list, err := models.SeatTypes(c.Request().Context(), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, list)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: e}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown below
	defer srv.Shutdown(ctx)

	transport := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 5 * time.Second}
	base := "http://" + ln.Addr().String() + "/api/v1/conferences/"
	var ok, failed atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := base + confs[i%len(confs)].String() + "/seat-types"
			for time.Now().Before(deadline) {
				resp, err := client.Get(url)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	t0 := time.Now()
	wg.Wait()
	elapsed := time.Since(t0)
	if n := failed.Load(); n > 0 {
		return 0, fmt.Errorf("%d requests failed", n)
	}
	return float64(ok.Load()) / elapsed.Seconds(), nil
}

func row(figure, target, measured string, ok bool) {
	verdict := "ok"
	if !ok {
		verdict = "MISSED"
	}
	fmt.Printf("| %s | %s | %s | %s |\n", figure, target, measured, verdict)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func publishedConferences(ctx context.Context, store *sqlitestore.Store) ([]uuid.UUID, error) {
	if err := readmodels.Rebuild(ctx, store, nil); err != nil {
		return nil, err
	}
	m, err := readmodels.New(store, readmodels.Options{})
	if err != nil {
		return nil, err
	}
	list, err := m.PublishedConferences(ctx)
	if err != nil {
		return nil, err
	}
	var out []uuid.UUID
	for _, c := range list {
		out = append(out, c.ConferenceID)
	}
	return out, nil
}
