package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/eventstore/storetest"
)

func openTemp(t *testing.T) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "events.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store { return openTemp(t) })
}
