package sqlitestore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
)

// Bulk variants of the per-message calls, for a dispatcher and log
// followers that handle many messages at once: every statement costs a
// parse (statements on the pool are not prepared), and every write
// transaction takes the database's one write lock.

// idsPerStatement keeps each statement far below SQLite's variable limit.
const idsPerStatement = 200

// MarkDelivered records, in one transaction, that each handler in processed
// handled its message and that the dispatched messages are delivered. A
// dispatcher calls it with what a round of deliveries achieved; marking
// twice is a no-op.
func (s *Store) MarkDelivered(ctx context.Context, processed []eventstore.Processed, dispatched []uuid.UUID) error {
	if len(processed) == 0 && len(dispatched) == 0 {
		return nil
	}
	now := s.opts.Now().UnixMilli()
	// One Write in the group writer's transaction: the marks share a
	// commit with the appends of the moment.
	err := s.Write(ctx, func(tx Tx) error {
		processed, dispatched := processed, dispatched // a retried group runs this again
		for len(processed) > 0 {
			n := min(len(processed), idsPerStatement/3)
			args := make([]any, 0, 3*n)
			for _, p := range processed[:n] {
				args = append(args, p.Handler, p.MessageID[:], now)
			}
			q := `INSERT OR IGNORE INTO processed_messages (handler, message_id, processed_at) VALUES ` +
				strings.TrimSuffix(strings.Repeat("(?,?,?),", n), ",")
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("mark %d messages processed: %w", n, err)
			}
			processed = processed[n:]
		}
		for len(dispatched) > 0 {
			n := min(len(dispatched), idsPerStatement)
			args := make([]any, 0, n+1)
			args = append(args, now)
			for _, id := range dispatched[:n] {
				args = append(args, id[:])
			}
			q := `UPDATE messages SET dispatched_at = ? WHERE message_id IN (` + placeholders(n) + `)`
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("mark %d messages dispatched: %w", n, err)
			}
			dispatched = dispatched[n:]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark messages delivered: %w", err)
	}
	return nil
}

// ProcessedAmong returns which of ids handler has processed: one query for
// a page of events instead of one IsProcessed each.
func (s *Store) ProcessedAmong(ctx context.Context, handler string, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	out := make(map[uuid.UUID]bool)
	for len(ids) > 0 {
		n := min(len(ids), idsPerStatement)
		args := make([]any, 0, n+1)
		args = append(args, handler)
		for _, id := range ids[:n] {
			args = append(args, id[:])
		}
		rows, err := s.db.QueryContext(ctx, `SELECT message_id FROM processed_messages WHERE handler = ? AND message_id IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read processed marks of %s: %w", handler, err)
		}
		for rows.Next() {
			var id []byte
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read processed marks of %s: %w", handler, err)
			}
			out[optionalID(id)] = true
		}
		err = rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("read processed marks of %s: %w", handler, err)
		}
		ids = ids[n:]
	}
	return out, nil
}

// ReadStreams returns the whole of several streams in one query, each in
// version order: a follower loading the aggregates a page of events
// touches.
func (s *Store) ReadStreams(ctx context.Context, streamIDs []string) (map[string][]eventstore.Event, error) {
	out := make(map[string][]eventstore.Event, len(streamIDs))
	var query []string
	for _, id := range streamIDs {
		if evs, ok := s.streamFromMemory(id, 0); ok {
			if len(evs) > 0 {
				out[id] = evs
			}
			continue
		}
		query = append(query, id)
	}
	streamIDs = query
	tails := make(map[string][]eventstore.Event, len(query))
	for _, id := range query {
		tail, err := s.unindexedOf(ctx, id, 0)
		if err != nil {
			return nil, err
		}
		tails[id] = tail
	}
	for len(streamIDs) > 0 {
		n := min(len(streamIDs), idsPerStatement)
		args := make([]any, n)
		for i, id := range streamIDs[:n] {
			args[i] = id
		}
		rows, err := s.db.QueryContext(ctx, streamEventsSQL(`stream_id IN (`+numberedPlaceholders(n)+`)`, `stream_id, stream_version`), args...)
		if err != nil {
			return nil, fmt.Errorf("read %d streams: %w", n, err)
		}
		evs, err := scanEvents(rows, 0)
		if err != nil {
			return nil, fmt.Errorf("read %d streams: %w", n, err)
		}
		for _, e := range evs {
			out[e.StreamID] = append(out[e.StreamID], e)
		}
		streamIDs = streamIDs[n:]
	}
	for id, tail := range tails {
		if evs := withUnindexed(out[id], tail); len(evs) > 0 {
			out[id] = evs
		}
	}
	return out, nil
}

// numberedPlaceholders is "?1,?2,...,?n", for a statement that uses the
// same arguments in two places.
func numberedPlaceholders(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		b.WriteString("?" + strconv.Itoa(i))
	}
	return b.String()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// PendingMessagesAfter returns up to limit undispatched, live messages due
// at now with a sequence number past afterSeq, in sequence order, and the
// sequence number of the last one (afterSeq when none). A dispatcher that
// remembers what it already took reads only the new messages this way;
// it still needs PendingMessages now and then for the delayed messages
// and retries that fall due behind its cursor.
func (s *Store) PendingMessagesAfter(ctx context.Context, now time.Time, afterSeq int64, limit int) ([]eventstore.Message, int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, `+messageColumns+` FROM messages
		WHERE seq > ? AND dispatched_at IS NULL AND dead = 0 AND not_before <= ? ORDER BY seq LIMIT ?`, afterSeq, now.UnixMilli(), limit)
	if err != nil {
		return nil, afterSeq, fmt.Errorf("read pending messages after %d: %w", afterSeq, err)
	}
	defer rows.Close()
	var out []eventstore.Message
	last := afterSeq
	for rows.Next() {
		var (
			m                 eventstore.Message
			id, corr, cause   []byte
			kind              string
			notBefore, create int64
		)
		if err := rows.Scan(&last, &id, &kind, &m.Type, &m.Data, &corr, &cause, &notBefore, &create); err != nil {
			return nil, afterSeq, fmt.Errorf("scan message: %w", err)
		}
		if m.ID, err = uuid.FromBytes(id); err != nil {
			return nil, afterSeq, fmt.Errorf("message %d has a bad id: %w", last, err)
		}
		m.Kind = eventstore.MessageKind(kind)
		m.CorrelationID, m.CausationID = optionalID(corr), optionalID(cause)
		m.NotBefore, m.CreatedAt = time.UnixMilli(notBefore), time.UnixMilli(create)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, afterSeq, fmt.Errorf("read pending messages after %d: %w", afterSeq, err)
	}
	return out, last, nil
}
