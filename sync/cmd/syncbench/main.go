// Command syncbench measures the sync transport's figures (issue 7) on
// loopback and prints one markdown row per figure:
//
//	| figure | target | measured | ok/MISSED |
//
// Everything is real: SQLite files, the merge and scope rules, WebSocket
// connections. The idle-kiosk figure runs the hub in a child process (this
// program with -serve-hub) so that only the hub's CPU time is counted.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

func main() {
	serveHub := flag.String("serve-hub", "", "internal: serve the hub database in `dir` and print its URL")
	ping := flag.Duration("ping", 5*time.Second, "keep-alive interval of the idle-kiosk figure")
	runs := flag.Int("runs", 3, "runs per figure (the median is reported)")
	idle := flag.Int("idle", 1000, "kiosks of the idle figure")
	only := flag.String("only", "upload,latency,idle", "figures to measure (comma-separated)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measuring process to `file`")
	flag.Parse()
	want := func(name string) bool { return slices.Contains(strings.Split(*only, ","), name) }
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		fail("cpu profile", err)
		fail("cpu profile", pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	if *serveHub != "" {
		childHub(*serveHub, *ping)
		return
	}
	dir, err := os.MkdirTemp("", "syncbench-")
	fail("temp dir", err)
	defer os.RemoveAll(dir)
	ctx := context.Background()

	if want("upload") {
		uploadFigure(ctx, dir, *runs)
	}
	if want("latency") {
		latencyFigure(ctx, dir, *runs)
	}
	if want("idle") {
		cores := idleRun(ctx, filepath.Join(dir, "idle"), *idle, *ping)
		row(fmt.Sprintf("%d kiosks connected to one hub process, idle with keep-alives", *idle), "< 1 core busy",
			fmt.Sprintf("%.3f cores (pings every %s; median of 3 windows of 5 s)", cores, *ping), cores < 1)
	}
}

func uploadFigure(ctx context.Context, dir string, runs int) {
	var rates, shares []float64
	for i := 0; i < runs; i++ {
		rate, share := uploadRun(ctx, filepath.Join(dir, fmt.Sprintf("upload-%d", i)), 10_000)
		rates, shares = append(rates, rate), append(shares, share)
	}
	rate := median(rates)
	row("kiosk uploading 10,000 offline events, merged and acknowledged", "≥ 10,000 events/s",
		fmt.Sprintf("%.0f events/s (median of %d; %.0f%% of the time in merge.Accept)", rate, runs, 100*median(shares)), rate >= 10_000)
}

func latencyFigure(ctx context.Context, dir string, runs int) {
	var p99s, p50s []float64
	for i := 0; i < runs; i++ {
		p50, p99 := latencyRun(ctx, filepath.Join(dir, fmt.Sprintf("latency-%d", i)), 200)
		p50s, p99s = append(p50s, p50), append(p99s, p99)
	}
	p99 := median(p99s)
	row("hub event reaching a connected kiosk, p99", "< 50 ms",
		fmt.Sprintf("%.1f ms (p50 %.1f ms; median of %d runs of 200)", p99, median(p50s), runs), p99 < 50)
}

func row(figure, target, measured string, ok bool) {
	verdict := "ok"
	if !ok {
		verdict = "MISSED"
	}
	fmt.Printf("| %s | %s | %s | %s |\n", figure, target, measured, verdict)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
