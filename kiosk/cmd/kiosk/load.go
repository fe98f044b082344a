package main

import (
	"context"
	"fmt"
	"os"

	"conference/sync/venuefile"
)

func init() {
	commands["load"] = command{summary: "load a conference exported by the hub for a venue without network: kiosk load [--db FILE] VENUEFILE", run: load}
}

// load imports a venue file (package sync/venuefile) into the kiosk's log as
// hub events. The whole file is checked first; a bad file changes nothing.
func load(ctx context.Context, args []string, e env) error {
	var db string
	fs := flags("load", e, &db)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: kiosk load [--db FILE] VENUEFILE", errUsage)
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	defer f.Close()
	k, err := quiet(ctx, db)
	if err != nil {
		return err
	}
	defer k.Close()
	h, err := venuefile.Import(ctx, k.Store(), f)
	if err != nil {
		return err
	}
	// The kiosk has now applied the hub's log up to the file's position:
	// the causal context of what it records next, and where sync resumes.
	if err := k.SetHubSeen(ctx, h.HubPosition); err != nil {
		return err
	}
	if err := k.Refresh(ctx); err != nil {
		return err
	}
	st := k.Model().Stats()
	fmt.Fprintf(e.stdout, "loaded conference %s up to hub position %d (exported %s): %d attendees\n",
		h.ConferenceID, h.HubPosition, h.ExportedAt.Format("2006-01-02 15:04"), st.Attendees)
	if id, ok := k.Identity(); ok {
		served := false
		for _, c := range id.Conferences {
			served = served || c == h.ConferenceID
		}
		if !served {
			fmt.Fprintf(e.stderr, "warning: kiosk %s does not serve conference %s\n", id.KioskID, h.ConferenceID)
		}
	}
	return nil
}
