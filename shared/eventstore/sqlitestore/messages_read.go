package sqlitestore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
)

// LoggedMessage is eventstore.LoggedMessage.
type LoggedMessage = eventstore.LoggedMessage

// MessagesHead is the sequence number of the last message written (0 when
// there is none).
func (s *Store) MessagesHead(ctx context.Context) (int64, error) {
	var head int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM messages`).Scan(&head); err != nil {
		return 0, fmt.Errorf("read message log head: %w", err)
	}
	return head, nil
}

// ReadMessages returns up to limit messages with seq > after whose type
// starts with typePrefix ("" for all), in log order, and the sequence
// number the read covered: a follower stores that as its checkpoint, so the
// messages of other types it skipped are not scanned again. Writes to the
// messages table are serialized, so sequence numbers commit in order and a
// follower never skips a message committed later with a lower seq.
func (s *Store) ReadMessages(ctx context.Context, after int64, limit int, typePrefix string) ([]LoggedMessage, int64, error) {
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
	rows, err := s.db.QueryContext(ctx, `SELECT seq, `+messageColumns+` FROM messages
		WHERE seq > ? AND seq <= ? AND substr(type, 1, ?) = ? ORDER BY seq LIMIT ?`,
		after, head, len(typePrefix), typePrefix, limit)
	if err != nil {
		return nil, after, fmt.Errorf("read messages after %d: %w", after, err)
	}
	defer rows.Close()
	var out []LoggedMessage
	for rows.Next() {
		var (
			m                 LoggedMessage
			id, corr, cause   []byte
			kind              string
			notBefore, create int64
		)
		if err := rows.Scan(&m.Seq, &id, &kind, &m.Type, &m.Data, &corr, &cause, &notBefore, &create); err != nil {
			return nil, after, fmt.Errorf("scan message: %w", err)
		}
		if m.ID, err = uuid.FromBytes(id); err != nil {
			return nil, after, fmt.Errorf("message %d has a bad id: %w", m.Seq, err)
		}
		m.Kind = eventstore.MessageKind(kind)
		m.CorrelationID, m.CausationID = optionalID(corr), optionalID(cause)
		m.NotBefore, m.CreatedAt = time.UnixMilli(notBefore), time.UnixMilli(create)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, after, fmt.Errorf("read messages after %d: %w", after, err)
	}
	if len(out) == limit {
		return out, out[len(out)-1].Seq, nil
	}
	return out, head, nil
}

// LogEntry is eventstore.LogEntry.
type LogEntry = eventstore.LogEntry

// ReadLogWindow returns the events with after < position <= upTo whose type
// is one of types, in log order, reading only what a projection replays:
// a rebuild walks the whole log in windows this way, and the events it does
// not consume never leave SQLite.
func (s *Store) ReadLogWindow(ctx context.Context, after, upTo int64, types []string) ([]LogEntry, error) {
	if len(types) == 0 || upTo <= after {
		return nil, nil
	}
	args := make([]any, 0, len(types)+2)
	args = append(args, after, upTo)
	for _, t := range types {
		args = append(args, t)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT position, type, schema, data FROM events
		WHERE position > ? AND position <= ? AND type IN (?`+strings.Repeat(",?", len(types)-1)+`) ORDER BY position`, args...)
	if err != nil {
		return nil, fmt.Errorf("read log window (%d, %d]: %w", after, upTo, err)
	}
	defer rows.Close()
	out := make([]LogEntry, 0, min(upTo-after, 4096))
	for rows.Next() {
		var e LogEntry
		if err := rows.Scan(&e.Position, &e.Type, &e.Schema, &e.Data); err != nil {
			return nil, fmt.Errorf("read log window (%d, %d]: %w", after, upTo, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read log window (%d, %d]: %w", after, upTo, err)
	}
	return out, nil
}
