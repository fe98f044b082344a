package chaos

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ack is one action a child confirmed: "ack <kind> <fields...>".
type ack struct {
	node   string
	kind   string
	fields []string
}

// proc is one node (hub or kiosk) of the run: a child process, restarted
// as a new incarnation after each kill.
type proc struct {
	h   *harness
	cfg childConfig
	// extra is handed to the child as fd 3 onwards (the hub's listener).
	extra []*os.File

	mu          sync.Mutex
	cmd         *exec.Cmd
	stdin       io.WriteCloser
	done        chan struct{} // closed when the incarnation is gone
	expectExit  bool          // killed or stopped by the harness
	exitErr     error
	incarnation int
	quiet       bool
	state       json.RawMessage
	stateAt     time.Time
	stderr      *tail
}

// start runs a new incarnation and waits (bounded) for its "ready".
func (p *proc) start(quiet bool) error {
	p.mu.Lock()
	p.incarnation++
	cfg := p.cfg
	cfg.Seed = p.cfg.Seed*1_000_003 + uint64(p.incarnation)
	cfg.Quiet = quiet
	raw, err := json.Marshal(cfg)
	if err != nil {
		p.mu.Unlock()
		return err
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	cmd.ExtraFiles = p.extra
	if p.stderr == nil {
		p.stderr = &tail{max: 16 << 10}
	}
	fmt.Fprintf(p.stderr, "--- %s incarnation %d\n", cfg.Name, p.incarnation)
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err == nil {
		p.stdin, err = cmd.StdinPipe()
	}
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		p.mu.Unlock()
		return fmt.Errorf("start %s: %w", cfg.Name, err)
	}
	p.cmd, p.done, p.expectExit, p.exitErr, p.quiet, p.state = cmd, make(chan struct{}), false, nil, quiet, nil
	done := p.done
	p.mu.Unlock()

	ready := make(chan struct{})
	go p.read(cmd, stdout, ready, done)
	select {
	case <-ready:
		return nil
	case <-done:
		return fmt.Errorf("%s exited before it was ready: %v\n%s", cfg.Name, p.exitError(), p.stderr)
	case <-time.After(p.h.timing.ready):
		p.kill()
		return fmt.Errorf("%s not ready after %s\n%s", cfg.Name, p.h.timing.ready, p.stderr)
	}
}

// read follows one incarnation's stdout until it exits.
func (p *proc) read(cmd *exec.Cmd, stdout io.Reader, ready, done chan struct{}) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	readyOnce := sync.Once{}
	for sc.Scan() {
		line := sc.Text()
		word, rest, _ := strings.Cut(line, " ")
		switch word {
		case "ready":
			readyOnce.Do(func() { close(ready) })
		case "ack":
			f := strings.Fields(rest)
			if len(f) > 0 {
				p.h.addAck(ack{node: p.cfg.Name, kind: f[0], fields: f[1:]})
			}
		case "quiet":
			p.mu.Lock()
			p.quiet = true
			p.mu.Unlock()
		case "state":
			p.mu.Lock()
			p.state, p.stateAt = json.RawMessage(rest), time.Now()
			p.mu.Unlock()
		default:
			fmt.Fprintf(p.stderr, "stdout: %s\n", line)
		}
	}
	err := cmd.Wait()
	p.mu.Lock()
	p.exitErr = err
	expected := p.expectExit
	p.mu.Unlock()
	if !expected {
		p.h.fail(fmt.Errorf("%s exited on its own (%v):\n%s", p.cfg.Name, err, p.stderr))
	}
	close(done)
}

func (p *proc) exitError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitErr
}

// kill SIGKILLs the running incarnation and waits until it is gone.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.expectExit = true
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck // gone already is fine
	<-done
}

// stop asks the running incarnation to shut down (SIGTERM) and requires a
// clean exit within the bound.
func (p *proc) stop(within time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.expectExit = true
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return fmt.Errorf("%s was not running at stop: %v", p.cfg.Name, p.exitError())
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop %s: %w", p.cfg.Name, err)
	}
	select {
	case <-done:
	case <-time.After(within):
		p.kill()
		return fmt.Errorf("%s did not stop within %s of SIGTERM; killed\n%s", p.cfg.Name, within, p.stderr)
	}
	if err := p.exitError(); err != nil {
		return fmt.Errorf("%s stopped with %v\n%s", p.cfg.Name, err, p.stderr)
	}
	return nil
}

// tellQuiet stops the child's actor; the child answers "quiet".
func (p *proc) tellQuiet() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stdin != nil {
		io.WriteString(p.stdin, "quiet\n") //nolint:errcheck // a dead child is noticed elsewhere
	}
}

func (p *proc) isQuiet() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.quiet
}

// lastState decodes the newest state line into v; false before the first.
func (p *proc) lastState(v any) bool {
	p.mu.Lock()
	raw := p.state
	p.mu.Unlock()
	return raw != nil && json.Unmarshal(raw, v) == nil
}

// tail keeps the last max bytes written to it (a child's stderr).
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
