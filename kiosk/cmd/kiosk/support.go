package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"conference/kiosk"
	"conference/shared/eventstore/sqlitestore"
)

func init() {
	commands["status"] = command{summary: "print the kiosk's state: identity, uploads waiting, allocation, counts, hub sync, digests; works while the kiosk serves (flags: --db, --json)", run: status}
	commands["export-log"] = command{summary: "write the local event log as JSON lines, for support (flags: --db, --out)", run: exportLog}
}

// quiet opens a kiosk without its start-up chatter on the terminal.
func quiet(ctx context.Context, db string) (*kiosk.Kiosk, error) {
	if _, err := os.Stat(db); err != nil {
		return nil, fmt.Errorf("database %s: %w", db, err)
	}
	return kiosk.Open(ctx, kiosk.Config{Path: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

func status(ctx context.Context, args []string, e env) error {
	var db string
	var asJSON bool
	fs := flags("status", e, &db)
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	r, err := readStatus(ctx, db)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	printStatus(e.stdout, r)
	return nil
}

// readStatus opens the kiosk's database, or asks the kiosk serving it.
func readStatus(ctx context.Context, db string) (statusReport, error) {
	k, err := quiet(ctx, db)
	if errors.Is(err, sqlitestore.ErrLocked) {
		return askServing(ctx, db)
	}
	if err != nil {
		return statusReport{}, err
	}
	defer k.Close()
	return report(ctx, k)
}

func printStatus(w io.Writer, r statusReport) {
	st := r.Status
	if !st.Paired {
		fmt.Fprintln(w, "kiosk:           not paired (run kiosk pair)")
	} else {
		name := st.Name
		if name == "" {
			name = "(name not received from the hub yet)"
		}
		fmt.Fprintf(w, "kiosk:           %s, id %s\n", name, st.KioskID)
	}
	fmt.Fprintf(w, "can record:      %v %s\n", st.CanRecord, st.LastError)
	fmt.Fprintf(w, "own events:      %d recorded, %d acknowledged by the hub, %d waiting to upload\n", st.LastOwnSeq, st.AckedSeq, st.PendingUpload)
	fmt.Fprintf(w, "hub position:    %d\n", st.HubSeen)
	fmt.Fprintf(w, "attendees:       %d, %d checked in, %d duplicate check-ins, %d denied scans\n",
		st.Stats.Attendees, st.Stats.CheckedIn, st.Stats.Duplicates, st.Stats.DeniedScans)
	fmt.Fprintf(w, "badges:          %d printed (accepted by a printer), %d opened as PDF in the browser\n",
		st.Stats.BadgesPrinted, st.Stats.BadgePDFs)
	confs := make([]string, 0, len(st.Allocation))
	for c := range st.Allocation {
		confs = append(confs, c.String())
	}
	sort.Strings(confs)
	for _, c := range confs {
		for id, lines := range st.Allocation {
			if id.String() != c {
				continue
			}
			for _, l := range lines {
				if l.Policy.SellableAtKiosks {
					fmt.Fprintf(w, "allocation:      %-30s %d left (past allocation: %v)\n", l.Name, l.AllocationLeft, l.Policy.SellPastAllocation)
				}
			}
		}
	}
	c := st.Convergence
	switch {
	case c.InSync():
		fmt.Fprintf(w, "hub sync:        in sync at hub position %d (compared %s)\n", c.Position, c.CheckedAt.Local().Format(time.DateTime))
	case c.Compared():
		fmt.Fprintf(w, "hub sync:        differs since %s in %s (last compared %s at hub position %d)\n",
			c.DiffersSince.Local().Format(time.DateTime), strings.Join(c.Differs, ", "), c.CheckedAt.Local().Format(time.DateTime), c.Position)
	default:
		fmt.Fprintln(w, "hub sync:        not compared with the hub since the kiosk started")
	}
	if len(st.Stats.SkippedTypes) > 0 {
		fmt.Fprintf(w, "skipped events:  %d of types this build does not know: %s\n", st.Stats.SkippedEvents, strings.Join(st.Stats.SkippedTypes, ", "))
	}
	for _, c := range confs {
		for id, d := range r.Digests {
			if id.String() != c {
				continue
			}
			parts := make([]string, 0, len(d))
			for k, v := range d {
				parts = append(parts, k+"="+v)
			}
			sort.Strings(parts)
			fmt.Fprintf(w, "digest:          %s %s\n", c, strings.Join(parts, " "))
		}
	}
}

func exportLog(ctx context.Context, args []string, e env) error {
	var db, out string
	fs := flags("export-log", e, &db)
	fs.StringVar(&out, "out", "", "output `file` (JSON lines); - for standard output")
	if err := parse(fs, args); err != nil {
		return err
	}
	if out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	k, err := quiet(ctx, db)
	if err != nil {
		return err
	}
	defer k.Close()
	if out == "-" {
		_, err := kiosk.ExportLog(ctx, k.Store(), e.stdout)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".export-*")
	if err != nil {
		return fmt.Errorf("export log: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := kiosk.ExportLog(ctx, k.Store(), tmp)
	if err == nil {
		err = tmp.Close()
	}
	if err != nil {
		tmp.Close()
		return fmt.Errorf("export log: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("export log: %w", err)
	}
	fmt.Fprintf(e.stdout, "%d events written to %s\n", n, out)
	return nil
}
