package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"conference/shared/eventstore"
	"conference/shared/hlc"
	"conference/shared/sqldb"
)

const eventColumnList = `position, event_id, stream_id, stream_type, stream_version, type, schema, data,
	origin, origin_seq, seen, hlc, correlation_id, causation_id, recorded_at`

func (s *Store) queryEvents(ctx context.Context, capacity int, query string, args ...any) ([]eventstore.Event, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, Classify(err)
	}
	defer rows.Close()
	out := make([]eventstore.Event, 0, capacity)
	var (
		e        eventstore.Event
		id, corr []byte
		cause    []byte
		schema   int32
		h        int64
		rec      int64
	)
	for rows.Next() {
		if err := rows.Scan(&e.Position, &id, &e.StreamID, &e.StreamType, &e.StreamVersion, &e.Type, &schema, &e.Data,
			&e.Origin, &e.OriginSeq, &e.Seen, &h, &corr, &cause, &rec); err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		e.EventID, e.Schema, e.HLC = uuid.UUID(id), int(schema), hlc.Timestamp(h)
		e.CorrelationID, e.CausationID = optionalID(corr), optionalID(cause)
		e.RecordedAt = time.UnixMilli(rec).UTC()
		out = append(out, e)
		e = eventstore.Event{}
	}
	if err := rows.Err(); err != nil {
		return nil, Classify(err)
	}
	return out, nil
}

// ReadStream returns the events of one stream with version > after.
func (s *Store) ReadStream(ctx context.Context, streamID string, after int64) ([]eventstore.Event, error) {
	evs, err := s.queryEvents(ctx, 0, `SELECT `+eventColumnList+` FROM events
		WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version`, streamID, after)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", streamID, err)
	}
	return evs, nil
}

// ReadStreams returns the whole of several streams in one query, each in
// version order.
func (s *Store) ReadStreams(ctx context.Context, streamIDs []string) (map[string][]eventstore.Event, error) {
	evs, err := s.queryEvents(ctx, 0, `SELECT `+eventColumnList+` FROM events
		WHERE stream_id = ANY($1) ORDER BY stream_id, stream_version`, streamIDs)
	if err != nil {
		return nil, fmt.Errorf("read %d streams: %w", len(streamIDs), err)
	}
	out := make(map[string][]eventstore.Event, len(streamIDs))
	for _, e := range evs {
		out[e.StreamID] = append(out[e.StreamID], e)
	}
	return out, nil
}

// ReadLog returns up to limit events with position > after, in log order,
// from the replica's ring of newest events when it holds them, and never
// past the durable head (durable.go).
func (s *Store) ReadLog(ctx context.Context, after int64, limit int) ([]eventstore.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	durable := s.durableHead()
	if evs, ok := s.tail.read(after, limit); ok && (len(evs) > 0 || after >= durable) {
		return evs, nil
	}
	if after >= durable {
		return nil, nil
	}
	evs, err := s.queryEvents(ctx, min(limit, 1024), `SELECT `+eventColumnList+` FROM events
		WHERE position > $1 AND position <= $3 ORDER BY position LIMIT $2`, after, limit, durable)
	if err != nil {
		return nil, fmt.Errorf("read log after %d: %w", after, err)
	}
	return evs, nil
}

