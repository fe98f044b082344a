package sqlitestore_test

import (
	"conference/shared/crashtest"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/eventstore/storetest"
)

// crashChildEnv makes the test binary act as the appending child process.
const crashChildEnv = "SQLITESTORE_CRASH_CHILD_DB"

func TestMain(m *testing.M) {
	if db := os.Getenv(crashChildEnv); db != "" {
		if err := storetest.CrashChild(opener(db)); err != nil {
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

func TestSIGKILLWhileAppendingLeavesWholeBatchesOnly(t *testing.T) {
	kills := 100
	if testing.Short() {
		kills = 15
	}
	db := filepath.Join(t.TempDir(), "crash.db")
	storetest.Crash(t, kills, crashtest.Child{Env: crashChildEnv, Value: db, Ready: 30 * time.Second}, opener(db))
}

func opener(db string) storetest.Opener {
	return func(ctx context.Context) (eventstore.Store, error) {
		return sqlitestore.Open(ctx, db, sqlitestore.Options{})
	}
}
