package pgstore_test

import (
	"context"
	"testing"

	"conference/shared/eventstore"
	"conference/shared/eventstore/pgstore"
	"conference/shared/eventstore/storetest"
	"conference/shared/pgtest"
)

func openTemp(t *testing.T) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), pgtest.NewDatabase(t), pgstore.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store { return openTemp(t) })
}

func TestLogContract(t *testing.T) {
	storetest.RunLog(t, func(t *testing.T) storetest.LogStore { return openTemp(t) })
}