// ReadLogWindow returns the events with after < position <= upTo whose type
// is one of types, in log order (a projection's rebuild).
func (s *Store) ReadLogWindow(ctx context.Context, after, upTo int64, types []string) ([]eventstore.LogEntry, error) {
	if len(types) == 0 || upTo <= after {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT position, type, schema, data FROM events
		WHERE position > $1 AND position <= $2 AND type = ANY($3) ORDER BY position`, after, upTo, types)
	if err != nil {
		return nil, fmt.Errorf("read log window (%d, %d]: %w", after, upTo, Classify(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (eventstore.LogEntry, error) {
		var e eventstore.LogEntry
		var schema int32
		err := row.Scan(&e.Position, &e.Type, &schema, &e.Data)
		e.Schema = int(schema)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read log window (%d, %d]: %w", after, upTo, Classify(err))
	}
	return out, nil
}

// Head is the position of the last committed event, read from the
// database (another replica may have committed since this one last heard)
// and made durable before it is returned.
func (s *Store) Head(ctx context.Context) (int64, error) {
	head, _, err := s.durableHeads(ctx)
	if err != nil {
		return 0, fmt.Errorf("read log head: %w", err)
	}
	return head, nil
}

// WaitForAppend returns once this replica knows the head is past after, or
// ctx ends. Commits of other replicas arrive by notification (or the
// poll).
func (s *Store) WaitForAppend(ctx context.Context, after int64) error {
	for {
		s.mu.Lock()
		head, ch := s.head, s.appended
		s.mu.Unlock()
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

// advance moves the known head forward and wakes waiters; s.mu is held.
func (s *Store) advance(head int64) {
	if head <= s.head {
		return
	}
	s.head = head
	close(s.appended)
	s.appended = make(chan struct{})
}

// advanceMessages likewise for the message log; s.mu is held.
func (s *Store) advanceMessages(head int64) {
	if head > s.msgHead {
		s.msgHead = head
	}
	close(s.messaged)
	s.messaged = make(chan struct{})
}

// WatchStream returns a channel closed once a commit adds events to
// streamID after this call (on any replica), or the store closes.
func (s *Store) WatchStream(streamID string) (<-chan struct{}, func()) {
	return s.streams.Watch(streamID)
}

// wakeStreams wakes the watchers of the streams evs touch.
func (s *Store) wakeStreams(evs []eventstore.Event) {
	s.streams.Wake(func(yield func(string) bool) {
		for _, e := range evs {
			if !yield(e.StreamID) {
				return
			}
		}
	})
}

// StreamVersion is never known without a query here: other replicas append
// too. (A repository then always reads the stream.)
func (s *Store) StreamVersion(string) (int64, bool) { return 0, false }

// OriginSeq is the last origin_seq stored from origin (0 for none).
func (s *Store) OriginSeq(ctx context.Context, origin string) (int64, error) {
	var seq int64
	err := s.pool.QueryRow(ctx, `SELECT last_seq FROM origins WHERE origin = $1`, origin).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read origin_seq of %s: %w", origin, Classify(err))
	}
	return seq, nil
}

// OriginSeqs is the last origin_seq stored from each origin.
func (s *Store) OriginSeqs(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT origin, last_seq FROM origins`)
	if err != nil {
		return nil, fmt.Errorf("read origin sequences: %w", Classify(err))
	}
	out := map[string]int64{}
	var o string
	var seq int64
	if _, err := pgx.ForEachRow(rows, []any{&o, &seq}, func() error { out[o] = seq; return nil }); err != nil {
		return nil, fmt.Errorf("read origin sequences: %w", Classify(err))
	}
	return out, nil
}

