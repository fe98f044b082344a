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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"conference/hub/api"
	"conference/hub/hubapp"
	"conference/hub/server"
	"conference/hub/web"
	"conference/shared/eventstore/pgstore"
)

// demoPassword is the demo organizer's web sign-in password, printed by
// `hub serve --demo`.
const demoPassword = "demo-password"

type serveConfig struct {
	addr, db, logLevel string
	logFormat          string
	metricsToken       string
	grace, drain       time.Duration
	demo               bool
	demoKioskCode      string
	// secureCookies marks the web UI's cookies Secure on plain HTTP too:
	// behind a TLS-terminating proxy the hub itself never sees TLS.
	secureCookies bool
	mail          mailConfig
}

func parseServe(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("hub serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", envOr(getenv, "HUB_ADDR", "127.0.0.1:8080"), "listen address `host:port` (HUB_ADDR)")
	fs.StringVar(&c.db, "db", envOr(getenv, "HUB_DB", "data/hub.db"), "SQLite database `file`, or a postgres:// URL for PostgreSQL (HUB_DB)")
	fs.StringVar(&c.logLevel, "log-level", envOr(getenv, "HUB_LOG_LEVEL", "info"), "debug, info, warn or error (HUB_LOG_LEVEL)")
	fs.StringVar(&c.logFormat, "log-format", envOr(getenv, "HUB_LOG_FORMAT", "text"), "text, or json for one JSON object a line (HUB_LOG_FORMAT)")
	fs.StringVar(&c.metricsToken, "metrics-token", envOr(getenv, "HUB_METRICS_TOKEN", ""),
		"bearer `token` a scrape of /metrics must send; empty leaves /metrics open (HUB_METRICS_TOKEN)")
	fs.DurationVar(&c.grace, "shutdown-grace", 10*time.Second, "how long in-flight requests may finish on shutdown")
	drain, err := envDuration(getenv, "HUB_DRAIN", -1)
	if err != nil {
		return c, err
	}
	fs.DurationVar(&c.drain, "drain", drain, "on shutdown, how long /healthz fails while requests are still served, so a load balancer stops sending first (HUB_DRAIN; default 2s on PostgreSQL, 0 on SQLite)")
	demo, err := envBool(getenv, "HUB_DEMO")
	if err != nil {
		return c, err
	}
	secure, err := envBool(getenv, "HUB_SECURE_COOKIES")
	if err != nil {
		return c, err
	}
	fs.BoolVar(&c.secureCookies, "secure-cookies", secure,
		"mark the web UI's cookies Secure even on plain HTTP: set it when browsers reach the hub over HTTPS through a TLS-terminating proxy (HUB_SECURE_COOKIES)")
	fs.BoolVar(&c.demo, "demo", demo, "seed a demo organizer and conference into an empty database and print how to use them (HUB_DEMO)")
	fs.StringVar(&c.demoKioskCode, "demo-kiosk-code", envOr(getenv, "HUB_DEMO_KIOSK_CODE", ""),
		"with --demo: create a kiosk for the demo conference and write its one-time pairing code to `file` (HUB_DEMO_KIOSK_CODE)")
	if err := c.mail.register(fs, getenv); err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if c.demoKioskCode != "" && !c.demo {
		return c, fmt.Errorf("%w: --demo-kiosk-code needs --demo", errUsage)
	}
	if c.drain < 0 {
		// Replicas on PostgreSQL sit behind a load balancer; a lone
		// SQLite hub has nobody to warn.
		c.drain = 0
		if pgstore.IsURL(c.db) {
			c.drain = 2 * time.Second
		}
	}
	return c, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServe(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, cfg.logLevel, cfg.logFormat)
	if err != nil {
		return err
	}
	hcfg := hubapp.Config{DB: cfg.db, Logger: log, MetricsToken: cfg.metricsToken}
	mailVia, err := cfg.mail.apply(&hcfg, cfg.addr, getenv)
	if err != nil {
		return err
	}
	h, err := hubapp.Open(ctx, hcfg)
	if err != nil {
		return err
	}
	defer h.Close()
	// The workers run from the start: the demo's orders are confirmed by
	// the registration process.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	workers := make(chan error, 1)
	go func() { workers <- h.Run(ctx) }()
	err = serveHub(ctx, cfg, h, log, stdout, mailVia, hcfg.PublicURL)
	stop()
	return errors.Join(err, <-workers)
}

