package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	confsqlite "conference/hub/conferences/sqlite"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/sync/kioskclient"
	"conference/sync/merge"
	"conference/sync/protocol"
)

// kioskStore opens a kiosk's store with production durability.
func kioskStore(ctx context.Context, dir, id string) *sqlitestore.Store {
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "kiosk.db"), sqlitestore.Options{Node: id, Logger: quiet})
	fail("open kiosk store", err)
	return st
}

// recordCheckIns records n check-ins through the real domain, several at
// a time as a busy door desk would.
func recordCheckIns(ctx context.Context, st *sqlitestore.Store, kioskID string, conference uuid.UUID, n int) {
	repo := eventsourcing.NewRepository(st, merge.Registry(), onsite.NewAttendance)
	var wg sync.WaitGroup
	const workers = 8
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				seat := onsite.Seat{OrderID: ids.New(), Position: 1}
				fail("check in", repo.Update(ctx, onsite.AttendanceStreamID(seat), eventsourcing.Metadata{},
					func(a *onsite.Attendance) error {
						return a.CheckIn(onsite.CheckIn{ConferenceID: conference, Seat: seat, KioskID: kioskID, Staff: "bench"}, time.Now())
					}))
			}
		}()
	}
	wg.Wait()
}

// uploadRun: a kiosk with n events recorded offline connects; the time
// until the hub acknowledged the last one gives the rate.
func uploadRun(ctx context.Context, dir string, n int) (rate, mergeShare float64) {
	fail("mkdir", os.MkdirAll(dir, 0o755))
	h, err := setupHub(ctx, dir)
	fail("hub", err)
	defer h.close()
	fail("serve", h.serve(15*time.Second))
	id, cred, err := h.pair(ctx, "upload")
	fail("pair", err)
	st := kioskStore(ctx, dir, id)
	defer st.Close()
	recordCheckIns(ctx, st, id, h.conference, n)
	done := make(chan struct{})
	var once sync.Once
	c, err := kioskclient.New(kioskclient.Config{HubURL: h.url, KioskID: id, Credential: cred, Store: st, Apply: merge.ApplyDown,
		Logger: quiet, OnStatus: func(s kioskclient.Status) {
			if s.UpAcked >= int64(n) {
				once.Do(func() { close(done) })
			}
		}})
	fail("client", err)
	runCtx, cancel := context.WithCancel(ctx)
	start := time.Now()
	go c.Run(runCtx) //nolint:errcheck // ends with cancel
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		fail("upload", fmt.Errorf("not acknowledged after 2 minutes: %+v", c.Status()))
	}
	elapsed := time.Since(start)
	cancel()
	var stored int
	fail("count", h.store.DB().QueryRow(`SELECT count(DISTINCT event_id) FROM events WHERE origin = ?`, id).Scan(&stored))
	if stored != n {
		fail("upload", fmt.Errorf("hub stored %d of %d events", stored, n))
	}
	return float64(n) / elapsed.Seconds(), float64(h.mergeTime.Load()) / float64(elapsed)
}

