package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"conference/badges"
	"conference/kiosk"
	"conference/shared/metrics"
)

func init() {
	commands["serve"] = command{
		summary: "run the kiosk (flags: --addr, --db, --printer, --idle-lock, --log-level, --log-format, --metrics-token; env KIOSK_ADDR, KIOSK_DB, KIOSK_PRINTER, KIOSK_IDLE_LOCK, KIOSK_LOG_LEVEL, KIOSK_LOG_FORMAT, KIOSK_METRICS_TOKEN)",
		run:     serve,
	}
}

// MountUI is set by the door-staff UI (package kiosk/web, through a file of
// this package) to add its routes; until then the kiosk serves /healthz.
var MountUI func(e *echo.Echo, k *kiosk.Kiosk, ui uiOptions) error

// uiOptions are the serve flags meant for the door-staff UI.
type uiOptions struct {
	// IdleLock locks an unused screen after this long.
	IdleLock time.Duration
}

// defaultAddr keeps the staff UI on this machine: door-staff screens are
// local, and anyone on the venue network must not reach the PIN screen
// unless the operator says so with --addr.
const defaultAddr = "127.0.0.1:8081"

// serveOptions is what `kiosk serve` runs with: each flag, else its
// environment variable, else the default.
type serveOptions struct {
	db, addr, printer, logLevel string
	logFormat, metricsToken     string
	idleLock, grace             time.Duration
}

func parseServe(args []string, e env) (serveOptions, error) {
	var o serveOptions
	var idleLock string
	fs := flags("serve", e, &o.db)
	fs.StringVar(&o.addr, "addr", envOr(e.getenv, "KIOSK_ADDR", defaultAddr), "listen address `host:port`; the staff UI stays on localhost unless told otherwise (KIOSK_ADDR)")
	fs.StringVar(&o.printer, "printer", envOr(e.getenv, "KIOSK_PRINTER", ""), "CUPS `queue` for badges; empty serves PDFs to the browser (KIOSK_PRINTER)")
	fs.StringVar(&idleLock, "idle-lock", envOr(e.getenv, "KIOSK_IDLE_LOCK", "5m"), "lock the staff screen after this `duration` without use, at least 1s (KIOSK_IDLE_LOCK)")
	fs.StringVar(&o.logLevel, "log-level", envOr(e.getenv, "KIOSK_LOG_LEVEL", "info"), "debug, info, warn or error (KIOSK_LOG_LEVEL)")
	fs.StringVar(&o.logFormat, "log-format", envOr(e.getenv, "KIOSK_LOG_FORMAT", "text"), "text, or json for one JSON object a line (KIOSK_LOG_FORMAT)")
	fs.StringVar(&o.metricsToken, "metrics-token", envOr(e.getenv, "KIOSK_METRICS_TOKEN", ""),
		"bearer `token` a scrape of /metrics must send; empty leaves /metrics open to whoever reaches --addr (KIOSK_METRICS_TOKEN)")
	fs.DurationVar(&o.grace, "shutdown-grace", 10*time.Second, "how long in-flight requests may finish on shutdown")
	if err := parse(fs, args); err != nil {
		return o, err
	}
	var err error
	if o.idleLock, err = time.ParseDuration(idleLock); err != nil || o.idleLock < time.Second {
		return o, fmt.Errorf("%w: --idle-lock %q: want a duration of at least 1s, e.g. 5m", errUsage, idleLock)
	}
	return o, nil
}

func serve(ctx context.Context, args []string, e env) error {
	o, err := parseServe(args, e)
	if err != nil {
		return err
	}
	db, addr, grace := o.db, o.addr, o.grace
	log, err := newLogger(e.stderr, o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	mset := metrics.New(log)
	ui := uiOptions{IdleLock: o.idleLock}
	p, _, err := badges.PrinterFor(o.printer)
	if err != nil {
		return fmt.Errorf("%w: --printer: %v", errUsage, err)
	}
	k, err := kiosk.Open(ctx, kiosk.Config{Path: db, Printer: p, Logger: log, Observe: mset.StoreObserver()})
	if err != nil {
		return err
	}
	defer k.Close()
	if err := registerMetrics(mset, k); err != nil {
		return err
	}

	ec := echo.New()
	ec.HideBanner, ec.HidePort = true, true
	ec.Use(mset.Middleware())
	mset.Mount(ec, o.metricsToken)
	ec.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	if MountUI != nil {
		if err := MountUI(ec, k, ui); err != nil {
			return fmt.Errorf("mount UI: %w", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	url := "http://" + ln.Addr().String()
	unannounce, err := announceServing(ec, k, db, url)
	if err != nil {
		ln.Close()
		return err
	}
	defer unannounce()
	id, paired := k.Identity()
	log.Info("kiosk ready", "url", url, "db", db, "kiosk", id.KioskID, "paired", paired)
	fmt.Fprintf(e.stdout, "kiosk listening on %s (database %s)\n", url, db)

	syncDone := make(chan struct{})
	syncCtx, stopSync := context.WithCancel(ctx)
	defer func() { stopSync(); <-syncDone }()
	go func() {
		defer close(syncDone)
		if !paired {
			log.Warn("kiosk not paired: working offline only (kiosk pair --hub URL --code CODE)")
			return
		}
		// The door keeps working whatever happens to the link: a refusal
		// (revoked, outdated) is logged and shown offline, not fatal.
		if err := k.RunSync(syncCtx, kiosk.SyncOptions{Logger: log}); err != nil {
			log.Error("sync stopped", "hub", id.HubURL, "err", err)
		}
	}()

	srv := &http.Server{Handler: ec, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("kiosk shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
