// Package sqlite implements conferences.Service in the hub's SQL database
// (SQLite, or PostgreSQL for replicas: the same statements run on both),
// next to the event store, so that every change and the integration event
// it publishes commit in one transaction (the outbox).
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/sqldb"
)

// Service is conferences.Service over a sqldb.Store opened with the
// migrations.Hub component.
type Service struct {
	store sqldb.Store
	db    *sqldb.DB
	// Now stamps created_at/updated_at; time.Now when nil.
	Now func() time.Time
	// Inventory receives the seat quotas before a conference goes on sale
	// and after each seat type change; nil leaves them to the integration
	// events alone.
	Inventory conferences.Inventory
	// Logger reports a seat type change whose quota the inventory has not
	// taken yet; slog.Default when nil.
	Logger *slog.Logger

	version atomic.Int64
}

// Version counts the changes committed through s. A cache of what s
// returned is current while Version is what it was when the cache was
// filled (read Version before reading s).
func (s *Service) Version() int64 { return s.version.Load() }

var _ conferences.Service = (*Service)(nil)

// New returns a Service storing its tables in store's database.
func New(store sqldb.Store) *Service {
	return &Service{store: store, db: store.DB()}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// change runs fn in one write transaction and enqueues the events it
// returns in the same transaction; on any error nothing is written.
func (s *Service) change(ctx context.Context, op string, fn func(tx *sql.Tx) ([]conferences.Event, error)) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", op, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	events, err := fn(tx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	msgs := make([]eventstore.Message, 0, len(events))
	for _, e := range events {
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("%s: encode %s: %w", op, e.EventType(), err)
		}
		msgs = append(msgs, eventstore.Message{ID: ids.New(), Kind: eventstore.KindEvent, Type: e.EventType(), Data: data})
	}
	if len(msgs) > 0 {
		if err := s.store.EnqueueTx(ctx, tx, msgs...); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, err)
	}
	s.version.Add(1)
	if len(msgs) > 0 {
		s.store.NotifyMessages()
	}
	return nil
}

// syncInventory brings the conference's quotas to the Inventory.
func (s *Service) syncInventory(ctx context.Context, conferenceID uuid.UUID) error {
	if s.Inventory == nil {
		return nil
	}
	if err := s.Inventory.SyncQuotas(ctx, conferenceID); err != nil {
		return fmt.Errorf("bring seat quotas of conference %s to the inventory: %w", conferenceID, err)
	}
	return nil
}

// followSeatType brings a committed seat type change to the Inventory at
// once, so the seat type is orderable in full when the organizer's call
// returns. The change stands if that fails: its integration event brings
// the quota a moment later, so the failure is logged, not returned.
func (s *Service) followSeatType(ctx context.Context, st *conferences.SeatType) {
	if err := s.syncInventory(ctx, st.ConferenceID); err != nil {
		s.logger().Warn("seat type saved; its quota follows through the outbox", "seat_type", st.ID, "err", err)
	}
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// uniqueViolation maps a UNIQUE constraint failure onto ErrConflict with a
// message naming what is taken; other errors pass through.
func uniqueViolation(err error, what string) error {
	if sqldb.IsUniqueViolation(err) {
		return fmt.Errorf("%w: %s is already taken", conferences.ErrConflict, what)
	}
	return err
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// scanID reads a 16-byte id column.
type scanID struct{ id *uuid.UUID }

func (s scanID) Scan(src any) error {
	b, ok := src.([]byte)
	if !ok || len(b) != 16 {
		return fmt.Errorf("id column: want 16 bytes, got %T", src)
	}
	copy(s.id[:], b)
	return nil
}
