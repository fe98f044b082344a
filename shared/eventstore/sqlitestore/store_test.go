package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/eventstore/storetest"
	"conference/shared/ids"
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

func TestEnqueueTxIsAtomicWithTheCallersChange(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	if _, err := s.DB().Exec(`CREATE TABLE conferences (slug TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	msg := func() eventstore.Message {
		return eventstore.Message{ID: ids.New(), Kind: eventstore.KindEvent, Type: "conferences.ConferenceCreated", Data: []byte(`{}`)}
	}
	// Rolled back: neither the row nor the message exists.
	tx, _ := s.DB().BeginTx(ctx, nil)
	tx.Exec(`INSERT INTO conferences VALUES ('gophercon')`)
	if err := s.EnqueueTx(ctx, tx, msg()); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	if pending, _ := s.PendingMessages(ctx, time.Now(), 10); len(pending) != 0 {
		t.Fatalf("rolled-back change left %d messages", len(pending))
	}
	// Committed: both, and a waiting dispatcher is woken.
	wake := s.MessagesWritten()
	tx, _ = s.DB().BeginTx(ctx, nil)
	tx.Exec(`INSERT INTO conferences VALUES ('gophercon')`)
	if err := s.EnqueueTx(ctx, tx, msg()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	s.NotifyMessages()
	select {
	case <-wake:
	default:
		t.Fatal("dispatcher not woken")
	}
	if pending, _ := s.PendingMessages(ctx, time.Now(), 10); len(pending) != 1 {
		t.Fatalf("got %d messages, want 1", len(pending))
	}
}

func TestLogContract(t *testing.T) {
	storetest.RunLog(t, func(t *testing.T) storetest.LogStore { return openTemp(t) })
}
