package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"conference/shared/crashtest"
	"conference/shared/eventstore"
	"conference/shared/ids"
)

// The crash test, shared by every store: a child process appends batches of
// 1-20 events from four goroutines and prints "ack <batch>" after each
// Append returned; the test kills it with SIGKILL at a random moment, many
// times, and after each kill checks that every batch is whole or absent,
// that no acknowledged batch is lost, and that stream versions and
// origin_seq stay gap-free.

type crashPayload struct {
	Batch string `json:"batch"`
	Size  int    `json:"size"`
	I     int    `json:"i"`
}

// Opener opens the store a crash test works on (the same one every time).
type Opener func(ctx context.Context) (eventstore.Store, error)

// CrashChild is the child's side: call it from TestMain when the child's
// environment variable is set; it appends until killed.
func CrashChild(open Opener) error {
	ctx := context.Background()
	s, err := open(ctx)
	if err != nil {
		return err
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st := eventstore.Stream{ID: fmt.Sprintf("crash-%d", w), Type: "crash"}
			existing, err := s.ReadStream(ctx, st.ID, 0)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(4)
			}
			version := int64(len(existing))
			for {
				batch, n := ids.New().String(), 1+rand.IntN(20)
				evs := make([]eventstore.Event, n)
				for i := range evs {
					data, _ := json.Marshal(crashPayload{Batch: batch, Size: n, I: i})
					evs[i] = eventstore.Event{EventID: ids.New(), Type: "crash.Appended", Schema: 1, Data: data}
				}
				res, err := s.Append(ctx, st, version, evs)
				var conflict *eventstore.ConflictError
				if errors.As(err, &conflict) {
					// The killed child's last append may commit after its
					// death, on a server that was still working on it
					// (PostgreSQL): take the stream as it is now.
					version = conflict.Actual
					continue
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(5)
				}
				version = res.Version
				out.Lock()
				fmt.Fprintf(os.Stdout, "ack %s\n", batch)
				out.Unlock()
			}
		}(w)
	}
	wg.Wait()
	return nil
}

// Crash kills a child (crashtest.Child) kills times and verifies the store
// after each kill, opened with open.
func Crash(t *testing.T, kills int, child crashtest.Child, open Opener) {
	v := &crashVerifier{versions: map[string]int64{}, batches: map[string]bool{}}
	for k := 0; k < kills; k++ {
		acked := crashtest.RunAndKill(t, child, time.Duration(5+rand.IntN(60))*time.Millisecond)
		v.verify(t, open, acked, k)
	}
	if len(v.batches) < kills {
		t.Fatalf("only %d batches over %d runs: the child hardly appended, the test proves little", len(v.batches), kills)
	}
	t.Logf("%d kills, %d batches, %d events verified", kills, len(v.batches), v.seq)
}

// crashVerifier checks the log incrementally across kills.
type crashVerifier struct {
	after    int64            // log verified up to here (batch boundary)
	versions map[string]int64 // per stream
	seq      int64            // last origin_seq
	batches  map[string]bool  // complete batches seen
}

func (v *crashVerifier) verify(t *testing.T, open Opener, acked []string, kill int) {
	t.Helper()
	ctx := context.Background()
	s, err := open(ctx)
	if err != nil {
		t.Fatalf("kill %d: reopen after SIGKILL: %v", kill, err)
	}
	defer s.Close()
	counts := map[string]int{}
	for {
		page, err := s.ReadLog(ctx, v.after, 1000)
		if err != nil {
			t.Fatalf("kill %d: log unreadable after position %d: %v", kill, v.after, err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			var p crashPayload
			if err := json.Unmarshal(e.Data, &p); err != nil {
				t.Fatalf("kill %d: event %d has a torn payload: %v", kill, e.Position, err)
			}
			if e.Position != v.after+1 {
				t.Fatalf("kill %d: log skips from %d to %d", kill, v.after, e.Position)
			}
			v.after = e.Position
			if e.StreamVersion != v.versions[e.StreamID]+1 {
				t.Fatalf("kill %d: stream %s jumps from %d to %d", kill, e.StreamID, v.versions[e.StreamID], e.StreamVersion)
			}
			if e.OriginSeq != v.seq+1 {
				t.Fatalf("kill %d: origin_seq jumps from %d to %d", kill, v.seq, e.OriginSeq)
			}
			v.versions[e.StreamID], v.seq = e.StreamVersion, e.OriginSeq
			counts[p.Batch]++
			if counts[p.Batch] == p.Size {
				v.batches[p.Batch] = true
				delete(counts, p.Batch)
			}
		}
	}
	if len(counts) != 0 {
		t.Fatalf("kill %d: %d batches stored partially: %v", kill, len(counts), counts)
	}
	for _, b := range acked {
		if !v.batches[b] {
			t.Fatalf("kill %d: acknowledged batch %s lost", kill, b)
		}
	}
}
