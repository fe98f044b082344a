package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Appends commit asynchronously and are made durable just after, outside the
// counter lock.
//
// Every append transaction takes the 'events' counter row FOR UPDATE, and a
// row lock is held until the transaction ends, which with
// synchronous_commit=on includes the WAL flush (one fsync, 2-5 ms on the
// development VM). Appends of every replica are serialized by that lock, so
// the fsyncs were too: a replica could not commit while another waited for
// its disk. So the group commits with synchronous_commit=off (the lock is
// released as soon as the commit record is written), then the flusher runs
// a tiny synchronous transaction; that transaction's commit flushes the WAL
// up to its own commit record, which lies after the group's: once it
// returns the group is durable. Meanwhile the writer commits the next
// group, and one flush covers every group committed before it. Flushes of
// several replicas overlap (the server's WAL group commit), and no lock
// waits on a disk.
//
// For a few milliseconds a group is committed but not yet durable, and a
// crash of the server then loses it. Nothing outside the database may
// depend on it before it is durable:
//   - its callers are answered only after the flush;
//   - log and message followers (projections, the process manager, the
//     bus, kiosks through sync) read only up to the durable head this
//     replica knows: heads announced by NOTIFY, which the flush
//     transaction sends and PostgreSQL delivers only after its commit is
//     flushed, its own flushes, and heads it reads and then flushes
//     itself (Head, the poll);
//   - an aggregate loaded by a command may include such events, but
//     whatever it appends in response lies later in the WAL, so a crash
//     loses both or neither.

// beginAppend opens an append transaction. It commits without waiting for
// its WAL flush, so the counter lock is not held through an fsync; the
// flusher makes it durable right after, outside the lock.
func beginAppend(b *pgx.Batch) {
	b.Queue("BEGIN")
	b.Queue("SET LOCAL synchronous_commit = off")
}

// writeOnGenericPlans lets the rest of an append transaction run on generic
// plans. The pool plans each execution for its arguments (Config), and for
// the inserts, which take a group as arrays and read no table but the
// counters and origins, planning each execution anew cost a fifth of the
// server's CPU. Statements that look events up must come before it: a
// generic plan made while the log was small scans the whole table ever
// after (TestAppendsNeverScanTheLogHoweverSmallItWasWhenTheyStarted).
func writeOnGenericPlans(b *pgx.Batch) {
	b.Queue(`SELECT set_config('plan_cache_mode', 'force_generic_plan', true)`)
}

// flush makes every commit made so far (on any connection) durable, and
// announces the heads given (0: nothing to announce) once it is.
//
// The notices go in a transaction of their own, after the flushing one: a
// transaction that notifies takes a lock shared by the whole cluster at
// commit and keeps it to its end, through its commit's WAL flush when it
// has one. Sent with the flush, every replica's flushes queued behind one
// another on that lock, one fsync at a time. Alone, the notifying
// transaction writes no WAL and commits without waiting for the disk; it
// runs after the flush has returned, so a replica hearing the heads may
// read up to them.
func flush(ctx context.Context, conn *pgx.Conn, events, messages int64) error {
	// A transactional logical message is a WAL record, so the commit of
	// this transaction waits for the WAL flush (synchronous_commit is on
	// outside the append transactions). A transaction that writes no WAL
	// (one that only takes an xid, say) commits asynchronously and would
	// flush nothing: TestAcknowledgedAppendsSurviveAServerCrash catches it.
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(`SELECT pg_logical_emit_message(true, 'conference.flush', '')`)
	b.Queue("COMMIT")
	if events > 0 || messages > 0 {
		b.Queue("BEGIN")
		b.Queue(`SELECT CASE WHEN $1::bigint > 0 THEN pg_notify($2, $1::bigint::text) END,
			CASE WHEN $3::bigint > 0 THEN pg_notify($4, $3::bigint::text) END`,
			events, channelEvents, messages, channelMessages)
		b.Queue("COMMIT")
	}
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return Classify(err)
	}
	return nil
}

// durableHeads reads both counters and makes what they count durable, for
// a replica that has not heard of every commit (start-up, a lost
// notification, Head).
func (s *Store) durableHeads(ctx context.Context) (events, messages int64, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, 0, Classify(err)
	}
	defer conn.Release()
	if err := conn.QueryRow(ctx, `SELECT (SELECT value FROM counters WHERE name = 'events'),
		(SELECT value FROM counters WHERE name = 'messages')`).Scan(&events, &messages); err != nil {
		return 0, 0, Classify(err)
	}
	s.mu.Lock()
	known := events <= s.head && messages <= s.msgHead
	s.mu.Unlock()
	if !known {
		// What the counters say was committed; after this flush it is
		// durable too (the WAL is one sequence).
		if err := flush(ctx, conn.Conn(), 0, 0); err != nil {
			return 0, 0, err
		}
	}
	s.mu.Lock()
	s.advance(events)
	if messages > s.msgHead {
		s.advanceMessages(messages)
	}
	s.mu.Unlock()
	return events, messages, nil
}

// durableHead is the highest position this replica knows to be durable;
// followers read up to it and no further.
func (s *Store) durableHead() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head
}

// durableMessages is durableHead for the message log.
func (s *Store) durableMessages() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.msgHead
}
