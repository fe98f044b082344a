package venuefile_test

import (
	"bytes"
	"errors"
	"testing"

	"conference/shared/eventstore"
	"conference/sync/merge"
	"conference/sync/venuefile"
)

// FuzzDecode feeds arbitrary bytes to the venue file decoder: it must never
// panic, refuse what it cannot use with ErrBadFile, and hand out only
// whole, ordered events from a file it accepts. The corpus under
// testdata/fuzz/FuzzDecode (a valid file and broken ones) runs in go test.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"format":"conference-venue-file","version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got []eventstore.Event
		h, err := venuefile.Decode(bytes.NewReader(data), func(e eventstore.Event) error {
			got = append(got, e)
			return nil
		})
		if err != nil {
			if !errors.Is(err, venuefile.ErrBadFile) {
				t.Fatalf("error %v does not match ErrBadFile", err)
			}
			return
		}
		if h.Format != venuefile.Format || h.Version != venuefile.Version {
			t.Fatalf("accepted header %+v", h)
		}
		var prev int64
		for _, e := range got {
			if err := merge.ValidEnvelope(&e); err != nil || e.Position <= prev || e.Position > h.HubPosition {
				t.Fatalf("accepted event %+v (%v)", e, err)
			}
			prev = e.Position
		}
	})
}
