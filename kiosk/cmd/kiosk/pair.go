package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"conference/kiosk"
)

func init() {
	commands["pair"] = command{
		summary: "pair with a hub: kiosk pair --hub URL --code CODE [--pin PIN] [--db FILE] (env KIOSK_HUB, KIOSK_PAIRING_CODE, KIOSK_PIN)",
		run:     pair,
	}
	commands["pin"] = command{
		summary: "set the staff PIN (4 to 12 digits) of a paired kiosk: kiosk pin [--db FILE] (reads the PIN from KIOSK_PIN or stdin)",
		run:     setPIN,
	}
}

// pair exchanges a one-time pairing code for the kiosk's identity.
func pair(ctx context.Context, args []string, e env) error {
	var db, hub, code, pin string
	fs := flags("pair", e, &db)
	fs.StringVar(&hub, "hub", envOr(e.getenv, "KIOSK_HUB", ""), "hub base `URL`, e.g. http://10.0.0.2:8080 (KIOSK_HUB)")
	fs.StringVar(&code, "code", envOr(e.getenv, "KIOSK_PAIRING_CODE", ""), "one-time pairing `code` shown by the hub (KIOSK_PAIRING_CODE)")
	fs.StringVar(&pin, "pin", envOr(e.getenv, "KIOSK_PIN", ""), "staff `PIN` to set (4 to 12 digits; KIOSK_PIN)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if hub == "" || code == "" {
		return fmt.Errorf("%w: kiosk pair needs --hub and --code", errUsage)
	}
	// Pairing is how a new kiosk starts: its database may not exist yet.
	if err := os.MkdirAll(filepath.Dir(db), 0o755); err != nil {
		return fmt.Errorf("create the folder of %s: %w", db, err)
	}
	k, err := kiosk.Open(ctx, kiosk.Config{Path: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer k.Close()
	id, err := k.Pair(ctx, hub, strings.TrimSpace(code))
	if err != nil {
		return err
	}
	if pin != "" {
		if err := k.SetPIN(ctx, pin); err != nil {
			return fmt.Errorf("paired, but the PIN was not set: %w", err)
		}
	}
	fmt.Fprintf(e.stdout, "paired as kiosk %s with %s (%d conference(s)); start it with: kiosk serve --db %s\n",
		id.KioskID, hub, len(id.Conferences), db)
	return nil
}

// setPIN sets the staff PIN, read from KIOSK_PIN or the first line of stdin
// so it stays out of the shell history.
func setPIN(ctx context.Context, args []string, e env) error {
	var db string
	fs := flags("pin", e, &db)
	if err := parse(fs, args); err != nil {
		return err
	}
	pin := e.getenv("KIOSK_PIN")
	if pin == "" {
		var line string
		if _, err := fmt.Fscanln(os.Stdin, &line); err != nil {
			return fmt.Errorf("%w: give the PIN in KIOSK_PIN or on stdin", errUsage)
		}
		pin = line
	}
	k, err := quiet(ctx, db)
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.SetPIN(ctx, strings.TrimSpace(pin)); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "staff PIN set")
	return nil
}