// serveHub seeds the demo if asked and serves until ctx ends. mailVia
// and publicURL are for the log: where mail goes, what links in it name.
func serveHub(ctx context.Context, cfg serveConfig, h *hubapp.Hub, log *slog.Logger, stdout io.Writer, mailVia, publicURL string) error {
	var demo hubapp.Demo
	var err error
	if cfg.demo {
		if demo, err = hubapp.SeedDemo(ctx, h, setDemoPassword); err != nil {
			return err
		}
	}
	handler, err := server.New(h,
		func(e *echo.Echo) error { return api.Register(e, h, api.Options{}) },
		func(e *echo.Echo) error { return web.Register(e, h, web.Options{SecureCookies: cfg.secureCookies}) },
	)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	url := "http://" + ln.Addr().String()
	where := describeDB(cfg.db)
	log.Info("hub ready", "url", url, "db", where, "secure_cookies", cfg.secureCookies, "mail", mailVia, "public_url", publicURL)
	fmt.Fprintf(stdout, "hub listening on %s (database %s)\nmail: %s\n", url, where, mailVia)
	var seeding sync.WaitGroup
	defer seeding.Wait()
	if cfg.demo {
		printDemo(stdout, url, demo)
		if cfg.demoKioskCode != "" && !demo.Skipped {
			if err := demoKiosk(ctx, h, demo, cfg.demoKioskCode, stdout); err != nil {
				ln.Close()
				return err
			}
		}
		if !demo.Skipped {
			// Attendees arrive while the hub serves: a kiosk pairing
			// meanwhile receives them as they are confirmed.
			seeding.Add(1)
			go func() {
				defer seeding.Done()
				start := time.Now()
				got, err := hubapp.SeedDemoAttendees(ctx, h, demo)
				if err != nil {
					if ctx.Err() == nil {
						log.Error("demo attendees not all seeded", "err", err)
					}
					return
				}
				log.Info("demo attendees seeded", "attendees", got.Attendees, "orders", got.Orders, "checked_in", got.CheckedIn,
					"took", time.Since(start).Round(time.Millisecond))
				fmt.Fprintf(stdout, "  demo attendees:    %d in %d orders, %d of them checked in\n", got.Attendees, got.Orders, got.CheckedIn)
			}()
		}
	}
	return server.Serve(ctx, ln, handler, server.Lifecycle{Drain: cfg.drain, OnDrain: h.Drain, Grace: cfg.grace}, log)
}

// setDemoPassword gives the demo organizer a password for the web UI.
func setDemoPassword(ctx context.Context, h *hubapp.Hub, d *hubapp.Demo) error {
	if err := web.SetPassword(ctx, h, d.OrganizerID, demoPassword); err != nil {
		return fmt.Errorf("set the demo organizer's password: %w", err)
	}
	d.Password = demoPassword
	return nil
}

func printDemo(w io.Writer, url string, d hubapp.Demo) {
	if d.Skipped {
		fmt.Fprintln(w, "demo: not seeded, the database already has organizers")
		return
	}
	fmt.Fprintf(w, `demo conference seeded:
  registrant site:   %[1]s/c/%[2]s
  organizer sign-in: %[1]s/org/signin  (email %[3]s, password %[4]s)
  JSON API:          %[1]s%[5]s  (Authorization: Bearer %[6]s)
  promo code:        %[7]s
`, url, d.Slug, d.Email, d.Password, api.Prefix, d.Token, hubapp.DemoPromo)
}

// demoKiosk creates a kiosk for the demo conference and writes its pairing
// code to path, for `make run` to pair the demo kiosk with.
func demoKiosk(ctx context.Context, h *hubapp.Hub, d hubapp.Demo, path string, stdout io.Writer) error {
	k, err := h.Kiosks.CreateKiosk(ctx, d.OrganizerID, d.ConferenceID, "Demo door")
	if err != nil {
		return fmt.Errorf("create the demo kiosk: %w", err)
	}
	if err := os.WriteFile(path, []byte(k.PairingCode+"\n"), 0o600); err != nil {
		return fmt.Errorf("write the demo kiosk's pairing code: %w", err)
	}
	fmt.Fprintf(stdout, "  kiosk pairing code: %s (valid until %s)\n", k.PairingCode, k.ExpiresAt.Format(time.Kitchen))
	return nil
}

// envBool reads a boolean environment variable: empty is false.
func envBool(getenv func(string) string, key string) (bool, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%w: %s=%q: want true or false", errUsage, key, v)
	}
	return b, nil
}

// describeDB names the database for people: a SQLite path as it is, a
// PostgreSQL URL without its credentials.
func describeDB(db string) string {
	if !pgstore.IsURL(db) {
		return db
	}
	cfg, err := pgstore.Config(db)
	if err != nil {
		return "PostgreSQL (unparsable URL)"
	}
	return "PostgreSQL " + pgstore.Describe(cfg.ConnConfig.Host, cfg.ConnConfig.Database)
}

// envDuration reads a duration environment variable: empty is def.
func envDuration(getenv func(string) string, key string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%w: %s=%q: want a duration such as 2s", errUsage, key, v)
	}
	return d, nil
}
