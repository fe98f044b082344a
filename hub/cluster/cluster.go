// Package cluster runs a hub the way an operator who outgrew one machine
// would: PostgreSQL, several hub replicas sharing it, and HAProxy in front
// with active health checks and WebSocket tunnels. The failover test and
// `make run-cluster` start it; every part is a real process on loopback,
// and a replica can be killed (SIGKILL) and started again on its port.
package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"conference/shared/pgtest"
)

// Options configure a cluster.
type Options struct {
	// DB is the PostgreSQL URL every replica uses.
	DB string
	// Replicas is how many hub replicas run (2 when zero).
	Replicas int
	// Hub makes the command that runs one replica: the hub binary (or a
	// test binary acting as one) with args appended.
	Hub func(args ...string) *exec.Cmd
	// Dir holds HAProxy's configuration and every process's log.
	Dir string
	// Addr is HAProxy's listen address (127.0.0.1:0 picks a free port).
	Addr string
	// ExtraArgs are added to every replica's command line.
	ExtraArgs []string
	// FirstArgs are added to the first replica's only (--demo: one
	// replica seeds, the others find it seeded).
	FirstArgs []string
	// Env is added to every replica's environment.
	Env []string
	// Output receives each replica's stdout, line by line, prefixed with
	// its name; nil discards it.
	Output io.Writer
}

// Cluster is a running set of replicas behind HAProxy.
type Cluster struct {
	opts     Options
	URL      string // HAProxy's, what clients use
	Replicas []*Replica
	haproxy  *HAProxy
	outMu    sync.Mutex
}

// Replica is one hub process on a fixed port.
type Replica struct {
	Name string
	Addr string
	URL  string
	c    *Cluster
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the process exits
}

// Start starts the replicas, waits until each answers /healthz, then starts
// HAProxy in front of them and waits until it routes.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Replicas <= 0 {
		opts.Replicas = 2
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	c := &Cluster{opts: opts}
	for i := range opts.Replicas {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		r := &Replica{Name: fmt.Sprintf("hub%d", i+1), Addr: addr, URL: "http://" + addr, c: c}
		c.Replicas = append(c.Replicas, r)
	}
	// The first replica migrates the schema (and seeds a demo) alone;
	// the others then start together.
	for i, r := range c.Replicas {
		if err := r.Start(ctx); err != nil {
			c.Stop()
			return nil, err
		}
		if i == 0 {
			if err := r.WaitHealthy(ctx); err != nil {
				c.Stop()
				return nil, err
			}
		}
	}
	for _, r := range c.Replicas {
		if err := r.WaitHealthy(ctx); err != nil {
			c.Stop()
			return nil, err
		}
	}
	if err := c.startHAProxy(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("cluster: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// haproxyConfig follows ../shared/notes/postgres-scaleout.md: active HTTP
// checks of /healthz every 500 ms (two failures take a replica out, one
// success puts it back), leastconn, and a tunnel timeout for kiosks'
// WebSockets (the hub pings them every 15 s).
const haproxyConfig = `global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout tunnel 1h
  timeout client-fin 5s
  option redispatch
  retries 2
frontend hub
  bind %s
  default_backend hubs
backend hubs
  balance leastconn
  option httpchk GET /healthz
  http-check expect status 200
  default-server inter 500ms fall 2 rise 1
%s`

func (c *Cluster) startHAProxy(ctx context.Context) error {
	backends := make([]string, len(c.Replicas))
	for i, r := range c.Replicas {
		backends[i] = r.Addr
	}
	hp, err := StartHAProxy(ctx, c.opts.Dir, c.opts.Addr, backends)
	if err != nil {
		return err
	}
	c.haproxy, c.URL = hp, hp.URL
	return nil
}

// HAProxy is a running HAProxy in front of hub replicas.
type HAProxy struct {
	URL  string
	Addr string
	cmd  *exec.Cmd
	done chan struct{} // closed when it exits
}

// StartHAProxy runs HAProxy listening on addr (host:0 picks a port) in
// front of the backends (host:port each), with its configuration and log
// in dir, and waits until it routes to a healthy backend.
func StartHAProxy(ctx context.Context, dir, addr string, backends []string) (*HAProxy, error) {
	if addr == "" || strings.HasSuffix(addr, ":0") {
		a, err := freeAddr()
		if err != nil {
			return nil, err
		}
		addr = a
	}
	var servers strings.Builder
	for i, b := range backends {
		fmt.Fprintf(&servers, "  server hub%d %s check\n", i+1, b)
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(haproxyConfig, addr, servers.String())), 0o644); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		return nil, fmt.Errorf("cluster: HAProxy is not installed (Debian package haproxy): %w", err)
	}
	cmd := exec.Command(bin, "-db", "-f", cfg)
	logf, err := os.Create(filepath.Join(dir, "haproxy.log"))
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("cluster: start HAProxy: %w", err)
	}
	hp := &HAProxy{URL: "http://" + addr, Addr: addr, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); logf.Close(); close(hp.done) }()
	if err := waitFor(ctx, 30*time.Second, hp.done, func() bool { return healthy(hp.URL) }); err != nil {
		hp.Stop()
		return nil, fmt.Errorf("cluster: HAProxy: %w; its log ends:\n%s", err, tail(filepath.Join(dir, "haproxy.log"), 15))
	}
	return hp, nil
}