// SaveSnapshot stores s, replacing an older snapshot of the stream.
func (s *Store) SaveSnapshot(ctx context.Context, snap eventstore.Snapshot) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO snapshots (stream_id, version, schema, data, saved_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, schema = excluded.schema, data = excluded.data, saved_at = excluded.saved_at
		WHERE snapshots.version <= excluded.version`,
		snap.StreamID, snap.Version, snap.Schema, snap.Data, s.opts.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("save snapshot of %s: %w", snap.StreamID, Classify(err))
	}
	return nil
}

// LoadSnapshot returns the stream's snapshot; ok is false when it has none.
func (s *Store) LoadSnapshot(ctx context.Context, streamID string) (eventstore.Snapshot, bool, error) {
	snap := eventstore.Snapshot{StreamID: streamID}
	var schema int32
	err := s.pool.QueryRow(ctx, `SELECT version, schema, data FROM snapshots WHERE stream_id = $1`, streamID).Scan(&snap.Version, &schema, &snap.Data)
	if errors.Is(err, pgx.ErrNoRows) {
		return eventstore.Snapshot{}, false, nil
	}
	if err != nil {
		return eventstore.Snapshot{}, false, fmt.Errorf("load snapshot of %s: %w", streamID, Classify(err))
	}
	snap.Schema = int(schema)
	return snap, true, nil
}

// IsProcessed reports whether handler has handled messageID.
func (s *Store) IsProcessed(ctx context.Context, handler string, messageID uuid.UUID) (bool, error) {
	var one int
	err := s.pool.QueryRow(ctx, `SELECT 1 FROM processed_messages WHERE handler = $1 AND message_id = $2`, handler, messageID[:]).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read processed mark of %s by %s: %w", messageID, handler, Classify(err))
	}
	return true, nil
}

// MarkProcessed records that handler handled messageID; marking twice is fine.
func (s *Store) MarkProcessed(ctx context.Context, handler string, messageID uuid.UUID) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO processed_messages (handler, message_id, processed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		handler, messageID[:], s.opts.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("mark %s processed by %s: %w", messageID, handler, Classify(err))
	}
	return nil
}

// ProcessedAmong returns which of ids handler has processed.
func (s *Store) ProcessedAmong(ctx context.Context, handler string, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	arg := make([][]byte, len(ids))
	for i, id := range ids {
		arg[i] = id[:]
	}
	rows, err := s.pool.Query(ctx, `SELECT message_id FROM processed_messages WHERE handler = $1 AND message_id = ANY($2)`, handler, arg)
	if err != nil {
		return nil, fmt.Errorf("read processed marks of %s: %w", handler, Classify(err))
	}
	out := map[uuid.UUID]bool{}
	var id []byte
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error { out[uuid.UUID(id)] = true; return nil }); err != nil {
		return nil, fmt.Errorf("read processed marks of %s: %w", handler, Classify(err))
	}
	return out, nil
}

// Checkpoint returns a projection's stored position (0 when new).
func (s *Store) Checkpoint(ctx context.Context, q sqldb.Querier, name string) (int64, error) {
	return sqldb.Checkpoint(ctx, q, name)
}

// SaveCheckpoint stores a projection's position inside the caller's
// transaction, the one that wrote the projection rows it describes.
func (s *Store) SaveCheckpoint(ctx context.Context, tx sqldb.Tx, name string, position int64) error {
	return sqldb.SaveCheckpoint(ctx, tx, name, position)
}

// Write runs fn in a transaction of its own and commits it. Unlike SQLite,
// PostgreSQL takes concurrent writers, so adapters' writes need not queue
// behind the appends. A write whose context carries a lease (lease.Run)
// commits only while the lease is held.
//
// A write that enqueues messages (EnqueueTx) holds the messages counter's
// row, which every append with messages needs too, until it commits; it
// commits without waiting for the disk and is made durable just after,
// outside the lock, as the appends are (durable.go). Its notice goes out
// once it is durable.
func (s *Store) Write(ctx context.Context, fn func(tx sqldb.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Classify(err)
	}
	if err := checkLease(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	w := &writeTx{Tx: tx}
	if err := callWrite(fn, w); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return Classify(err)
	}
	if !w.enqueued {
		return nil
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("make the write durable: %w", Classify(err))
	}
	defer conn.Release()
	if err := flush(ctx, conn.Conn(), 0, w.messages); err != nil {
		return fmt.Errorf("make the write durable: %w", err)
	}
	return nil
}

// writeTx is Write's transaction as fn sees it: EnqueueTx records on it
// what the commit must announce.
type writeTx struct {
	*sql.Tx
	enqueued bool
	messages int64 // the messages' head after this transaction's inserts
}

func callWrite(fn func(sqldb.Tx) error, tx sqldb.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write function panicked: %v", p)
		}
	}()
	return fn(tx)
}

// optionalID reads a nullable id column (NULL or 16 bytes).
func optionalID(b []byte) uuid.UUID {
	if len(b) != 16 {
		return uuid.Nil
	}
	return uuid.UUID(b)
}
