package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/eventstore/internal/appendplan"
)

const messageColumns = `message_id, kind, type, data, correlation_id, causation_id, not_before, created_at`

// PendingMessages returns up to limit undispatched, live messages due at now,
// oldest first.
func (s *Store) PendingMessages(ctx context.Context, now time.Time, limit int) ([]eventstore.Message, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE dispatched_at IS NULL AND dead = 0 AND not_before <= ? ORDER BY not_before, seq LIMIT ?`, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("read pending messages: %w", err)
	}
	defer rows.Close()
	var out []eventstore.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// NextDue is when the earliest undispatched message becomes due (ok=false
// when there is none), so a dispatcher can sleep exactly that long.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var ms sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(not_before) FROM messages WHERE dispatched_at IS NULL AND dead = 0`).Scan(&ms); err != nil {
		return time.Time{}, false, fmt.Errorf("read next due message: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(ms.Int64), true, nil
}

func scanMessage(rows *sql.Rows) (eventstore.Message, error) {
	var (
		m                 eventstore.Message
		id, corr, cause   []byte
		kind              string
		notBefore, create int64
	)
	if err := rows.Scan(&id, &kind, &m.Type, &m.Data, &corr, &cause, &notBefore, &create); err != nil {
		return m, fmt.Errorf("scan message: %w", err)
	}
	var err error
	if m.ID, err = uuid.FromBytes(id); err != nil {
		return m, fmt.Errorf("message with bad id: %w", err)
	}
	m.Kind = eventstore.MessageKind(kind)
	m.CorrelationID, m.CausationID = optionalID(corr), optionalID(cause)
	m.NotBefore, m.CreatedAt = time.UnixMilli(notBefore), time.UnixMilli(create)
	return m, nil
}

// MarkDispatched records successful delivery of a message.
func (s *Store) MarkDispatched(ctx context.Context, id uuid.UUID) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE messages SET dispatched_at = ? WHERE message_id = ?`, s.opts.Now().UnixMilli(), id[:]); err != nil {
		return fmt.Errorf("mark %s dispatched: %w", id, err)
	}
	return nil
}

// RecordFailure counts a failed delivery and dead-letters the message once it
// reaches maxAttempts.
func (s *Store) RecordFailure(ctx context.Context, id uuid.UUID, cause error, maxAttempts int, retryAt time.Time) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("record failure of %s: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	var attempts int
	err = tx.QueryRowContext(ctx, `UPDATE messages SET attempts = attempts + 1, last_error = ?, not_before = ?
		WHERE message_id = ? RETURNING attempts`, cause.Error(), retryAt.UnixMilli(), id[:]).Scan(&attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("record failure of %s: no such message", id)
	}
	if err != nil {
		return false, fmt.Errorf("record failure of %s: %w", id, err)
	}
	dead := attempts >= maxAttempts
	if dead {
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET dead = 1 WHERE message_id = ?`, id[:]); err != nil {
			return false, fmt.Errorf("dead-letter %s: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO dead_letters (message_id, attempts, error, at) VALUES (?, ?, ?, ?)`,
			id[:], attempts, cause.Error(), s.opts.Now().UnixMilli()); err != nil {
			return false, fmt.Errorf("dead-letter %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("record failure of %s: %w", id, err)
	}
	return dead, nil
}

// DeadLetters lists dead-lettered messages, newest first.
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]eventstore.DeadLetter, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT m.message_id, m.kind, m.type, m.data, m.correlation_id, m.causation_id,
		m.not_before, m.created_at, d.attempts, d.error, d.at
		FROM dead_letters d JOIN messages m ON m.message_id = d.message_id ORDER BY d.at DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read dead letters: %w", err)
	}
	defer rows.Close()
	var out []eventstore.DeadLetter
	for rows.Next() {
		var (
			d                 eventstore.DeadLetter
			id, corr, cause   []byte
			kind              string
			notBefore, create int64
			at                int64
		)
		if err := rows.Scan(&id, &kind, &d.Message.Type, &d.Message.Data, &corr, &cause, &notBefore, &create,
			&d.Attempts, &d.Error, &at); err != nil {
			return nil, fmt.Errorf("scan dead letter: %w", err)
		}
		d.Message.ID = optionalID(id)
		d.Message.Kind = eventstore.MessageKind(kind)
		d.Message.CorrelationID, d.Message.CausationID = optionalID(corr), optionalID(cause)
		d.Message.NotBefore, d.Message.CreatedAt = time.UnixMilli(notBefore), time.UnixMilli(create)
		d.At = time.UnixMilli(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Redeliver puts a dead letter back in the outbox, due at at, its attempts
// counted from zero.
func (s *Store) Redeliver(ctx context.Context, id uuid.UUID, at time.Time) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("redeliver %s: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	res, err := tx.ExecContext(ctx, `UPDATE messages SET dead = 0, attempts = 0, not_before = ? WHERE message_id = ? AND dead = 1`,
		at.UnixMilli(), id[:])
	if err != nil {
		return false, fmt.Errorf("redeliver %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM dead_letters WHERE message_id = ?`, id[:]); err != nil {
		return false, fmt.Errorf("redeliver %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("redeliver %s: %w", id, err)
	}
	s.NotifyMessages()
	return true, nil
}

// EnqueueTx writes outbox messages inside the caller's transaction, for
// adapters that change their own tables (conference management's CRUD) and
// must publish integration events atomically with that change. Call
// NotifyMessages after the transaction commits to wake the dispatcher.
func (s *Store) EnqueueTx(ctx context.Context, tx Tx, msgs ...eventstore.Message) error {
	now := s.opts.Now()
	for _, m := range msgs {
		if err := appendplan.ValidateMessage(m); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertMessage, messageArgs(m, now)...); err != nil {
			return fmt.Errorf("enqueue %s (%s): %w", m.ID, m.Type, err)
		}
	}
	return nil
}

// NotifyMessages wakes dispatchers waiting on MessagesWritten.
func (s *Store) NotifyMessages() {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	close(s.messaged)
	s.messaged = make(chan struct{})
}

// insertMessage is the one outbox insert, for the group writer and EnqueueTx.
// Writing a message twice is a no-op, so redelivered batches stay idempotent.
const insertMessage = `INSERT INTO messages (message_id, kind, type, data, correlation_id, causation_id, not_before, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`

// messageArgs binds m to insertMessage: created defaults to now, and a
// message with no NotBefore is due when created.
func messageArgs(m eventstore.Message, now time.Time) []any {
	created, notBefore := m.CreatedAt, m.NotBefore
	if created.IsZero() {
		created = now
	}
	if notBefore.IsZero() {
		notBefore = created
	}
	return []any{m.ID[:], string(m.Kind), m.Type, m.Data, nullID(m.CorrelationID), nullID(m.CausationID),
		notBefore.UnixMilli(), created.UnixMilli()}
}
