// Command storebench measures the SQLite event store against the figures of
// the foundation issue and prints one markdown table row per figure, each the
// median of several runs, with ratios against a raw SQLite baseline measured
// in the same run.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
)

// payload is the size of a typical small domain event (an OrderPlaced with
// two seat lines is about this big).
var payload = []byte(`{"order_id":"0192f0a4-7c1e-7d3a-9b1e-5f0c3e2a1b4c","conference_id":"0192f0a4-7c1e-7d3a-9b1e-5f0c3e2a1b4d","seats":[{"seat_type":"full","quantity":2}]}`)

func main() {
	runs := flag.Int("runs", 5, "runs per figure; the median is reported")
	replayChild := flag.String("replay-child", "", "internal: replay this database and exit")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the concurrent-append figure to `file`")
	flag.Parse()
	if *cpuProfile != "" {
		if err := profileAppend(*cpuProfile); err != nil {
			fmt.Fprintln(os.Stderr, "storebench:", err)
			os.Exit(1)
		}
		return
	}
	if *replayChild != "" {
		if err := replay(*replayChild); err != nil {
			fmt.Fprintln(os.Stderr, "replay:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "storebench:", err)
		os.Exit(1)
	}
}

func run(runs int) error {
	dir, err := os.MkdirTemp("", "storebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	var rates, baselines, ratios []float64
	for i := 0; i < runs; i++ {
		rate, group, err := concurrentAppend(ctx, filepath.Join(dir, fmt.Sprintf("conc-%d.db", i)), 64, 100_000)
		if err != nil {
			return err
		}
		base, err := rawBaseline(ctx, filepath.Join(dir, fmt.Sprintf("raw-%d.db", i)), 100_000, group)
		if err != nil {
			return err
		}
		rates, baselines, ratios = append(rates, rate), append(baselines, base), append(ratios, rate/base)
		fmt.Fprintf(os.Stderr, "append run %d: %.0f events/s (mean group %.1f), raw baseline %.0f rows/s\n", i+1, rate, group, base)
	}
	rate, ratio := median(rates), median(ratios)
	row("store: append, 64 concurrent writers, 1 event each", ">= 50,000 events/s and >= 0.5 of raw SQLite",
		fmt.Sprintf("%.0f events/s; raw baseline %.0f rows/s; ratio %.2f", rate, median(baselines), ratio),
		rate >= 50_000 && ratio >= 0.5)

	var p50s, p99s []float64
	for i := 0; i < runs; i++ {
		p50, p99, err := singleLatency(ctx, filepath.Join(dir, fmt.Sprintf("lat-%d.db", i)), 2000)
		if err != nil {
			return err
		}
		p50s, p99s = append(p50s, p50), append(p99s, p99)
	}
	row("store: single append latency, no concurrency", "p50 < 0.5 ms, p99 < 5 ms",
		fmt.Sprintf("p50 %.3f ms, p99 %.3f ms", median(p50s), median(p99s)), median(p50s) < 0.5 && median(p99s) < 5)

	big := filepath.Join(dir, "replay.db")
	if err := fill(ctx, big, 1_000_000); err != nil {
		return err
	}
	var readRates []float64
	for i := 0; i < runs; i++ {
		r, err := readLog(ctx, big, 200_000)
		if err != nil {
			return err
		}
		readRates = append(readRates, r)
	}
	row("store: read whole log, decode envelopes", ">= 300,000 events/s",
		fmt.Sprintf("%.0f events/s", median(readRates)), median(readRates) >= 300_000)

	var rss []float64
	for i := 0; i < min(runs, 3); i++ {
		mb, err := replayRSS(big)
		if err != nil {
			return err
		}
		rss = append(rss, mb)
	}
	row("store: peak RSS replaying 1,000,000 events", "< 100 MB", fmt.Sprintf("%.1f MB", median(rss)), median(rss) < 100)
	return nil
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

func open(ctx context.Context, path string) (*sqlitestore.Store, error) {
	return sqlitestore.Open(ctx, path, sqlitestore.Options{})
}

func event(st eventstore.Stream) eventstore.Event {
	return eventstore.Event{EventID: ids.New(), StreamID: st.ID, StreamType: st.Type, Type: "bench.Happened", Schema: 1, Data: payload}
}

// concurrentAppend runs writers goroutines each appending single events to
// its own stream, and returns events/s and the mean group size.
func concurrentAppend(ctx context.Context, path string, writers, total int) (float64, float64, error) {
	s, err := open(ctx, path)
	if err != nil {
		return 0, 0, err
	}
	defer s.Close()
	per := total / writers
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st := eventstore.Stream{ID: fmt.Sprintf("order-%d", w), Type: "order"}
			for i := 0; i < per; i++ {
				if _, err := s.Append(ctx, st, int64(i), []eventstore.Event{event(st)}); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	stats := s.Stats()
	return float64(per*writers) / elapsed.Seconds(), float64(stats.Requests) / float64(stats.Groups), nil
}

// rawBaseline inserts the same rows with plain prepared INSERTs into the same
// schema (same indexes, same pragmas), group rows per transaction.
func rawBaseline(ctx context.Context, path string, total int, group float64) (float64, error) {
	s, err := open(ctx, path) // creates the identical schema
	if err != nil {
		return 0, err
	}
	s.Close()
	db, err := sql.Open("sqlite", sqlitestore.DSN(path, "FULL"))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	per := max(1, int(group+0.5))
	start := time.Now()
	seq := 0
	for seq < total {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO events (event_id, stream_id, stream_type, stream_version, type, schema, data,
			origin, origin_seq, seen, hlc, correlation_id, causation_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return 0, err
		}
		for i := 0; i < per && seq < total; i++ {
			seq++
			id := ids.New()
			if _, err := stmt.ExecContext(ctx, id[:], "order-"+strconv.Itoa(seq%64), "order", seq/64+1, "bench.Happened", 1, payload,
				"hub", seq, seq-1, time.Now().UnixMilli()<<16, nil, nil, time.Now().UnixMilli()); err != nil {
				return 0, err
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return float64(total) / time.Since(start).Seconds(), nil
}

func singleLatency(ctx context.Context, path string, n int) (float64, float64, error) {
	s, err := open(ctx, path)
	if err != nil {
		return 0, 0, err
	}
	defer s.Close()
	st := eventstore.Stream{ID: "order-1", Type: "order"}
	lat := make([]float64, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if _, err := s.Append(ctx, st, int64(i), []eventstore.Event{event(st)}); err != nil {
			return 0, 0, err
		}
		lat[i] = float64(time.Since(t0).Microseconds()) / 1000
	}
	sort.Float64s(lat)
	return lat[n/2], lat[n*99/100], nil
}

// fill writes n events in appends of 1,000 to 1,000 streams.
func fill(ctx context.Context, path string, n int) error {
	s, err := open(ctx, path)
	if err != nil {
		return err
	}
	defer s.Close()
	const batch = 1000
	versions := map[int]int64{}
	for i := 0; i < n/batch; i++ {
		st := eventstore.Stream{ID: fmt.Sprintf("conference-%d", i%1000), Type: "conference"}
		evs := make([]eventstore.Event, batch)
		for j := range evs {
			evs[j] = event(st)
		}
		if _, err := s.Append(ctx, st, versions[i%1000], evs); err != nil {
			return err
		}
		versions[i%1000] += batch
	}
	return nil
}

func readLog(ctx context.Context, path string, n int) (float64, error) {
	s, err := open(ctx, path)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	start := time.Now()
	var after int64
	read := 0
	for read < n {
		page, err := s.ReadLog(ctx, after, 1000)
		if err != nil {
			return 0, err
		}
		if len(page) == 0 {
			break
		}
		read += len(page)
		after = page[len(page)-1].Position
	}
	return float64(read) / time.Since(start).Seconds(), nil
}

// replayRSS re-executes this program to replay the whole log in a fresh
// process and reads its peak resident set size from the kernel.
func replayRSS(path string) (float64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self, "-replay-child", path)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("replay child: %w", err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return float64(ru.Maxrss) / 1024, nil
}

func replay(path string) error {
	ctx := context.Background()
	s, err := open(ctx, path)
	if err != nil {
		return err
	}
	defer s.Close()
	var after int64
	count := 0
	for {
		page, err := s.ReadLog(ctx, after, 1000)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		count += len(page)
		after = page[len(page)-1].Position
	}
	if count != 1_000_000 {
		return fmt.Errorf("replayed %d events, want 1,000,000", count)
	}
	return nil
}

// profileAppend profiles one concurrent-append run, to see where an
// appended event's time goes.
func profileAppend(path string) error {
	dir, err := os.MkdirTemp("", "storebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	rate, group, err := concurrentAppend(context.Background(), filepath.Join(dir, "profile.db"), 64, 200_000)
	pprof.StopCPUProfile()
	fmt.Fprintf(os.Stderr, "profiled append: %.0f events/s (mean group %.1f)\n", rate, group)
	return err
}
