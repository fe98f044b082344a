package sqlitestore_test

import (
	"conference/shared/crashtest"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
)

// crashChildEnv makes the test binary act as the appending child process.
const crashChildEnv = "SQLITESTORE_CRASH_CHILD_DB"

func TestMain(m *testing.M) {
	if db := os.Getenv(crashChildEnv); db != "" {
		if err := crashChild(db); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	if db := os.Getenv(readOnlyChildEnv); db != "" {
		os.Exit(openAsChild(db))
	}
	os.Exit(m.Run())
}

type crashPayload struct {
	Batch string `json:"batch"`
	Size  int    `json:"size"`
	I     int    `json:"i"`
}

// crashChild appends batches of 1-20 events from four goroutines until it is
// killed, printing "ack <batch>" only after Append returned success.
func crashChild(db string) error {
	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, db, sqlitestore.Options{})
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
				if _, err := s.Append(ctx, st, version, evs); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(5)
				}
				version += int64(n)
				out.Lock()
				fmt.Fprintf(os.Stdout, "ack %s\n", batch)
				out.Unlock()
			}
		}(w)
	}
	wg.Wait()
	return nil
}

// crashVerifier checks the log incrementally across kills.
type crashVerifier struct {
	after    int64            // log verified up to here (batch boundary)
	versions map[string]int64 // per stream
	seq      int64            // last origin_seq
	batches  map[string]bool  // complete batches seen
}

func TestSIGKILLWhileAppendingLeavesWholeBatchesOnly(t *testing.T) {
	kills := 100
	if testing.Short() {
		kills = 15
	}
	db := filepath.Join(t.TempDir(), "crash.db")
	v := &crashVerifier{versions: map[string]int64{}, batches: map[string]bool{}}
	for k := 0; k < kills; k++ {
		acked := runAndKill(t, db, time.Duration(5+rand.IntN(60))*time.Millisecond)
		v.verify(t, db, acked, k)
	}
	if len(v.batches) < kills {
		t.Fatalf("only %d batches over %d runs: the child hardly appended, the test proves little", len(v.batches), kills)
	}
	t.Logf("%d kills, %d batches, %d events verified", kills, len(v.batches), v.seq)
}

func runAndKill(t *testing.T, db string, after time.Duration) []string {
	t.Helper()
	return crashtest.RunAndKill(t, crashtest.Child{Env: crashChildEnv, Value: db, Ready: 30 * time.Second}, after)
}

func (v *crashVerifier) verify(t *testing.T, db string, acked []string, kill int) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, db, sqlitestore.Options{})
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
		v.after = page[len(page)-1].Position
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
