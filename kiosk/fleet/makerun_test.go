package fleet_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"conference/shared/webui/webuitest"
)

// TestMakeRun runs `make run` as a person would (the Makefile builds the
// binaries, starts the hub with the demo, pairs the kiosk with the code the
// hub wrote and starts it) and walks the path: the kiosk receives the demo
// attendees, staff check one in on the kiosk's screen, the check-in
// reaches the hub's check-in page, and kiosk and hub agree by digest
// (status bar, `kiosk status` while it serves, the organizer's kiosk
// list). Ctrl-C (SIGINT to the process group) stops both.
func TestMakeRun(t *testing.T) {
	requireTools(t, "make")
	root := moduleRoot(t)
	data, bin := t.TempDir(), t.TempDir()
	hubAddr, kioskAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command("make", "-s", "run", "HUB_ADDR="+hubAddr, "KIOSK_ADDR="+kioskAddr, "DATA="+data, "BIN="+bin, "KIOSK_PIN="+pin)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "HUB_LOG_LEVEL=warn", "KIOSK_LOG_LEVEL=warn")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &lines{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- cmd.Wait() }()
	stop := func() error {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case err := <-stopped:
			return err
		case <-time.After(30 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			return fmt.Errorf("make run did not stop within 30 s of Ctrl-C:\n%s", out)
		}
	}
	defer func() {
		if t.Failed() {
			t.Logf("make run said:\n%s", out)
		}
	}()
	t.Cleanup(func() { stop() })

	// The build may take a while on a cold cache.
	out.wait(t, 5*time.Minute, "door-staff UI:")
	hub, kioskURL := "http://"+hubAddr, "http://"+kioskAddr
	if !strings.Contains(out.String(), "paired as kiosk") {
		t.Fatalf("the kiosk was not paired:\n%s", out)
	}
	out.wait(t, time.Minute, "demo attendees:")

	// Every address make run prints answers (a redirect to a sign-in or
	// unlock page counts: it is followed).
	printed := regexp.MustCompile(`http://[^\s)]+`).FindAllString(out.String(), -1)
	if len(printed) < 5 {
		t.Fatalf("make run printed %d addresses:\n%s", len(printed), out)
	}
	for _, u := range printed {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatalf("%s, printed by make run: %v", u, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s, printed by make run: status %d", u, resp.StatusCode)
		}
	}
	t.Logf("each address make run printed answers: %s", strings.Join(printed, " "))

	// The kiosk has the demo's attendees; `kiosk status` asks the
	// running kiosk for them.
	var st kioskStatus
	waitFor(t, time.Minute, "the attendees at the kiosk, in sync", func() error {
		var err error
		if st, err = kioskStatusJSON(filepath.Join(bin, "kiosk"), filepath.Join(data, "kiosk.db")); err != nil {
			return err
		}
		if st.Stats.Attendees < 200 || st.Stats.CheckedIn == 0 || !st.Convergence.inSync() {
			return fmt.Errorf("kiosk status %+v", st)
		}
		return nil
	})
	checkedBefore := st.Stats.CheckedIn

	// Staff unlock the kiosk and check in someone not in yet.
	staff := webuitest.NewBrowser(t, kioskURL, "kiosk_csrf", "/unlock")
	staff.Post("/unlock", url.Values{"staff": {"Rita"}, "pin": {pin}}).WantRedirect(t, "/")
	bar := staff.Get("/status-bar?here=/").Want(t, http.StatusOK, "In sync")
	if !strings.Contains(bar.Body, "Demo door") {
		t.Fatalf("status bar without the kiosk's name:\n%s", bar.Body)
	}
	found := staff.Get("/?q="+url.QueryEscape("Μαρία")).Want(t, http.StatusOK)
	var checked string
	for _, link := range regexp.MustCompile(`/attendees/[0-9a-f-]{36}/[0-9]+`).FindAllString(found.Body, -1) {
		page := staff.Get(link).Want(t, http.StatusOK, "Μαρία")
		if strings.Contains(page.Body, `action="`+link+`/check-in"`) {
			staff.Post(link+"/check-in", nil).WantRedirect(t, link)
			checked = link
			break
		}
	}
	if checked == "" {
		t.Fatalf("no Μαρία left to check in among:\n%s", found.Body)
	}
	staff.Get(checked).Want(t, http.StatusOK, "Here")

	// The check-in reaches the hub: the organizer's check-in page counts
	// it, and the kiosk list says the kiosk is in sync.
	org := webuitest.NewBrowser(t, hub, "hub_csrf", "/org/signin")
	org.Post("/org/signin", url.Values{"email": {"demo@example.com"}, "password": {"demo-password"}}).WantRedirect(t, "/org")
	conf := regexp.MustCompile(`/org/conferences/([0-9a-f-]{36})`).FindStringSubmatch(org.Get("/org").Want(t, http.StatusOK).Body)
	if conf == nil {
		t.Fatal("no conference on the organizer's home page")
	}
	counted := regexp.MustCompile(`<strong data-k="checked_in">(\d+)</strong>`)
	waitFor(t, time.Minute, "the check-in at the hub", func() error {
		page := org.Get("/org/conferences/"+conf[1]+"/attendance").Want(t, http.StatusOK)
		m := counted.FindStringSubmatch(page.Body)
		if m == nil || m[1] != fmt.Sprint(checkedBefore+1) {
			return fmt.Errorf("checked in at the hub: %v, want %d", m, checkedBefore+1)
		}
		return nil
	})
	waitFor(t, time.Minute, "the kiosk in sync on the organizer's list", func() error {
		if page := org.Get("/org/conferences/"+conf[1]+"/kiosks").Want(t, http.StatusOK); !strings.Contains(page.Body, ">in sync</span>") {
			return fmt.Errorf("kiosk list without 'in sync'")
		}
		return nil
	})

	// The recipe's trap ends its whole process group, make included, so
	// make's own exit status says little: what counts is that both
	// servers are gone and their databases stay.
	var exit *exec.ExitError
	if err := stop(); err != nil && !errors.As(err, &exit) {
		t.Fatalf("make run after Ctrl-C: %v", err)
	}
	for _, addr := range []string{hubAddr, kioskAddr} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still answers after Ctrl-C", addr)
		}
	}
	for _, p := range []string{filepath.Join(data, "hub.db"), filepath.Join(data, "kiosk.db")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
}

// kioskStatus is what the test reads of `kiosk status --json`.
type kioskStatus struct {
	Stats       struct{ Attendees, CheckedIn int }
	Convergence convergence
	Digests     map[string]map[string]string
}

type convergence struct {
	CheckedAt time.Time
	Differs   []string
}

func (c convergence) inSync() bool { return !c.CheckedAt.IsZero() && len(c.Differs) == 0 }

func kioskStatusJSON(kiosk, db string) (kioskStatus, error) {
	var st kioskStatus
	out, err := exec.Command(kiosk, "status", "--json", "--db", db).CombinedOutput()
	if err != nil {
		return st, fmt.Errorf("kiosk status: %v: %s", err, out)
	}
	return st, json.Unmarshal(out, &st)
}

func waitFor(t *testing.T, within time.Duration, what string, ok func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := ok()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// freeAddr is a loopback address nobody listens on just now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// lines collects what a process prints, for waiting on a line.
type lines struct{ lockedBuffer }

func (l *lines) wait(t *testing.T, within time.Duration, text string) {
	t.Helper()
	waitFor(t, within, "make run printing "+text, func() error {
		if strings.Contains(l.String(), text) {
			return nil
		}
		return fmt.Errorf("not yet")
	})
}
