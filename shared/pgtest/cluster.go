// Package pgtest starts throwaway PostgreSQL clusters from the machine's own
// server binaries (Debian's postgresql package), for tests and benchmarks
// that need a real server: initdb into a fresh temporary directory, a
// postmaster listening only on a Unix socket in that directory, and a
// supervisor that stops the server and removes the directory when the
// process that started it exits, however it exits (even SIGKILL).
//
// Run as root (CI), initdb and postgres run as the postgres user, which the
// package installs; otherwise as the calling user.
package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNoServer means no PostgreSQL server binaries were found.
var ErrNoServer = errors.New("no PostgreSQL server binaries (initdb, postgres) found; install Debian's postgresql package")

// Options configure a cluster.
type Options struct {
	// Fsync keeps fsync and full_page_writes on: crash tests and
	// benchmarks need the durability a production server has. Functional
	// tests leave it off (much faster, and nothing survives the test).
	Fsync bool
	// Settings are extra server settings (name -> value), e.g.
	// "max_connections": "200".
	Settings map[string]string
	// Password, when set, makes the superuser need it (scram-sha-256);
	// otherwise connections are trusted.
	Password string
}

// Cluster is a running throwaway server.
type Cluster struct {
	dir   string // data, socket and log live under it
	bin   string
	cred  *syscall.Credential
	stdin io.WriteCloser // closing it tells the supervisor to stop
	acks  chan string    // the supervisor's answers to stop and start
	port  int
	gone  chan struct{} // closed when the supervisor has exited
	pass  string        // the superuser's password, if it needs one
}

// BinDir finds the newest installed server's bin directory
// (/usr/lib/postgresql/N/bin), or PGTEST_BIN when set.
func BinDir() (string, error) {
	if d := os.Getenv("PGTEST_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNoServer
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode()&0o111 != 0
}

// Start initialises and starts a cluster. The caller stops it with Stop;
// if the caller dies first, the supervisor stops it and removes its files.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	// A short directory: a Unix socket path must fit in ~107 bytes, and
	// t.TempDir() is both long and closed to the postgres user.
	dir, err := os.MkdirTemp("", "pg")
	if err != nil {
		return nil, fmt.Errorf("pgtest: temporary directory: %w", err)
	}
	c := &Cluster{dir: dir, bin: bin, port: 5432, gone: make(chan struct{})}
	if os.Geteuid() == 0 {
		if c.cred, err = postgresUser(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: chown %s: %w", dir, err)
		}
	}
	c.pass = opts.Password
	if err := c.initdb(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.start(ctx, opts); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root needs the postgres user (from Debian's postgresql package): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

func (c *Cluster) initdb(ctx context.Context) error {
	args := []string{"-D", c.dataDir(), "-U", "postgres", "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C"}
	if c.pass != "" {
		pw := filepath.Join(c.dir, "pwfile")
		if err := os.WriteFile(pw, []byte(c.pass+"\n"), 0o644); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		defer os.Remove(pw)
		args = append(args[:4], "--auth=scram-sha-256", "--pwfile="+pw, "--no-sync", "--encoding=UTF8", "--locale=C")
	}
	cmd := c.command(ctx, "initdb", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (c *Cluster) dataDir() string { return filepath.Join(c.dir, "data") }

// supervisorScript runs the postmaster and obeys lines on its stdin:
// "stop" stops the server at once (immediate shutdown, as a crash would),
// "start" starts it again on the same data. At end of input it stops the
// server and removes the directory. The starting process holds the only
// write end of that pipe, so its exit, however it happens (even SIGKILL),
// is the end of input: no test leaves a server or its files behind.
const supervisorScript = `
dir=$1; shift
pidfile="$dir/data/postmaster.pid"
halt() { [ -f "$pidfile" ] && kill -QUIT "$(head -1 "$pidfile")" 2>/dev/null; wait; }
"$@" >&2 &
while read -r cmd; do
	case "$cmd" in
	stop) halt; echo stopped ;;
	start) "$@" >&2 & echo started ;;
	esac
done
halt
rm -rf "$dir"
`

func (c *Cluster) start(ctx context.Context, opts Options) error {
	args := []string{"-D", c.dataDir(), "-k", c.dir, "-p", strconv.Itoa(c.port),
		"-c", "listen_addresses=", "-c", "logging_collector=off",
		"-c", "max_connections=300", "-c", "shared_buffers=128MB"}
	if !opts.Fsync {
		args = append(args, "-c", "fsync=off", "-c", "full_page_writes=off")
	}
	keys := make([]string, 0, len(opts.Settings))
	for k := range opts.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+opts.Settings[k])
	}
	script := append([]string{"-c", supervisorScript, "pgtest-supervisor",
		c.dir, filepath.Join(c.bin, "postgres")}, args...)
	cmd := exec.Command("/bin/sh", script...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	// Its own process group, so a Ctrl-C at the terminal reaches the test
	// binary (which then stops the server) rather than killing the server
	// under a test that is still running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.cred}
	logf, err := os.Create(c.logPath())
	if err != nil {
		return fmt.Errorf("pgtest: server log: %w", err)
	}
	defer logf.Close()
	cmd.Stderr = logf
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return fmt.Errorf("pgtest: supervisor stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("pgtest: supervisor stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start server: %w", err)
	}
	c.acks = make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.acks <- sc.Text()
		}
		cmd.Wait()
		close(c.gone)
	}()
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return err
	}
	return nil
}

func (c *Cluster) logPath() string { return filepath.Join(c.dir, "server.log") }

// waitReady waits until the server accepts connections.
func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c.ping(ctx) == nil {
			return nil
		}
		select {
		case <-c.gone:
			return fmt.Errorf("pgtest: server exited during start-up; its log:\n%s", tail(c.logPath()))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: server not ready after 30 s; its log:\n%s", tail(c.logPath()))
		}
	}
}

