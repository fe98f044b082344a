package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/hlc"
	"conference/shared/sqldb"
)

const eventColumns = `position, event_id, stream_id, stream_type, stream_version, type, schema, data,
	origin, origin_seq, seen, hlc, correlation_id, causation_id, recorded_at`

const logSQL = `SELECT ` + eventColumns + ` FROM events WHERE position > ? ORDER BY position LIMIT ?`

// readStmts are the reads every aggregate load makes,
// prepared once: modernc.org/sqlite does not cache statements, and parsing
// the SQL again for every call cost the hub more than running it.
type readStmts struct {
	stream, snapshot, processed *sql.Stmt
}

func (r readStmts) all() []*sql.Stmt {
	return []*sql.Stmt{r.stream, r.snapshot, r.processed}
}

// prepareReads prepares the read statements on the read pool; database/sql
// prepares each again on every pooled connection that runs it, once.
func (s *Store) prepareReads(ctx context.Context) error {
	p := preparer(ctx, s.db)
	r := &s.reads
	return errors.Join(
		p(&r.stream, streamEventsSQL(`stream_id = ?1 AND stream_version > ?2`, `stream_version`)),
		p(&r.snapshot, `SELECT version, schema, data FROM snapshots WHERE stream_id = ?`),
		p(&r.processed, `SELECT 1 FROM processed_messages WHERE handler = ? AND message_id = ?`),
	)
}

// ReadStream returns the events of one stream with version > after.
func (s *Store) ReadStream(ctx context.Context, streamID string, after int64) ([]eventstore.Event, error) {
	if evs, ok := s.streamFromMemory(streamID, after); ok {
		return evs, nil
	}
	// The unindexed events first: one the index takes meanwhile is then
	// found there (streamindex.go).
	tail, err := s.unindexedOf(ctx, streamID, after)
	if err != nil {
		return nil, err
	}
	rows, err := s.reads.stream.QueryContext(ctx, streamID, after)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", streamID, err)
	}
	evs, err := scanEvents(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", streamID, err)
	}
	return withUnindexed(evs, tail), nil
}

// streamFromMemory answers a stream the writer has seen this run when it
// has nothing after after, or when its events after after are all among
// the newest the store keeps.
func (s *Store) streamFromMemory(streamID string, after int64) ([]eventstore.Event, bool) {
	v, ok := s.StreamVersion(streamID)
	switch {
	case !ok:
		return nil, false
	case v <= after:
		return nil, true
	}
	return s.recent.stream(streamID, after, v)
}

// ReadLog returns up to limit events with position > after, in log order.
func (s *Store) ReadLog(ctx context.Context, after int64, limit int) ([]eventstore.Event, error) {
	if limit <= 0 {
		limit = 1000
	}
	if evs, ok := s.recent.read(after, limit); ok {
		return evs, nil
	}
	evs, err := s.queryEventsOnPool(ctx, logSQL, limit, after, int64(limit))
	if err != nil {
		return nil, fmt.Errorf("read log after %d: %w", after, err)
	}
	return evs, nil
}

func scanEvents(rows *sql.Rows, capacity int) ([]eventstore.Event, error) {
	defer rows.Close()
	out := make([]eventstore.Event, 0, capacity)
	for rows.Next() {
		var (
			e               eventstore.Event
			id, corr, cause []byte
			clock, recorded int64
		)
		if err := rows.Scan(&e.Position, &id, &e.StreamID, &e.StreamType, &e.StreamVersion, &e.Type, &e.Schema, &e.Data,
			&e.Origin, &e.OriginSeq, &e.Seen, &clock, &corr, &cause, &recorded); err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		var err error
		if e.EventID, err = uuid.FromBytes(id); err != nil {
			return nil, fmt.Errorf("event at position %d: bad event id: %w", e.Position, err)
		}
		e.CorrelationID, e.CausationID = optionalID(corr), optionalID(cause)
		e.HLC = hlc.Timestamp(clock)
		e.RecordedAt = time.UnixMilli(recorded).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return out, nil
}

func optionalID(b []byte) uuid.UUID {
	if len(b) != 16 {
		return uuid.Nil
	}
	return uuid.UUID(b)
}

// Head is the position of the last committed event.
func (s *Store) Head(context.Context) (int64, error) {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	return s.head, nil
}

// WaitForAppend returns once an event past after is committed, or ctx ends.
func (s *Store) WaitForAppend(ctx context.Context, after int64) error {
	for {
		s.notifyMu.Lock()
		head, ch := s.head, s.appended
		s.notifyMu.Unlock()
		if head > after {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.quit:
			return eventstore.ErrClosed
		}
	}
}

// MessagesWritten returns a channel closed at the next commit that writes
// outbox messages, so a dispatcher sleeps until there is work.
func (s *Store) MessagesWritten() <-chan struct{} {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	return s.messaged
}

// SaveSnapshot stores (or replaces) the snapshot of a stream.
func (s *Store) SaveSnapshot(ctx context.Context, snap eventstore.Snapshot) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO snapshots (stream_id, version, schema, data, saved_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, schema = excluded.schema,
		data = excluded.data, saved_at = excluded.saved_at WHERE excluded.version >= snapshots.version`,
		snap.StreamID, snap.Version, snap.Schema, snap.Data, s.opts.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("save snapshot of %s at %d: %w", snap.StreamID, snap.Version, err)
	}
	return nil
}

// LoadSnapshot returns the latest snapshot of a stream.
func (s *Store) LoadSnapshot(ctx context.Context, streamID string) (eventstore.Snapshot, bool, error) {
	snap := eventstore.Snapshot{StreamID: streamID}
	err := s.reads.snapshot.QueryRowContext(ctx, streamID).Scan(&snap.Version, &snap.Schema, &snap.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return snap, false, nil
	}
	if err != nil {
		return snap, false, fmt.Errorf("load snapshot of %s: %w", streamID, err)
	}
	return snap, true, nil
}

// IsProcessed reports whether handler already handled messageID.
func (s *Store) IsProcessed(ctx context.Context, handler string, messageID uuid.UUID) (bool, error) {
	var one int
	err := s.reads.processed.QueryRowContext(ctx, handler, messageID[:]).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("is %s processed by %s: %w", messageID, handler, err)
	}
	return true, nil
}

// MarkProcessed records that handler handled messageID; marking twice is fine.
func (s *Store) MarkProcessed(ctx context.Context, handler string, messageID uuid.UUID) error {
	_, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO processed_messages (handler, message_id, processed_at) VALUES (?, ?, ?)`,
		handler, messageID[:], s.opts.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("mark %s processed by %s: %w", messageID, handler, err)
	}
	return nil
}

// Checkpoint returns a projection's stored position (0 when new).
func (s *Store) Checkpoint(ctx context.Context, q Querier, name string) (int64, error) {
	return sqldb.Checkpoint(ctx, q, name)
}

// SaveCheckpoint stores a projection's position inside the caller's
// transaction, the one that wrote the projection rows it describes.
func (s *Store) SaveCheckpoint(ctx context.Context, tx Tx, name string, position int64) error {
	return sqldb.SaveCheckpoint(ctx, tx, name, position)
}

// Querier is what *sql.DB and *sql.Tx have in common for reads.
type Querier = sqldb.Querier
