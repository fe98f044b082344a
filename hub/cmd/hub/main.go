// Command hub runs the central hub: the conference contexts, the organizer
// and registrant web UI, the JSON API and the sync endpoint for kiosks.
//
//	hub serve --addr 127.0.0.1:8080 --db data/hub.db [--demo]
//	hub rebuild --db data/hub.db
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"conference/shared/logs"
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
  serve    run the hub (flags: --addr, --db, --log-level, --log-format, --metrics-token,
           --secure-cookies, --demo, --demo-kiosk-code, --public-url, --smtp-host,
           --smtp-port, --smtp-user, --smtp-password-file, --smtp-from, --smtp-starttls,
           --smtp-ca-file, --mail-dir; env HUB_ADDR, HUB_DB, HUB_LOG_LEVEL,
           HUB_LOG_FORMAT, HUB_METRICS_TOKEN, HUB_SECURE_COOKIES, HUB_DEMO,
           HUB_DEMO_KIOSK_CODE, HUB_PUBLIC_URL, HUB_SMTP_HOST, ..., HUB_SMTP_PASSWORD)
  rebuild  rebuild every read model from the event and message logs, with the
           hub stopped (flags: --db; env HUB_DB)
  export   write a published conference to a venue file for kiosks without
           network, with the hub stopped (flags: --conference SLUG, --out FILE, --db)
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
	case "rebuild":
		return rebuild(ctx, args[1:], getenv, stdout, stderr)
	case "export":
		return export(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	log, err := logs.New(w, level, format)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return log, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