// Crash stops the server at once, as a power cut or a killed server
// would (immediate shutdown: no checkpoint, clients cut off). Start
// brings it back on the same data.
func (c *Cluster) Crash(ctx context.Context) error { return c.command1(ctx, "stop", "stopped") }

// Restart starts a crashed server again and waits until it is ready.
func (c *Cluster) Restart(ctx context.Context) error {
	if err := c.command1(ctx, "start", "started"); err != nil {
		return err
	}
	return c.waitReady(ctx)
}

func (c *Cluster) command1(ctx context.Context, cmd, ack string) error {
	if _, err := io.WriteString(c.stdin, cmd+"\n"); err != nil {
		return fmt.Errorf("pgtest: %s: %w", cmd, err)
	}
	select {
	case got := <-c.acks:
		if got != ack {
			return fmt.Errorf("pgtest: %s: supervisor said %q", cmd, got)
		}
		return nil
	case <-c.gone:
		return fmt.Errorf("pgtest: %s: the supervisor exited", cmd)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ping asks the server whether it accepts connections, with pg_isready
// (installed beside initdb).
func (c *Cluster) ping(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "pg_isready"), "-q", "-h", c.dir, "-p", strconv.Itoa(c.port), "-U", "postgres")
	return cmd.Run()
}

func tail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 20 {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// Dir is the directory holding the server's socket (and data).
func (c *Cluster) Dir() string { return c.dir }

// URL returns a connection URL for database db as the superuser (with its
// password, if it needs one), over the Unix socket.
func (c *Cluster) URL(db string) string {
	user := "postgres"
	if c.pass != "" {
		user += ":" + url.QueryEscape(c.pass)
	}
	return fmt.Sprintf("postgres://%s@/%s?host=%s&port=%d&sslmode=disable", user, db, c.dir, c.port)
}

// Stop stops the server immediately and removes its files, waiting up to
// 30 s for that.
func (c *Cluster) Stop() {
	c.stdin.Close()
	select {
	case <-c.gone:
	case <-time.After(30 * time.Second):
	}
}

// Gone is closed once the server has stopped (Stop, or it died).
func (c *Cluster) Gone() <-chan struct{} { return c.gone }
