//go:build e2e

package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"conference/kiosk"
	"conference/kiosk/kiosktest"
	"conference/shared/onsite"
	"conference/shared/webui/webuitest"
)

// The browser tests drive a real `kiosk serve` process, built once from
// kiosk/cmd/kiosk. The kiosk holds a lock on its database while it runs,
// so fixtures are written before it starts, and a change "from elsewhere"
// mid-test stops it, writes, and starts it again on the same address.

var (
	binDir   string
	buildBin sync.Once
	binPath  string
	binErr   error
)

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "kiosk-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// kioskBinary builds the kiosk command on first use.
func kioskBinary(t testing.TB) string {
	t.Helper()
	buildBin.Do(func() {
		binPath = filepath.Join(binDir, "kiosk")
		out, err := exec.Command("go", "build", "-o", binPath, "conference/kiosk/cmd/kiosk").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build kiosk: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// venue is a kiosk database with the door fixtures and the kiosk process
// serving it.
type venue struct {
	t       testing.TB
	ctx     context.Context
	db      string
	keys    kiosktest.Keys
	hubSeq  int64     // the stand-in hub's last origin_seq in the database
	hubNow  time.Time // its clock, kept moving forward across restarts
	annO    kiosktest.Order
	mallory kiosktest.Order
	flags   []string
	url     string // fixed by the first start, kept by restarts
	proc    *exec.Cmd
	exited  chan error
	out     bytes.Buffer // the process's stdout and stderr
	outMu   sync.Mutex
}

// newVenue writes a paired kiosk database (hub-less: its hub address does
// not resolve, so the kiosk is offline) with the door fixtures, and starts
// `kiosk serve` on it with extra flags.
func newVenue(t testing.TB, flags ...string) *venue {
	t.Helper()
	v := &venue{t: t, ctx: context.Background(), db: filepath.Join(t.TempDir(), "kiosk.db"), flags: flags,
		hubNow: time.Now().UTC().Add(-24 * time.Hour)}
	var err error
	v.keys, err = kiosktest.NewKeys(kioskID, time.Now())
	must(t, err)
	must(t, kiosktest.Pair(v.ctx, v.db, kioskID, confID, v.keys))
	v.change(func(h *kiosktest.Hub) { v.annO, v.mallory = seedDoor(t, v.ctx, h); nameKiosks(t, v.ctx, h) })
	v.start()
	return v
}

// change opens the stopped kiosk's database and lets the stand-in hub
// append to it, as the sync client would have.
func (v *venue) change(hub func(h *kiosktest.Hub)) {
	v.t.Helper()
	v.withKiosk(func(k *kiosk.Kiosk) {
		h := kiosktest.NewHub(k.Store(), v.hubSeq)
		h.Now = v.hubNow
		hub(h)
		v.hubSeq, v.hubNow = h.Seq(), h.Now.Add(time.Minute)
		must(v.t, k.Refresh(v.ctx))
	})
}

// withKiosk opens the database of the stopped kiosk.
func (v *venue) withKiosk(f func(k *kiosk.Kiosk)) {
	v.t.Helper()
	if v.proc != nil {
		v.t.Fatal("the kiosk process holds its database: stop it first")
	}
	k, err := kiosk.Open(v.ctx, kiosk.Config{Path: v.db, Logger: quiet})
	must(v.t, err)
	defer func() { must(v.t, k.Close()) }()
	f(k)
}

type lockedWriter struct {
	v *venue
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.v.outMu.Lock()
	defer w.v.outMu.Unlock()
	return w.v.out.Write(p)
}

func (v *venue) output() string {
	v.outMu.Lock()
	defer v.outMu.Unlock()
	return v.out.String()
}

var listening = regexp.MustCompile(`kiosk listening on (http://\S+)`)

// start runs `kiosk serve` and waits until /healthz answers.
func (v *venue) start() {
	v.t.Helper()
	addr := "127.0.0.1:0"
	if v.url != "" {
		addr = v.url[len("http://"):]
	}
	args := append([]string{"serve", "--db", v.db, "--addr", addr, "--log-level", "warn"}, v.flags...)
	cmd := exec.Command(kioskBinary(v.t), args...)
	cmd.Env = append(os.Environ(), "KIOSK_PRINTER=") // badges go to the browser
	v.outMu.Lock()
	v.out.Reset()
	v.outMu.Unlock()
	cmd.Stdout, cmd.Stderr = lockedWriter{v}, lockedWriter{v}
	must(v.t, cmd.Start())
	v.proc, v.exited = cmd, make(chan error, 1)
	go func(exited chan<- error) { exited <- cmd.Wait() }(v.exited)
	v.t.Cleanup(func() {
		if v.proc == cmd {
			cmd.Process.Kill()
			<-v.exited
			v.proc = nil
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for v.url == "" {
		if m := listening.FindStringSubmatch(v.output()); m != nil {
			v.url = m[1]
			break
		}
		v.failIfGone(deadline, "to listen")
		time.Sleep(20 * time.Millisecond)
	}
	c := &http.Client{Timeout: time.Second}
	for {
		resp, err := c.Get(v.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		v.failIfGone(deadline, "to answer /healthz")
		time.Sleep(50 * time.Millisecond)
	}
}

func (v *venue) failIfGone(deadline time.Time, what string) {
	v.t.Helper()
	select {
	case err := <-v.exited:
		v.exited <- err
		v.t.Fatalf("kiosk exited (%v) before starting:\n%s", err, v.output())
	default:
	}
	if time.Now().After(deadline) {
		v.t.Fatalf("kiosk took too long %s:\n%s", what, v.output())
	}
}

// stop sends SIGTERM and wants a clean exit (status 0) within 15 s.
func (v *venue) stop() {
	v.t.Helper()
	if v.proc == nil {
		return
	}
	must(v.t, v.proc.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-v.exited:
		v.proc = nil
		if err != nil {
			v.t.Fatalf("kiosk stopped with %v:\n%s", err, v.output())
		}
	case <-time.After(15 * time.Second):
		v.t.Fatalf("kiosk did not stop on SIGTERM:\n%s", v.output())
	}
}

// checkInElsewhere stops the kiosk, records another kiosk's check-in the
// hub relayed, and starts the kiosk again.
func (v *venue) checkInElsewhere(seat onsite.Seat, otherKiosk, staff string) {
	v.t.Helper()
	v.stop()
	v.change(func(h *kiosktest.Hub) {
		must(v.t, h.Append(v.ctx, onsite.AttendanceStreamID(seat), "onsite.Attendance",
			onsite.AttendeeCheckedIn{ConferenceID: confID, OrderID: seat.OrderID, Position: seat.Position, KioskID: otherKiosk, Staff: staff, At: time.Now().UTC().Add(-10 * time.Minute)}))
	})
	v.start()
}

// ownEvents stops the kiosk and counts its own recorded events of a type.
func (v *venue) ownEvents(typ string) int {
	v.t.Helper()
	v.stop()
	n := 0
	v.withKiosk(func(k *kiosk.Kiosk) {
		evs, err := k.OwnEventsAfter(v.ctx, 0, 10000)
		must(v.t, err)
		for _, e := range evs {
			if e.Type == typ {
				n++
			}
		}
	})
	return n
}

// desk gives the token helpers of the in-process tests the venue's keys.
func (v *venue) desk() *desk {
	return &desk{t: v.t, ctx: v.ctx, keys: v.keys, clock: webuitest.NewClock(time.Now())}
}