// latencyRun: a connected, caught-up kiosk; the hub records one event of
// the kiosk's conference at a time; time from the hub's append call to the
// event committed in the kiosk's store.
func latencyRun(ctx context.Context, dir string, samples int) (p50, p99 float64) {
	fail("mkdir", os.MkdirAll(dir, 0o755))
	h, err := setupHub(ctx, dir)
	fail("hub", err)
	defer h.close()
	fail("serve", h.serve(15*time.Second))
	id, cred, err := h.pair(ctx, "latency")
	fail("pair", err)
	st := kioskStore(ctx, dir, id)
	defer st.Close()
	c, err := kioskclient.New(kioskclient.Config{HubURL: h.url, KioskID: id, Credential: cred, Store: st,
		Apply: merge.ApplyDown, Logger: quiet})
	fail("client", err)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go c.Run(runCtx) //nolint:errcheck // ends with cancel
	head, _ := h.store.Head(ctx)
	for s := c.Status(); !s.Online || s.DownCheckpoint < head; s = c.Status() {
		time.Sleep(time.Millisecond)
	}
	stream := eventstore.Stream{ID: "bench-" + h.conference.String(), Type: "bench.Ping"}
	var lat, appendTimes []time.Duration
	for i := 0; i < samples; i++ {
		kioskHead, _ := st.Head(ctx)
		data, _ := json.Marshal(map[string]any{"conference_id": h.conference, "n": i})
		start := time.Now()
		_, err := h.store.Append(ctx, stream, eventstore.AnyVersion, []eventstore.Event{{EventID: ids.New(), Type: "bench.Ping", Schema: 1, Data: data}})
		fail("hub append", err)
		appendTimes = append(appendTimes, time.Since(start))
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		fail("kiosk wait", st.WaitForAppend(wctx, kioskHead))
		wcancel()
		lat = append(lat, time.Since(start))
		time.Sleep(2 * time.Millisecond)
	}
	slices.Sort(lat)
	slices.Sort(appendTimes)
	if os.Getenv("SYNCBENCH_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, "latency p50 %s p99 %s max %s; hub append alone p50 %s p99 %s\n", lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1],
			appendTimes[len(lat)/2], appendTimes[len(lat)*99/100])
	}
	return ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100])
}

// idleRun: n kiosks hold a connection each to a hub in a child process,
// doing nothing but answer pings; the child's CPU time over a window says
// how busy the hub is.
func idleRun(ctx context.Context, dir string, n int, ping time.Duration) float64 {
	fail("mkdir", os.MkdirAll(dir, 0o755))
	h, err := setupHub(ctx, dir)
	fail("hub", err)
	type kiosk struct{ id, cred string }
	ks := make([]kiosk, n)
	for i := range ks {
		ks[i].id, ks[i].cred, err = h.pair(ctx, fmt.Sprintf("idle-%d", i))
		fail("pair", err)
	}
	head, _ := h.store.Head(ctx)
	h.close()

	self, err := os.Executable()
	fail("executable", err)
	child := exec.CommandContext(ctx, self, "-serve-hub", dir, "-ping", ping.String())
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	fail("pipe", err)
	fail("start hub", child.Start())
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	fail("hub url", err)
	wsURL := "ws" + strings.TrimPrefix(strings.TrimSpace(line), "http") + protocol.Path

	conns := make([]*websocket.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for _, k := range ks {
		hdr := http.Header{"Authorization": {"Bearer " + k.cred}}
		ws, _, err := websocket.DefaultDialer.Dial(wsURL, hdr)
		fail("dial", err)
		b, _ := protocol.Encode(protocol.Current, &protocol.Hello{Protocol: protocol.Current, KioskID: k.id, DownCheckpoint: head, Window: 4})
		fail("hello", ws.WriteMessage(websocket.TextMessage, b))
		_, _, err = ws.ReadMessage()
		fail("welcome", err)
		conns = append(conns, ws)
		// Reading is what answers pings (gorilla's default handler).
		go func() {
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)
	var cores []float64
	for i := 0; i < 3; i++ {
		before, t0 := cpuTime(child.Process.Pid), time.Now()
		time.Sleep(5 * time.Second)
		cores = append(cores, (cpuTime(child.Process.Pid)-before).Seconds()/time.Since(t0).Seconds())
	}
	return median(cores)
}

// cpuTime is a process's user+system CPU time from /proc (clock ticks of
// 1/100 s, the Linux default USER_HZ).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	fail("read /proc stat", err)
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// childHub serves the hub database in dir until killed.
func childHub(dir string, ping time.Duration) {
	ctx := context.Background()
	store, err := openHubStore(ctx, dir)
	fail("open hub", err)
	h := &hub{store: store, confs: confsqlite.New(store)}
	fail("registry", h.openRegistry())
	fail("serve", h.serve(ping))
	fmt.Println(h.url)
	select {}
}
