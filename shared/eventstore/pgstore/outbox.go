package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"conference/shared/eventstore"
	"conference/shared/eventstore/internal/appendplan"
	"conference/shared/sqldb"
)

const messageColumnList = `message_id, kind, type, data, correlation_id, causation_id, not_before, created_at`

// scanMessage reads messageColumnList (after any leading columns in dest).
func scanMessage(row pgx.Row, lead ...any) (eventstore.Message, error) {
	var (
		m                 eventstore.Message
		id, corr, cause   []byte
		kind              string
		notBefore, create int64
	)
	dest := append(lead, &id, &kind, &m.Type, &m.Data, &corr, &cause, &notBefore, &create)
	if err := row.Scan(dest...); err != nil {
		return m, fmt.Errorf("scan message: %w", err)
	}
	m.ID, m.Kind = optionalID(id), eventstore.MessageKind(kind)
	m.CorrelationID, m.CausationID = optionalID(corr), optionalID(cause)
	m.NotBefore, m.CreatedAt = time.UnixMilli(notBefore), time.UnixMilli(create)
	return m, nil
}

// queryMessages runs a query whose columns are seq then messageColumnList,
// and makes what it read durable before returning it (durable.go).
func (s *Store) queryMessages(ctx context.Context, query string, args ...any) ([]eventstore.Message, int64, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, 0, Classify(err)
	}
	var last int64
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (eventstore.Message, error) {
		var seq int64
		m, err := scanMessage(row, &seq)
		last = max(last, seq)
		return m, err
	})
	if err != nil {
		return nil, 0, Classify(err)
	}
	if err := s.messagesDurable(ctx, last); err != nil {
		return nil, 0, err
	}
	return out, last, nil
}

// messagesDurable makes sure messages up to seq, which a reader has just
// read, are durable before anyone acts on them. A message written in an
// append group is committed a few milliseconds before it is durable; the
// dispatcher and message followers read the table directly, so whoever
// reads past the durable head this replica knows flushes first.
func (s *Store) messagesDurable(ctx context.Context, seq int64) error {
	if seq <= s.durableMessages() {
		return nil
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return Classify(err)
	}
	defer conn.Release()
	if err := flush(ctx, conn.Conn(), 0, 0); err != nil {
		return err
	}
	s.mu.Lock()
	if seq > s.msgHead {
		s.msgHead = seq
	}
	s.mu.Unlock()
	return nil
}

// PendingMessages returns up to limit undispatched, live messages due at now,
// oldest first.
func (s *Store) PendingMessages(ctx context.Context, now time.Time, limit int) ([]eventstore.Message, error) {
	out, _, err := s.queryMessages(ctx, `SELECT seq, `+messageColumnList+` FROM messages
		WHERE dispatched_at IS NULL AND dead = 0 AND not_before <= $1 ORDER BY not_before, seq LIMIT $2`,
		now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("read pending messages: %w", Classify(err))
	}
	return out, nil
}

// PendingMessagesAfter returns up to limit undispatched, live messages due
// at now with a sequence number past afterSeq, in sequence order, and the
// sequence number of the last one (afterSeq when none).
func (s *Store) PendingMessagesAfter(ctx context.Context, now time.Time, afterSeq int64, limit int) ([]eventstore.Message, int64, error) {
	out, last, err := s.queryMessages(ctx, `SELECT seq, `+messageColumnList+` FROM messages
		WHERE seq > $1 AND dispatched_at IS NULL AND dead = 0 AND not_before <= $2 ORDER BY seq LIMIT $3`,
		afterSeq, now.UnixMilli(), limit)
	if err != nil {
		return nil, afterSeq, fmt.Errorf("read pending messages after %d: %w", afterSeq, err)
	}
	return out, max(last, afterSeq), nil
}

// NextDue is when the earliest undispatched message becomes due (ok=false
// when there is none).
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var ms *int64
	// A timer's hint: reading a message not yet durable here is harmless,
	// the read that takes it flushes first.
	if err := s.pool.QueryRow(ctx, `SELECT MIN(not_before) FROM messages WHERE dispatched_at IS NULL AND dead = 0`).Scan(&ms); err != nil {
		return time.Time{}, false, fmt.Errorf("read next due message: %w", Classify(err))
	}
	if ms == nil {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(*ms), true, nil
}

