package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"conference/hub/hubapp"
	"conference/hub/readmodels"
	"conference/shared/eventstore/sqlitestore"
)

func rebuild(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hub rebuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr(getenv, "HUB_DB", "data/hub.db"), "SQLite database `file` (HUB_DB)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	// Opening the store takes the database's lock, so a running hub makes
	// this fail with sqlitestore.ErrLocked instead of racing its models.
	store, err := sqlitestore.Open(ctx, *db, sqlitestore.Options{Node: "hub", Components: hubapp.Components()})
	if err != nil {
		return err
	}
	defer store.Close()
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
