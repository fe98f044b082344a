package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"conference/kiosk"
)

func init() {
	commands["status"] = command{summary: "print the kiosk's state: identity, uploads waiting, allocation, counts (flags: --db, --json)", run: status}
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
	k, err := quiet(ctx, db)
	if err != nil {
		return err
	}
	defer k.Close()
	st, err := k.Status(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	w := e.stdout
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
	return nil
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
