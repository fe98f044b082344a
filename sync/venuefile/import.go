package venuefile

import (
	"context"
	"fmt"
	"io"
	"os"

	"conference/shared/eventstore"
	"conference/sync/merge"
)

// importPage is how many events Import applies per merge.ApplyDown.
const importPage = 2000

// Import checks a whole venue file and, only if all of it is sound, applies
// its events to the kiosk's store as hub events (idempotent: importing the
// same file twice, or a file overlapping what sync brought, adds nothing
// twice). A bad file is refused with an error matching ErrBadFile and
// nothing is written. The file is spooled to a temporary file while it is
// checked, so memory stays flat for a conference of any size.
func Import(ctx context.Context, kioskStore eventstore.Store, r io.Reader) (Header, error) {
	spool, err := os.CreateTemp("", "venuefile-*.jsonl")
	if err != nil {
		return Header{}, fmt.Errorf("import venue file: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	h, err := Decode(io.TeeReader(r, spool), func(eventstore.Event) error { return ctx.Err() })
	if err != nil {
		return h, fmt.Errorf("import venue file: %w", err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return h, fmt.Errorf("import venue file: %w", err)
	}
	page := make([]eventstore.Event, 0, importPage)
	flush := func() error {
		if len(page) == 0 {
			return nil
		}
		err := merge.ApplyDown(ctx, kioskStore, page)
		page = page[:0]
		return err
	}
	_, err = Decode(spool, func(e eventstore.Event) error {
		page = append(page, e)
		if len(page) == importPage {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return h, fmt.Errorf("import venue file of %s: %w", h.ConferenceID, err)
	}
	return h, nil
}
