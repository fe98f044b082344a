package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
)

// childEnv selects the child mode: it holds the child's JSON config.
const childEnv = "CHAOS_CHILD_CONFIG"

// childConfig is what a child process is told by the harness.
type childConfig struct {
	Role string `json:"role"` // "hub" or "kiosk"
	Name string `json:"name"` // "hub", "k1", ...
	DB   string `json:"db"`
	// MailDir is where a hub writes its mail (.eml files), in the run's
	// folder: on PostgreSQL a hub's default is data/mail under the
	// working directory, the package's source folder under go test.
	MailDir string `json:"mail_dir,omitempty"`
	Seed    uint64 `json:"seed"`
	// Quiet starts the child without its actor: it only serves or syncs
	// and reports its state (the convergence phase).
	Quiet bool `json:"quiet"`
	// Pause is the mean pause between two actions of one actor.
	Pause time.Duration `json:"pause"`

	Organizer  uuid.UUID `json:"organizer"`
	Conference uuid.UUID `json:"conference"`
	Paid       uuid.UUID `json:"paid"`
	Free       uuid.UUID `json:"free"`
	Workshop   uuid.UUID `json:"workshop"`
}

func TestMain(m *testing.M) {
	if raw := os.Getenv(childEnv); raw != "" {
		os.Exit(runChild(raw))
	}
	os.Exit(m.Run())
}

// Child exit codes the harness tells apart from a kill.
const (
	exitOK    = 0
	exitFatal = 3 // something the chaos test counts as a bug
)

// runChild runs a hub or kiosk child until SIGTERM (graceful stop) or
// SIGKILL. Protocol on stdout, one line each: "ready", "ack <what> ...",
// "quiet" (the actor stopped), "state <json>". On stdin: "quiet".
func runChild(raw string) int {
	var cfg childConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "chaos child: bad config:", err)
		return exitFatal
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	c := newChild(cfg)
	var err error
	switch cfg.Role {
	case "hub":
		err = runHub(ctx, c)
	case "kiosk":
		err = runKiosk(ctx, c)
	default:
		err = fmt.Errorf("unknown role %q", cfg.Role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "chaos child %s: FATAL: %v\n", cfg.Name, err)
		return exitFatal
	}
	return exitOK
}

// child is what both roles share: the seeded random source, the stdout
// protocol and the quiet switch.
type child struct {
	cfg childConfig
	log *slog.Logger

	outMu sync.Mutex
	rngMu sync.Mutex
	rng   *rand.Rand

	quiet     chan struct{}
	quietOnce sync.Once
}

func newChild(cfg childConfig) *child {
	c := &child{
		cfg:   cfg,
		log:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("node", cfg.Name),
		rng:   rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5851f42d4c957f2d)),
		quiet: make(chan struct{}),
	}
	if cfg.Quiet {
		c.goQuiet()
	}
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "quiet" {
				c.goQuiet()
			}
		}
	}()
	return c
}

func (c *child) goQuiet() { c.quietOnce.Do(func() { close(c.quiet) }) }

func (c *child) isQuiet() bool {
	select {
	case <-c.quiet:
		return true
	default:
		return false
	}
}

// emit prints one protocol line; lines stay whole under concurrency.
func (c *child) emit(format string, args ...any) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

func (c *child) float() float64 {
	c.rngMu.Lock()
	defer c.rngMu.Unlock()
	return c.rng.Float64()
}

func (c *child) intN(n int) int {
	c.rngMu.Lock()
	defer c.rngMu.Unlock()
	return c.rng.IntN(n)
}

// pause waits a random time around the configured pause; false when the
// actor should stop (quiet or shutting down).
func (c *child) pause(ctx context.Context) bool {
	d := time.Duration((0.3 + 1.4*c.float()) * float64(c.cfg.Pause))
	select {
	case <-ctx.Done():
		return false
	case <-c.quiet:
		return false
	case <-time.After(d):
		return true
	}
}

// reportState prints the child's state every interval once quiet, for the
// harness to see convergence.
func (c *child) reportState(ctx context.Context, state func(context.Context) (any, error)) {
	select {
	case <-ctx.Done():
		return
	case <-c.quiet:
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		s, err := state(ctx)
		if err != nil && ctx.Err() == nil {
			c.log.Warn("state", "err", err)
		}
		if err == nil {
			b, _ := json.Marshal(s)
			c.emit("state %s", b)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
