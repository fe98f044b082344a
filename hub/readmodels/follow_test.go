package readmodels

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore/backendtest"
	"conference/shared/registrations"
	"conference/shared/sqldb"
)

// Two replicas on one PostgreSQL database: the first writes the models
// (Run, under the lease in the hub), the second only follows. A read on the
// second that waits for a position written through the first returns once
// the writer applied it, and its in-memory seat index shows it.
func TestAReplicaThatDoesNotWriteTheModelsReadsWhatTheWriterApplied(t *testing.T) {
	if backendtest.Current(t) != sqldb.Postgres {
		t.Skip("replicas share a database on PostgreSQL only; SQLite admits one process (CONFERENCE_TEST_DB=postgres runs this)")
	}
	stores := backendtest.Replicas(t, 2, backendtest.Options{})
	writer, err := New(stores[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	follower, err := New(stores[1], Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go writer.Run(runCtx)      //nolint:errcheck // ends with stop
	go follower.Follow(runCtx) //nolint:errcheck // ends with stop

	f := &fixture{t: t, store: stores[0], registry: newRegistry(), versions: map[string]int64{}}
	conf, seatType := uuid.New(), uuid.New()
	for quota := 1; quota <= 3; quota++ {
		if quota == 1 {
			f.given(registrations.AvailabilityStreamID(conf), registrations.SeatTypeAdded{ConferenceID: conf, SeatType: seatType, Quota: 1})
		} else {
			f.given(registrations.AvailabilityStreamID(conf), registrations.SeatQuotaIncreased{ConferenceID: conf, SeatType: seatType, By: 1, Quota: quota})
		}
		if err := follower.WaitFor(ctx, f.last); err != nil {
			t.Fatalf("the follower never saw position %d the writer applied: %v", f.last, err)
		}
		if got := follower.Position(); got < f.last {
			t.Fatalf("WaitFor returned at position %d, before %d", got, f.last)
		}
		views, err := follower.SeatTypes(ctx, conf)
		if err != nil || len(views) != 1 || views[0].Quota != quota {
			t.Fatalf("the follower's seat types after quota %d: %+v (%v)", quota, views, err)
		}
	}
}
