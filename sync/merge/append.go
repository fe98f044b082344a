package merge

import (
	"context"
	"fmt"

	"conference/shared/eventstore"
)

// BatchCommitter is implemented by stores that can commit several stream
// batches in the given order in one transaction. The store contract takes
// one stream per Commit, and replicated events must keep their origin's
// order, so without it a page of many small streams costs one transaction
// per stream run; with it, one per page.
type BatchCommitter interface {
	CommitAll(ctx context.Context, batches []eventstore.Batch) ([]eventstore.Result, error)
}

// originReader is implemented by stores that know each origin's last
// origin_seq (eventstore.Log): a kiosk skips the events it holds already
// without asking for each.
type originReader interface {
	OriginSeqs(ctx context.Context) (map[string]int64, error)
}

// maxBatchesPerCommit bounds one CommitAll.
const maxBatchesPerCommit = 512

// appendInOrder stores replicated events in the order given, grouping
// consecutive events of one stream and one origin into one batch. Stream
// versions are the receiving store's own, so every batch appends at
// AnyVersion: the events happened, they are not decisions to check.
func appendInOrder(ctx context.Context, store eventstore.Store, events []eventstore.Event) error {
	batches := runs(events)
	if bc, ok := store.(BatchCommitter); ok {
		for len(batches) > 0 {
			n := min(len(batches), maxBatchesPerCommit)
			if _, err := bc.CommitAll(ctx, batches[:n]); err != nil {
				return fmt.Errorf("append %d batches from %s: %w", n, batches[0].Stream.ID, err)
			}
			batches = batches[n:]
		}
		return nil
	}
	for _, b := range batches {
		if _, err := store.Commit(ctx, b); err != nil {
			return fmt.Errorf("append %d events of %s to %s: %w", len(b.Events), b.Events[0].Origin, b.Stream.ID, err)
		}
	}
	return nil
}

// runs cuts events into batches of consecutive events sharing stream and
// origin (the store checks an origin's order per batch).
func runs(events []eventstore.Event) []eventstore.Batch {
	var out []eventstore.Batch
	for i := 0; i < len(events); {
		j := i + 1
		for j < len(events) && events[j].StreamID == events[i].StreamID && events[j].Origin == events[i].Origin {
			j++
		}
		out = append(out, eventstore.Batch{
			Stream:          eventstore.Stream{ID: events[i].StreamID, Type: events[i].StreamType},
			ExpectedVersion: eventstore.AnyVersion,
			Events:          events[i:j:j],
		})
		i = j
	}
	return out
}