// MarkDispatched records successful delivery of a message.
func (s *Store) MarkDispatched(ctx context.Context, id uuid.UUID) error {
	if _, err := s.pool.Exec(ctx, `UPDATE messages SET dispatched_at = $1 WHERE message_id = $2`, s.opts.Now().UnixMilli(), id[:]); err != nil {
		return fmt.Errorf("mark %s dispatched: %w", id, Classify(err))
	}
	return nil
}

// MarkDelivered records, in one transaction, that each handler in processed
// handled its message and that the dispatched messages are delivered.
func (s *Store) MarkDelivered(ctx context.Context, processed []eventstore.Processed, dispatched []uuid.UUID) error {
	if len(processed) == 0 && len(dispatched) == 0 {
		return nil
	}
	now := s.opts.Now().UnixMilli()
	handlers := make([]string, len(processed))
	pids := make([][]byte, len(processed))
	for i, p := range processed {
		handlers[i], pids[i] = p.Handler, idBytes(p.MessageID)
	}
	dids := make([][]byte, len(dispatched))
	for i, id := range dispatched {
		dids[i] = idBytes(id)
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO processed_messages (handler, message_id, processed_at)
		SELECT h, id, $3 FROM unnest($1::text[], $2::bytea[]) AS m(h, id) ON CONFLICT DO NOTHING`, handlers, pids, now)
	b.Queue(`UPDATE messages SET dispatched_at = $1 WHERE message_id = ANY($2)`, now, dids)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	if err != nil {
		return fmt.Errorf("mark messages delivered: %w", Classify(err))
	}
	return nil
}

// RecordFailure counts a failed delivery and dead-letters the message once it
// reaches maxAttempts.
func (s *Store) RecordFailure(ctx context.Context, id uuid.UUID, cause error, maxAttempts int, retryAt time.Time) (bool, error) {
	var dead bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var attempts int
		err := tx.QueryRow(ctx, `UPDATE messages SET attempts = attempts + 1, last_error = $1, not_before = $2
			WHERE message_id = $3 RETURNING attempts`, cause.Error(), retryAt.UnixMilli(), id[:]).Scan(&attempts)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("no such message")
		}
		if err != nil {
			return err
		}
		if dead = attempts >= maxAttempts; !dead {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE messages SET dead = 1 WHERE message_id = $1`, id[:]); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO dead_letters (message_id, attempts, error, at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (message_id) DO UPDATE SET attempts = excluded.attempts, error = excluded.error, at = excluded.at`,
			id[:], attempts, cause.Error(), s.opts.Now().UnixMilli())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record failure of %s: %w", id, Classify(err))
	}
	return dead, nil
}

// DeadLetters lists dead-lettered messages, newest first.
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]eventstore.DeadLetter, error) {
	rows, err := s.pool.Query(ctx, `SELECT d.attempts, d.error, d.at, m.message_id, m.kind, m.type, m.data, m.correlation_id, m.causation_id,
		m.not_before, m.created_at
		FROM dead_letters d JOIN messages m ON m.message_id = d.message_id ORDER BY d.at DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("read dead letters: %w", Classify(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (eventstore.DeadLetter, error) {
		var d eventstore.DeadLetter
		var at int64
		m, err := scanMessage(row, &d.Attempts, &d.Error, &at)
		d.Message, d.At = m, time.UnixMilli(at)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("read dead letters: %w", Classify(err))
	}
	return out, nil
}

// Redeliver puts a dead letter back in the outbox, due at at, its attempts
// counted from zero. The conditional update lets one of two replicas
// redelivering at once win. Dispatchers find it at their next full read of
// the outbox (within their poll).
func (s *Store) Redeliver(ctx context.Context, id uuid.UUID, at time.Time) (bool, error) {
	var back bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE messages SET dead = 0, attempts = 0, not_before = $1 WHERE message_id = $2 AND dead = 1`,
			at.UnixMilli(), id[:])
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		back = true
		_, err = tx.Exec(ctx, `DELETE FROM dead_letters WHERE message_id = $1`, id[:])
		return err
	})
	if err != nil {
		return false, fmt.Errorf("redeliver %s: %w", id, Classify(err))
	}
	return back, nil
}

// EnqueueTx writes outbox messages inside the caller's transaction (on the
// store's DB), for adapters that must publish integration events atomically
// with a change of their own tables. Sequence numbers come from the
// messages counter, locked until the caller commits. In a Write, the
// transaction commits without holding that lock through a disk flush and
// the notice that wakes every replica's dispatcher goes out once it is
// durable (Write); in a transaction of the caller's own, the notice goes
// with its (synchronous) commit. Call NotifyMessages after the commit to
// wake this replica's at once.
func (s *Store) EnqueueTx(ctx context.Context, tx sqldb.Tx, msgs ...eventstore.Message) error {
	now := s.opts.Now()
	for _, m := range msgs {
		if err := appendplan.ValidateMessage(m); err != nil {
			return err
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	// database/sql hands arguments to pgx one by one; arrays as text.
	cols := messageColumns(msgs, now)
	if _, err := tx.ExecContext(ctx, insertMessages, cols...); err != nil {
		return fmt.Errorf("enqueue %d messages: %w", len(msgs), Classify(err))
	}
	if w, ok := tx.(*writeTx); ok {
		if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			return fmt.Errorf("enqueue %d messages: %w", len(msgs), Classify(err))
		}
		if err := tx.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'messages'`).Scan(&w.messages); err != nil {
			return fmt.Errorf("enqueue %d messages: %w", len(msgs), Classify(err))
		}
		w.enqueued = true
		return nil
	}
	// The caller's transaction commits synchronously, so the notice (with
	// the messages' head, read under the counter's lock) goes out once they
	// are durable.
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, value::text) FROM counters WHERE name = 'messages'`, channelMessages); err != nil {
		return fmt.Errorf("enqueue %d messages: %w", len(msgs), Classify(err))
	}
	return nil
}

// NotifyMessages wakes this replica's dispatchers waiting on
// MessagesWritten.
func (s *Store) NotifyMessages() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceMessages(0)
}

// MessagesWritten returns a channel closed when a message is next written
// (by any replica).
func (s *Store) MessagesWritten() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messaged
}

// MessagesHead is the sequence number of the last message written (0 when
// there is none), made durable before it is returned.
func (s *Store) MessagesHead(ctx context.Context) (int64, error) {
	_, head, err := s.durableHeads(ctx)
	if err != nil {
		return 0, fmt.Errorf("read message log head: %w", err)
	}
	return head, nil
}

// ReadMessages returns up to limit messages with seq > after whose type
// starts with typePrefix ("" for all), in log order, and the sequence
// number the read covered (see sqlitestore.Store.ReadMessages).
func (s *Store) ReadMessages(ctx context.Context, after int64, limit int, typePrefix string) ([]eventstore.LoggedMessage, int64, error) {
	if limit <= 0 {
		limit = 1000
	}
	head, err := s.MessagesHead(ctx)
	if err != nil {
		return nil, after, err
	}
	if head <= after {
		return nil, after, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, `+messageColumnList+` FROM messages
		WHERE seq > $1 AND seq <= $2 AND starts_with(type, $3) ORDER BY seq LIMIT $4`, after, head, typePrefix, limit)
	if err != nil {
		return nil, after, fmt.Errorf("read messages after %d: %w", after, Classify(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (eventstore.LoggedMessage, error) {
		var lm eventstore.LoggedMessage
		m, err := scanMessage(row, &lm.Seq)
		lm.Message = m
		return lm, err
	})
	if err != nil {
		return nil, after, fmt.Errorf("read messages after %d: %w", after, Classify(err))
	}
	if len(out) == limit {
		return out, out[len(out)-1].Seq, nil
	}
	return out, head, nil
}
