package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"conference/hub/hubapp"
	"conference/hub/readmodels"
)

func rebuild(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hub rebuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr(getenv, "HUB_DB", "data/hub.db"), "SQLite database `file`, or a postgres:// URL (HUB_DB)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	// On SQLite opening the store takes the file's lock, so a running hub
	// makes this fail with sqlitestore.ErrLocked instead of racing its
	// models. On PostgreSQL the read models' lease does the same: a
	// replica running them holds it.
	store, err := hubapp.OpenStore(ctx, *db, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil)
	if err != nil {
		return err
	}
	defer store.Close()
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	held, err := store.Acquire(lctx, hubapp.ReadModelsLease)
	cancel()
	if err != nil {
		return fmt.Errorf("rebuild: a running hub keeps the read models (its lease %q is held); stop every hub replica first", hubapp.ReadModelsLease)
	}
	defer held.Release()
	start := time.Now()
	p := &progress{w: stdout, every: 500 * time.Millisecond}
	if err := readmodels.Rebuild(ctx, store, p.report); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "read models rebuilt from %d events in %s\n", p.done, time.Since(start).Round(time.Millisecond))
	return nil
}

// progress prints "done/total" lines, at most one per interval plus the
// first and the last.
type progress struct {
	w           io.Writer
	every       time.Duration
	last        time.Time
	done, total int64
}

func (p *progress) report(done, total int64) {
	p.done, p.total = done, total
	now := time.Now()
	if done != 0 && done < total && now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	pct := 100.0
	if total > 0 {
		pct = float64(done) * 100 / float64(total)
	}
	fmt.Fprintf(p.w, "rebuilding read models: %d/%d events (%.0f%%)\n", done, total, pct)
}
