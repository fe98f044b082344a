// Command pgstorebench measures the PostgreSQL event store against the
// figures of the replicas issue and prints one markdown row per figure, the
// median of several runs, with the raw baseline measured in the same run.
//
// It starts its own throwaway PostgreSQL cluster (fsync on, as in
// production) from the machine's server binaries. Replicas are separate
// stores with their own pools; where a replica is killed, it is a child
// process (this binary again) killed with SIGKILL.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"conference/shared/eventstore"
	"conference/shared/eventstore/pgstore"
	"conference/shared/ids"
	"conference/shared/pgtest"
)

// payload is the size of a typical small domain event.
var payload = []byte(`{"order_id":"0192f0a4-7c1e-7d3a-9b1e-5f0c3e2a1b4c","conference_id":"0192f0a4-7c1e-7d3a-9b1e-5f0c3e2a1b4d","seats":[{"seat_type":"full","quantity":2}]}`)

func main() {
	runs := flag.Int("runs", 3, "runs per figure; the median is reported")
	child := flag.String("child", "", "internal: act as a replica (append|lease) on this database URL")
	writers := flag.Int("writers", 32, "internal: the child's writers")
	appends := flag.Int("appends", 50_000, "events appended per throughput run")
	flag.Parse()
	var err error
	if *child != "" {
		mode, url, _ := strings.Cut(*child, "@")
		err = runChild(mode, url, *writers)
	} else {
		err = run(*runs, *appends)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgstorebench:", err)
		os.Exit(1)
	}
}

