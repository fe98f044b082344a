// Command hub runs the central hub: the conference contexts, the organizer
// and registrant web UI, the JSON API and the sync endpoint for kiosks.
//
//	hub serve --addr 127.0.0.1:8080 --db data/hub.db
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"conference/hub/hubapp"
	"conference/hub/server"
	"conference/hub/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "hub: %v\n", err)
		os.Exit(exitCode(err))
	}
}

// errUsage marks command-line mistakes (exit status 2, like flag's own).
var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

const usage = `usage: hub <command> [flags]

commands:
  serve    run the hub (flags: --addr, --db, --log-level; env HUB_ADDR, HUB_DB, HUB_LOG_LEVEL)
`

// run is the whole program, so tests can start it like the shell does.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
}

type serveConfig struct {
	addr, db, logLevel string
	grace              time.Duration
}

func parseServe(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("hub serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", envOr(getenv, "HUB_ADDR", "127.0.0.1:8080"), "listen address `host:port` (HUB_ADDR)")
	fs.StringVar(&c.db, "db", envOr(getenv, "HUB_DB", "data/hub.db"), "SQLite database `file` (HUB_DB)")
	fs.StringVar(&c.logLevel, "log-level", envOr(getenv, "HUB_LOG_LEVEL", "info"), "debug, info, warn or error (HUB_LOG_LEVEL)")
	fs.DurationVar(&c.grace, "shutdown-grace", 10*time.Second, "how long in-flight requests may finish on shutdown")
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return c, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServe(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, cfg.logLevel)
	if err != nil {
		return err
	}
	h, err := hubapp.Open(ctx, hubapp.Config{DB: cfg.db, Logger: log})
	if err != nil {
		return err
	}
	defer h.Close()
	handler, err := server.New(h, func(e *echo.Echo) error { return web.Register(e, h, web.Options{}) })
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	url := "http://" + ln.Addr().String()
	log.Info("hub ready", "url", url, "db", cfg.db)
	fmt.Fprintf(stdout, "hub listening on %s (database %s)\n", url, cfg.db)

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	workers := make(chan error, 1)
	go func() { workers <- h.Run(ctx) }()
	serveErr := server.Serve(ctx, ln, handler, cfg.grace, log)
	stop()
	return errors.Join(serveErr, <-workers)
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("%w: log level %q: want debug, info, warn or error", errUsage, level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
