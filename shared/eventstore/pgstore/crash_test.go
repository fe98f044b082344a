package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"conference/shared/crashtest"
	"conference/shared/eventstore"
	"conference/shared/eventstore/pgstore"
	"conference/shared/eventstore/storetest"
	"conference/shared/pgtest"
)

// crashChildEnv makes the test binary act as the appending child process.
const crashChildEnv = "PGSTORE_CRASH_CHILD_DB"

func TestMain(m *testing.M) {
	if db := os.Getenv(crashChildEnv); db != "" {
		if err := storetest.CrashChild(opener(db)); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func opener(db string) storetest.Opener {
	return func(ctx context.Context) (eventstore.Store, error) {
		return pgstore.Open(ctx, db, pgstore.Options{})
	}
}

// The client process dies mid-append, its transactions cut off wherever
// they were; the server keeps fsync on, as in production.
func TestSIGKILLWhileAppendingLeavesWholeBatchesOnly(t *testing.T) {
	kills := 40
	if testing.Short() {
		kills = 10
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgtest.Start(ctx, pgtest.Options{Fsync: true})
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	defer c.Stop()
	db := c.NewDatabase(t)
	storetest.Crash(t, kills, crashtest.Child{Env: crashChildEnv, Value: db, Ready: 30 * time.Second}, opener(db))
}
