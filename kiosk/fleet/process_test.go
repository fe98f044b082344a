package fleet_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/server"
	"conference/kiosk"
	"conference/shared/webui/webuitest"
	"conference/sync/faultproxy"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

const pin = "2468"

var (
	buildOnce sync.Once
	binPath   string
	binErr    error
)

// kioskBinary builds kiosk/cmd/kiosk once per test run.
func kioskBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fleet-kiosk-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "kiosk")
		if out, err := exec.Command("go", "build", "-o", binPath, "conference/kiosk/cmd/kiosk").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build kiosk: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (CI installs it: see .ci/run)", tool)
		}
	}
}

// hub is a hub serving HTTP on loopback, in this process: the kiosks are
// the processes under test.
type hub struct {
	*hubapp.Hub
	url string
	fx  hubtest.Fixture
}

func startHub(t *testing.T) *hub {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h, err := hubapp.Open(ctx, hubapp.Config{DB: filepath.Join(t.TempDir(), "hub.db"), Logger: discard, BusPoll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- h.Run(ctx) }()
	handler, err := server.New(h)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(handler)
	t.Cleanup(func() {
		hs.Close()
		cancel()
		<-ran
		h.Close()
	})
	return &hub{Hub: h, url: hs.URL, fx: hubtest.PublishedConference(t, h)}
}

// door is a kiosk process; its link to the hub goes through a proxy the
// test can cut, like a venue network.
type door struct {
	t      *testing.T
	name   string
	id     string
	db     string
	proxy  *faultproxy.Proxy
	url    string
	cmd    *exec.Cmd
	exited chan error
	out    *lockedBuffer
	staff  *webuitest.Browser
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// pairDoor creates a kiosk at the hub, pairs a new database with
// `kiosk pair`, and points the kiosk at a proxy of its own.
func pairDoor(t *testing.T, h *hub, name string) *door {
	t.Helper()
	ctx := context.Background()
	created, err := h.Kiosks.CreateKiosk(ctx, h.fx.OrganizerID, h.fx.ConferenceID, name)
	if err != nil {
		t.Fatal(err)
	}
	d := &door{t: t, name: name, db: filepath.Join(t.TempDir(), "kiosk.db")}
	out, err := exec.Command(kioskBinary(t), "pair", "--hub", h.url, "--code", created.PairingCode, "--pin", pin, "--db", d.db).CombinedOutput()
	if err != nil {
		t.Fatalf("kiosk pair %s: %v\n%s", name, err, out)
	}
	u, _ := url.Parse(h.url)
	if d.proxy, err = faultproxy.Start(u.Host, faultproxy.Faults{}, 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.proxy.Close() })
	k, err := kiosk.Open(ctx, kiosk.Config{Path: d.db, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := k.Identity()
	id.HubURL = "http://" + d.proxy.Addr()
	err = k.SaveIdentity(ctx, id)
	k.Close()
	if err != nil {
		t.Fatal(err)
	}
	d.id = id.KioskID
	return d
}

var listening = regexp.MustCompile(`kiosk listening on (http://\S+)`)

// start runs `kiosk serve` and signs a member of staff in.
func (d *door) start() {
	t := d.t
	t.Helper()
	addr := "127.0.0.1:0"
	if d.url != "" {
		addr = strings.TrimPrefix(d.url, "http://")
	}
	d.out = &lockedBuffer{}
	d.cmd = exec.Command(kioskBinary(t), "serve", "--db", d.db, "--addr", addr, "--log-level", "warn")
	d.cmd.Env = append(os.Environ(), "KIOSK_PRINTER=") // badges come back as PDF
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd, exited := d.cmd, make(chan error, 1)
	d.exited = exited
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if d.cmd == cmd {
			d.stop()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for d.url == "" {
		if m := listening.FindStringSubmatch(d.out.String()); m != nil {
			d.url = m[1]
		}
		d.alive(deadline)
	}
	for {
		resp, err := http.Get(d.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		d.alive(deadline)
	}
	d.staff = webuitest.NewBrowser(t, d.url, "kiosk_csrf", "/unlock")
	d.staff.Post("/unlock", url.Values{"staff": {"Rita"}, "pin": {pin}}).WantRedirect(t, "/")
}

func (d *door) alive(deadline time.Time) {
	d.t.Helper()
	select {
	case err := <-d.exited:
		d.exited <- err
		d.t.Fatalf("kiosk %s exited (%v):\n%s", d.name, err, d.out.String())
	default:
	}
	if time.Now().After(deadline) {
		d.t.Fatalf("kiosk %s did not start in time:\n%s", d.name, d.out.String())
	}
	time.Sleep(20 * time.Millisecond)
}

// stop ends the process with SIGTERM, as an operator would.
func (d *door) stop() {
	d.t.Helper()
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(15 * time.Second):
		d.cmd.Process.Kill()
		<-d.exited
		d.t.Errorf("kiosk %s did not stop on SIGTERM", d.name)
	}
	d.cmd = nil
}

// knows waits until the kiosk's attendee list has seat's attendee.
func (d *door) knows(seat, name string) {
	d.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := d.staff.Get("/attendees/" + seat)
		if p.Status == http.StatusOK && strings.Contains(p.Body, name) {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("kiosk %s never listed %s (%s): status %d", d.name, name, seat, p.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var badgeLink = regexp.MustCompile(`/receipts/[A-Za-z0-9_-]+/badge\.pdf`)

// print prints seat's badge at the kiosk and returns what a scanner reads
// from the PDF's QR code, rasterised at a label printer's 203 dpi.
func (d *door) print(seat string) string {
	t := d.t
	t.Helper()
	receipt := d.staff.Follow(d.staff.Post("/attendees/"+seat+"/print", nil).WantRedirect(t, "/receipts/"))
	link := badgeLink.FindString(receipt.Body)
	if link == "" {
		t.Fatalf("kiosk %s: no badge PDF on the receipt:\n%s", d.name, webuitest.Excerpt(receipt.Body))
	}
	pdf := d.staff.Get(link).Want(t, http.StatusOK)
	dir := t.TempDir()
	path := filepath.Join(dir, "badge.pdf")
	if err := os.WriteFile(path, []byte(pdf.Body), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "203", "-gray", "-png", path, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pages) != 1 {
		t.Fatalf("badge PDF has %d pages, want 1", len(pages))
	}
	out, err := exec.Command("zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", pages[0]).Output()
	codes := strings.Split(strings.TrimRight(string(out), "\n"), "\n") // a token may hold spaces, never a newline
	if err != nil || len(codes) != 1 || codes[0] == "" {
		t.Fatalf("zbarimg read %q from the badge (%v)", out, err)
	}
	return codes[0]
}

// scan scans a badge at the kiosk's verify screen and returns the
// verdict's page (the scan answers with a redirect to it, so a reload
// never scans twice).
func (d *door) scan(code string) webuitest.Page {
	d.t.Helper()
	return d.staff.Follow(d.staff.Post("/scan", url.Values{"code": {code}}).WantRedirect(d.t, "/scans/")).Want(d.t, http.StatusOK)
}