// Stop stops HAProxy.
func (hp *HAProxy) Stop() {
	if hp.cmd.Process == nil {
		return
	}
	hp.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-hp.done:
	case <-time.After(10 * time.Second):
		hp.cmd.Process.Kill()
		<-hp.done
	}
}

// DB is the database URL the replicas share.
func (c *Cluster) DB() string { return c.opts.DB }

// Start starts the replica's process (again, after Kill) on its port.
func (r *Replica) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	// The replicas share one mail folder, as they would a data volume.
	args := append([]string{"serve", "--addr", r.Addr, "--db", r.c.opts.DB, "--mail-dir", filepath.Join(r.c.opts.Dir, "mail")},
		r.c.opts.ExtraArgs...)
	if r == r.c.Replicas[0] {
		args = append(args, r.c.opts.FirstArgs...)
	}
	cmd := r.c.opts.Hub(args...)
	cmd.Env = append(append(os.Environ(), r.c.opts.Env...), cmd.Env...)
	logf, err := os.OpenFile(filepath.Join(r.c.opts.Dir, r.Name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return fmt.Errorf("cluster: %w", err)
	}
	// A replica must not outlive whoever started it (a killed test).
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("cluster: start %s: %w", r.Name, err)
	}
	r.cmd, r.done = cmd, make(chan struct{})
	done := r.done
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if w := r.c.opts.Output; w != nil {
				r.c.outMu.Lock()
				fmt.Fprintf(w, "%s | %s\n", r.Name, sc.Text())
				r.c.outMu.Unlock()
			}
		}
		err := cmd.Wait()
		fmt.Fprintf(logf, "cluster: %s exited: %v\n", r.Name, err)
		logf.Close()
		close(done)
	}()
	return nil
}

// WaitHealthy waits until the replica's /healthz answers 200.
func (r *Replica) WaitHealthy(ctx context.Context) error {
	r.mu.Lock()
	done := r.done
	r.mu.Unlock()
	if err := waitFor(ctx, 60*time.Second, done, func() bool { return healthy(r.URL) }); err != nil {
		return fmt.Errorf("%s: %w; its log ends:\n%s", r.Name, err, tail(filepath.Join(r.c.opts.Dir, r.Name+".log"), 15))
	}
	return nil
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Kill ends the replica with SIGKILL, as a crash or a pulled plug would,
// and waits for it to be gone.
func (r *Replica) Kill() error { return r.signal(syscall.SIGKILL) }

// Stop ends the replica with SIGTERM (it drains, then shuts down) and waits.
func (r *Replica) Stop() error { return r.signal(syscall.SIGTERM) }

func (r *Replica) signal(sig syscall.Signal) error {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	return nil
}

// Stop stops HAProxy and every replica (SIGTERM: they drain and close).
func (c *Cluster) Stop() {
	var wg sync.WaitGroup
	for _, r := range c.Replicas {
		wg.Add(1)
		go func() { defer wg.Done(); r.Stop() }()
	}
	wg.Wait()
	if c.haproxy != nil {
		c.haproxy.Stop()
	}
}

func healthy(url string) bool {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// waitFor polls ok every 50 ms until it holds, the process behind done
// exits, or limit passes.
func waitFor(ctx context.Context, limit time.Duration, done <-chan struct{}, ok func() bool) error {
	deadline := time.Now().Add(limit)
	for !ok() {
		select {
		case <-done:
			return errors.New("exited before it was ready")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s", limit)
		}
	}
	return nil
}

// RequireHAProxy ends a test that needs HAProxy when it is not installed:
// a failure in CI, a skip saying why elsewhere.
func RequireHAProxy(tb interface {
	Helper()
	Fatalf(string, ...any)
	Skipf(string, ...any)
}) {
	tb.Helper()
	if _, err := exec.LookPath("haproxy"); err != nil {
		if pgtest.InCI() {
			tb.Fatalf("HAProxy is required in CI (Debian package haproxy): %v", err)
		}
		tb.Skipf("skipping: HAProxy is not installed (Debian package haproxy)")
	}
}
