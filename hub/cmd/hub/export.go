package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	confsqlite "conference/hub/conferences/sqlite"
	"conference/hub/hubapp"
	"conference/sync/venuefile"
)

// export writes a published conference's events to a venue file, which
// `kiosk load` imports at a venue with no network at all.
func export(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hub export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr(getenv, "HUB_DB", "data/hub.db"), "SQLite database `file`, or a postgres:// URL (HUB_DB)")
	slug := fs.String("conference", "", "`slug` of the published conference to export")
	out := fs.String("out", "", "venue `file` to write")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 || *slug == "" || *out == "" {
		return fmt.Errorf("%w: hub export --conference SLUG --out FILE [--db FILE]", errUsage)
	}
	// On SQLite this takes the file's lock: stop the hub first. Replicas
	// on PostgreSQL may keep running.
	store, err := hubapp.OpenStore(ctx, *db, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil)
	if err != nil {
		return err
	}
	defer store.Close()
	conf, err := confsqlite.New(store).GetPublishedBySlug(ctx, *slug)
	if err != nil {
		return fmt.Errorf("export conference %q: %w", *slug, err)
	}
	// Written beside the target and renamed, so a kiosk never loads half
	// a file (it would refuse it anyway: the file ends with a checksum).
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".venue-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := venuefile.Export(ctx, store, conf.ID, tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stdout, "exported %s (%s) to %s; at the venue: kiosk load %s\n", conf.Name, conf.Slug, *out, *out)
	return nil
}