func run(runs, appends int) error {
	ctx := context.Background()
	c, err := pgtest.Start(ctx, pgtest.Options{Fsync: true})
	if err != nil {
		return err
	}
	defer c.Stop()
	db := 0
	fresh := func() (string, error) {
		db++
		name := fmt.Sprintf("bench%d", db)
		return c.URL(name), c.Exec(ctx, "CREATE DATABASE "+name)
	}

	var rates, bases, ratios []float64
	for i := range runs {
		url, err := fresh()
		if err != nil {
			return err
		}
		rate, err := appendTwoReplicas(ctx, url, 64, appends)
		if err != nil {
			return err
		}
		rawURL, err := fresh()
		if err != nil {
			return err
		}
		base, err := rawBaseline(ctx, rawURL, 50_000)
		if err != nil {
			return err
		}
		rates, bases, ratios = append(rates, rate), append(bases, base), append(ratios, rate/base)
		fmt.Fprintf(os.Stderr, "append run %d: %.0f events/s, raw baseline %.0f rows/s\n", i+1, rate, base)
	}
	rate, ratio := median(rates), median(ratios)
	row("postgres: append, 64 writers x 1 event over 2 replicas", ">= 10,000 events/s and >= 0.3 of raw 50-row INSERTs",
		fmt.Sprintf("%.0f events/s; raw baseline %.0f rows/s; ratio %.2f", rate, median(bases), ratio), rate >= 10_000 && ratio >= 0.3)

	var p50s, p99s []float64
	for range runs {
		url, err := fresh()
		if err != nil {
			return err
		}
		p50, p99, err := singleLatency(ctx, url, 1000)
		if err != nil {
			return err
		}
		p50s, p99s = append(p50s, p50), append(p99s, p99)
	}
	row("postgres: single append, idle", "p50 < 2 ms, p99 < 10 ms",
		fmt.Sprintf("p50 %.2f ms, p99 %.2f ms", median(p50s), median(p99s)), median(p50s) < 2 && median(p99s) < 10)

	var wakes []float64
	for range runs {
		url, err := fresh()
		if err != nil {
			return err
		}
		p99, err := crossReplicaWake(ctx, url, 500)
		if err != nil {
			return err
		}
		wakes = append(wakes, p99)
	}
	row("postgres: append on replica A wakes a follower on replica B", "p99 < 50 ms",
		fmt.Sprintf("p99 %.1f ms", median(wakes)), median(wakes) < 50)

	var takeovers []float64
	for range runs {
		url, err := fresh()
		if err != nil {
			return err
		}
		d, err := leaseTakeover(ctx, url)
		if err != nil {
			return err
		}
		takeovers = append(takeovers, d.Seconds())
	}
	row("postgres: lease takeover after SIGKILL of its holder", "< 5 s",
		fmt.Sprintf("%.2f s", median(takeovers)), median(takeovers) < 5)

	url, err := fresh()
	if err != nil {
		return err
	}
	res, err := tailWithAKill(ctx, url, 100_000)
	if err != nil {
		return err
	}
	row("postgres: 100,000 events, 64 writers on 2 replicas, followers on both, one replica SIGKILLed mid-run",
		"0 skipped or duplicated positions, every acknowledged append present", res.String(), res.ok())
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

func open(ctx context.Context, url string) (*pgstore.Store, error) {
	return pgstore.Open(ctx, url, pgstore.Options{})
}

func event(st eventstore.Stream) eventstore.Event {
	return eventstore.Event{EventID: ids.New(), StreamID: st.ID, StreamType: st.Type, Type: "bench.Happened", Schema: 1, Data: payload}
}

// appendTwoReplicas runs writers goroutines spread over two stores on one
// database, each appending single events to its own stream.
func appendTwoReplicas(ctx context.Context, url string, writers, total int) (float64, error) {
	a, err := open(ctx, url)
	if err != nil {
		return 0, err
	}
	defer a.Close()
	b, err := open(ctx, url)
	if err != nil {
		return 0, err
	}
	defer b.Close()
	per := total / writers
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := time.Now()
	for w := range writers {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := eventstore.Stream{ID: fmt.Sprintf("order-%d", w), Type: "order"}
			for i := range per {
				if _, err := s.Append(ctx, st, int64(i), []eventstore.Event{event(st)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	sa, sb := a.Stats(), b.Stats()
	fmt.Fprintf(os.Stderr, "  groups: replica A %d for %d appends (%d raced), replica B %d for %d (%d raced), in %.1fs\n",
		sa.Groups, sa.Requests, sa.Raced, sb.Groups, sb.Requests, sb.Raced, elapsed.Seconds())
	return float64(per*writers) / elapsed.Seconds(), nil
}

// rawBaseline inserts the same rows as multi-row INSERTs of 50 into the
// same table and indexes, from two connections, without the counter lock,
// the checks or the notification: what PostgreSQL itself does on this
// machine.
func rawBaseline(ctx context.Context, url string, total int) (float64, error) {
	s, err := open(ctx, url) // creates the identical schema
	if err != nil {
		return 0, err
	}
	s.Close()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	var next atomic.Int64
	const group = 50
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	start := time.Now()
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				first := next.Add(group) - group
				if first >= int64(total) {
					return
				}
				rows := make([][]any, group)
				for i := range rows {
					pos := first + int64(i) + 1
					id := ids.New()
					rows[i] = []any{pos, id[:], fmt.Sprintf("order-%d", pos%64), "order", pos/64 + 1, "bench.Happened", int32(1), payload,
						"hub", pos, pos - 1, time.Now().UnixMilli() << 16, nil, nil, time.Now().UnixMilli()}
				}
				var sb strings.Builder
				args := make([]any, 0, group*15)
				sb.WriteString(`INSERT INTO events (position, event_id, stream_id, stream_type, stream_version, type, schema, data,
					origin, origin_seq, seen, hlc, correlation_id, causation_id, recorded_at) VALUES `)
				for i, r := range rows {
					if i > 0 {
						sb.WriteByte(',')
					}
					sb.WriteByte('(')
					for j := range r {
						if j > 0 {
							sb.WriteByte(',')
						}
						fmt.Fprintf(&sb, "$%d", len(args)+j+1)
					}
					sb.WriteByte(')')
					args = append(args, r...)
				}
				if _, err := pool.Exec(ctx, sb.String(), args...); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(total) / time.Since(start).Seconds(), nil
}

func singleLatency(ctx context.Context, url string, n int) (float64, float64, error) {
	s, err := open(ctx, url)
	if err != nil {
		return 0, 0, err
	}
	defer s.Close()
	st := eventstore.Stream{ID: "order-1", Type: "order"}
	lat := make([]float64, n)
	for i := range n {
		t0 := time.Now()
		if _, err := s.Append(ctx, st, int64(i), []eventstore.Event{event(st)}); err != nil {
			return 0, 0, err
		}
		lat[i] = float64(time.Since(t0).Microseconds()) / 1000
	}
	sort.Float64s(lat)
	return lat[n/2], lat[n*99/100], nil
}

// crossReplicaWake appends on A, one at a time, and times until a waiter
// on B is woken.
func crossReplicaWake(ctx context.Context, url string, n int) (float64, error) {
	a, err := open(ctx, url)
	if err != nil {
		return 0, err
	}
	defer a.Close()
	b, err := open(ctx, url)
	if err != nil {
		return 0, err
	}
	defer b.Close()
	st := eventstore.Stream{ID: "wake", Type: "order"}
	lat := make([]float64, n)
	for i := range n {
		head, err := b.Head(ctx)
		if err != nil {
			return 0, err
		}
		woke := make(chan time.Time, 1)
		go func() {
			if b.WaitForAppend(ctx, head) == nil {
				woke <- time.Now()
			}
		}()
		t0 := time.Now()
		if _, err := a.Append(ctx, st, int64(i), []eventstore.Event{event(st)}); err != nil {
			return 0, err
		}
		select {
		case at := <-woke:
			lat[i] = float64(at.Sub(t0).Microseconds()) / 1000
		case <-time.After(10 * time.Second):
			return 0, errors.New("a waiter on the other replica was never woken")
		}
	}
	sort.Float64s(lat)
	return lat[n*99/100], nil
}

// leaseTakeover: a child replica holds a lease; it is killed; how long
// until this process holds it?
func leaseTakeover(ctx context.Context, url string) (time.Duration, error) {
	s, err := open(ctx, url)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	cmd, lines, err := startChild("lease", url, 0)
	if err != nil {
		return 0, err
	}
	if line := <-lines; line != "held" {
		cmd.Process.Kill()
		cmd.Wait()
		return 0, fmt.Errorf("lease child said %q", line)
	}
	got := make(chan time.Time, 1)
	go func() {
		if _, err := s.Acquire(ctx, "bench"); err == nil {
			got <- time.Now()
		}
	}()
	t0 := time.Now()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	select {
	case at := <-got:
		return at.Sub(t0), nil
	case <-time.After(30 * time.Second):
		return 0, errors.New("lease never taken over")
	}
}

func startChild(mode, url string, writers int) (*exec.Cmd, <-chan string, error) {
	cmd := exec.Command(os.Args[0], "-child", mode+"@"+url, "-writers", fmt.Sprint(writers))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return cmd, lines, nil
}

// runChild is a replica in a child process: "lease" holds a lease until
// killed; "append" appends with writers goroutines, printing "ack <id>"
// for each acknowledged event, until killed.
func runChild(mode, url string, writers int) error {
	ctx := context.Background()
	s, err := open(ctx, url)
	if err != nil {
		return err
	}
	switch mode {
	case "lease":
		if _, err := s.Acquire(ctx, "bench"); err != nil {
			return err
		}
		fmt.Println("held")
		select {}
	case "append":
		var out sync.Mutex
		w := bufio.NewWriter(os.Stdout)
		for i := range writers {
			go func() {
				st := eventstore.Stream{ID: fmt.Sprintf("child-%d", i), Type: "order"}
				for v := int64(0); ; v++ {
					e := event(st)
					if _, err := s.Append(ctx, st, v, []eventstore.Event{e}); err != nil {
						fmt.Fprintln(os.Stderr, err)
						os.Exit(2)
					}
					out.Lock()
					fmt.Fprintf(w, "ack %s\n", e.EventID)
					w.Flush()
					out.Unlock()
				}
			}()
		}
		select {}
	}
	return fmt.Errorf("unknown child mode %q", mode)
}

type tailResult struct {
	events, acked, missing, skipped, duplicated, followersDisagree int
}

func (r tailResult) ok() bool {
	return r.missing == 0 && r.skipped == 0 && r.duplicated == 0 && r.followersDisagree == 0
}

func (r tailResult) String() string {
	return fmt.Sprintf("%d events read by each follower; %d acknowledged, %d missing; %d skipped, %d duplicated positions; followers disagree at %d",
		r.events, r.acked, r.missing, r.skipped, r.duplicated, r.followersDisagree)
}

// tailWithAKill: 32 writers here and 32 in a child replica append until
// total events are stored; followers on two replicas of this process read
// the log as it grows; the child is SIGKILLed midway. Then every position
// must be seen once by both followers, and every acknowledged event stored.
func tailWithAKill(ctx context.Context, url string, total int) (tailResult, error) {
	var res tailResult
	a, err := open(ctx, url)
	if err != nil {
		return res, err
	}
	defer a.Close()
	b, err := open(ctx, url)
	if err != nil {
		return res, err
	}
	defer b.Close()
	cmd, lines, err := startChild("append", url, 32)
	if err != nil {
		return res, err
	}
	acked := map[[16]byte]bool{}
	var ackMu sync.Mutex
	childDone := make(chan struct{})
	go func() {
		for l := range lines {
			if id, ok := strings.CutPrefix(l, "ack "); ok {
				u, err := parseID(id)
				if err == nil {
					ackMu.Lock()
					acked[u] = true
					ackMu.Unlock()
				}
			}
		}
		close(childDone)
	}()

	// Followers, on both in-process replicas.
	fctx, stopFollowers := context.WithCancel(ctx)
	defer stopFollowers()
	type seen struct {
		positions []int64
		ids       [][16]byte
		err       error
	}
	followers := make([]chan seen, 2)
	for i, s := range []*pgstore.Store{a, b} {
		followers[i] = make(chan seen, 1)
		go func() {
			var out seen
			var after int64
			for {
				page, err := s.ReadLog(fctx, after, 1000)
				if err != nil {
					if fctx.Err() == nil {
						out.err = err
					}
					break
				}
				if len(page) == 0 {
					if s.WaitForAppend(fctx, after) != nil {
						break
					}
					continue
				}
				for _, e := range page {
					out.positions = append(out.positions, e.Position)
					out.ids = append(out.ids, e.EventID)
				}
				after = page[len(page)-1].Position
			}
			followers[i] <- out
		}()
	}

	var stored atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	killed := false
	for w := range 32 {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := eventstore.Stream{ID: fmt.Sprintf("parent-%d", w), Type: "order"}
			for v := int64(0); ; v++ {
				head, _ := s.Head(ctx)
				if head >= int64(total) {
					return
				}
				e := event(st)
				if _, err := s.Append(ctx, st, v, []eventstore.Event{e}); err != nil {
					errs <- err
					return
				}
				ackMu.Lock()
				acked[e.EventID] = true
				ackMu.Unlock()
				stored.Add(1)
			}
		}()
	}
	for !killed {
		head, err := a.Head(ctx)
		if err != nil {
			return res, err
		}
		if head >= int64(total)/2 {
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			killed = true
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return res, err
	}
	<-childDone
	head, err := a.Head(ctx)
	if err != nil {
		return res, err
	}
	// Let the followers reach the head, then stop them.
	deadline := time.Now().Add(30 * time.Second)
	for {
		evs, err := b.ReadLog(ctx, head-1, 1)
		if err == nil && len(evs) == 1 && a.WaitForAppend(ctx, head-1) == nil {
			break
		}
		if time.Now().After(deadline) {
			return res, errors.New("followers never reached the head")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // followers drain their last page
	stopFollowers()
	var logs [2]seen
	for i := range logs {
		logs[i] = <-followers[i]
		if logs[i].err != nil {
			return res, logs[i].err
		}
	}
	res.events = len(logs[0].positions)
	for _, l := range logs {
		seenPos := map[int64]bool{}
		for i, p := range l.positions {
			if seenPos[p] {
				res.duplicated++
			}
			seenPos[p] = true
			if i > 0 && p != l.positions[i-1]+1 && p > l.positions[i-1] {
				res.skipped += int(p - l.positions[i-1] - 1)
			}
		}
		if len(l.positions) > 0 && l.positions[0] != 1 {
			res.skipped += int(l.positions[0] - 1)
		}
		if int64(len(seenPos)) < head {
			res.skipped += int(head) - len(seenPos)
		}
	}
	for i := range min(len(logs[0].ids), len(logs[1].ids)) {
		if logs[0].ids[i] != logs[1].ids[i] {
			res.followersDisagree++
		}
	}
	inLog := map[[16]byte]bool{}
	for _, id := range logs[0].ids {
		inLog[id] = true
	}
	res.acked = len(acked)
	for id := range acked {
		if !inLog[id] {
			res.missing++
		}
	}
	return res, nil
}

func parseID(s string) ([16]byte, error) { return uuid.Parse(s) }
