package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"conference/shared/eventstore"
	"conference/shared/eventstore/internal/appendplan"
)

// A group of appends normally plans without the lock and takes the counter
// lock only in its write round trip, where the statement that inserts the
// events draws their positions (and the node's origin_seq) from the locked
// counters itself. The lock is then held for the server's work on that
// round trip alone, never while the client plans or a packet crosses the
// network: replicas (and one replica's consecutive groups) no longer queue
// behind one another's round trips.
//
// When every batch of the group names the version it expects, the group
// reads nothing first (fromExpected): it assumes each stream is at that
// version, with none of its event ids stored, and writes in one round
// trip. Otherwise (a batch appends at any version) it plans against a
// snapshot read in a first round trip (fromSnapshot). Either way,
// whatever the plan got wrong is refused by the table, never written
// wrong: a stream version or event id taken already violates a unique
// index, a stream short of the version expected fails
// events_expect_versions (migration 0002), the transaction aborts, and
// the group is planned again under the lock (errRaced), where the checks
// answer conflict or duplicate as before. A conflict or a redelivery thus
// costs its group a second try; appends that are right, nearly all of
// them, cost one round trip. Positions, origin_seq and the causal context
// of the group's events are planned from 0 and shifted by what the
// counters held (shift).
//
// Groups with replicated events (a kiosk's upload) keep the locked path:
// their origin_seq checks read the origins table, which no index guards.

// errRaced: the table refused what the group's plan assumed (another
// replica wrote meanwhile, or the caller's expectation was wrong); plan
// again under the lock.
var errRaced = errors.New("raced by another writer")

// planWay is how a group learns the state its plan starts from.
type planWay int

const (
	underLock    planWay = iota // read under the counter lock; the plan is final
	fromSnapshot                // read a snapshot, draw positions at write time
	fromExpected                // read nothing, take the expected versions
)

// optimisticWay picks how a group may be planned without the lock, or
// underLock when it may not: some event carries an origin of its own.
func (s *Store) optimisticWay(reqs []*request) planWay {
	way := fromExpected
	for _, r := range reqs {
		for _, e := range r.batch.Events {
			if e.Origin != "" {
				return underLock
			}
		}
		if len(r.batch.Events) > 0 && r.batch.ExpectedVersion == eventstore.AnyVersion {
			way = fromSnapshot
		}
	}
	return way
}

// expectations are the stream versions a group planned fromExpected
// assumed, for events_expect_versions (version 0 needs no check: the
// unique index refuses a first event of a stream that has one).
type expectations struct {
	streams  []string
	versions []int64
}

// expectedRead is the state a group planned fromExpected starts from:
// each stream at the version its first batch in the group expects, no
// event id stored, no origin known.
func expectedRead(reqs []*request) (*groupRead, expectations) {
	read := newGroupRead()
	var x expectations
	for _, r := range reqs {
		b := r.batch
		if _, ok := read.versions[b.Stream.ID]; ok || len(b.Events) == 0 {
			continue
		}
		read.versions[b.Stream.ID] = b.ExpectedVersion
		if b.ExpectedVersion > 0 {
			x.streams, x.versions = append(x.streams, b.Stream.ID), append(x.versions, b.ExpectedVersion)
		}
	}
	return read, x
}

// inTable reports whether b's first event is stored in the table (rather
// than planned earlier in this group).
func inTable(read *groupRead, b eventstore.Batch) bool {
	if len(b.Events) == 0 {
		return false
	}
	_, ok := read.stored[b.Events[0].EventID]
	return ok
}

// drawn is what the locked counters held when the group's second round
// trip drew from them.
type drawn struct {
	events   int64 // the log head before the group's events
	origin   int64 // the node's last origin_seq before them
	messages int64 // the message log's head after the group (0: none written)
}

// insertDrawn inserts events planned from 0, drawing positions and the
// node's origin_seq under the counters' row locks. Every event is the
// node's own (optimisticWay). The origins row is upserted so that it
// always yields one row, even for a node's first event.
const insertDrawn = `WITH c AS (UPDATE counters SET value = value + $16 WHERE name = 'events' RETURNING value - $16 AS base),
	o AS (INSERT INTO origins (origin, last_seq) VALUES ($17, $16) ON CONFLICT (origin)
		DO UPDATE SET last_seq = origins.last_seq + excluded.last_seq RETURNING last_seq - $16 AS base)
	INSERT INTO events (position, event_id, stream_id, stream_type, stream_version, type, schema, data,
		origin, origin_seq, seen, hlc, correlation_id, causation_id, recorded_at)
	SELECT c.base + r.pos, r.id, r.stream, r.stype, r.vers, r.type, r.schema, r.data,
		r.origin, o.base + r.oseq, c.base + r.seen, r.hlc, r.corr, r.cause, r.rec
	FROM c, o, unnest($1::bigint[], $2::bytea[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::int[], $8::bytea[],
		$9::text[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bytea[], $14::bytea[], $15::bigint[])
		AS r(pos, id, stream, stype, vers, type, schema, data, origin, oseq, seen, hlc, corr, cause, rec)`

// writeDrawn writes a group planned from 0 and commits it, in one round
// trip, without waiting for the disk. A unique index the plan ran into, an
// expectation that does not hold, or a deadlock, is errRaced: nothing was
// written.
func (s *Store) writeDrawn(ctx context.Context, conn *pgxpool.Conn, rows []appendplan.Row,
	msgs []eventstore.Message, marks []eventstore.Processed, expect expectations) (drawn, error) {
	var d drawn
	b := &pgx.Batch{}
	beginAppend(b)
	if len(rows) > 0 {
		n := int64(len(rows))
		// The events counter first, as every writer takes it, so that no
		// two writers wait for each other's rows.
		b.Queue(`SELECT value FROM counters WHERE name = 'events' FOR UPDATE`).QueryRow(func(row pgx.Row) error {
			return row.Scan(&d.events)
		})
		if len(expect.streams) > 0 {
			// After the lock: this statement's snapshot holds every
			// commit of the writers before.
			b.Queue(`SELECT events_expect_versions($1, $2)`, expect.streams, expect.versions)
		}
		writeOnGenericPlans(b)
		b.Queue(insertDrawn, append(eventColumns(rows), n, s.opts.Node)...)
		b.Queue(`SELECT last_seq FROM origins WHERE origin = $1`, s.opts.Node).QueryRow(func(row pgx.Row) error {
			if err := row.Scan(&d.origin); err != nil {
				return err
			}
			d.origin -= n
			return nil
		})
	}
	if len(rows) == 0 {
		writeOnGenericPlans(b)
	}
	queueMessagesAndMarks(b, msgs, marks, s.opts.Now(), &d.messages)
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		var pg *pgconn.PgError
		if errors.As(err, &pg) && (pg.Code == "23505" || pg.Code == "40P01" || pg.Code == codeUnexpectedVersion) { // unique_violation, deadlock_detected
			return d, fmt.Errorf("%w: %s", errRaced, pg.Message)
		}
		return d, fmt.Errorf("write the group: %w", err)
	}
	return d, nil
}

// codeUnexpectedVersion is the SQLSTATE events_expect_versions raises.
const codeUnexpectedVersion = "CF001"

// shift moves what the group planned from 0 to where the counters put it:
// the group's head, its rows, and the results that name its positions.
func (d drawn) shift(g *appendplan.Group, rows []appendplan.Row, outs []outcome, ofGroup []bool) {
	if !g.Events {
		return
	}
	g.Head += d.events
	for _, r := range rows {
		r.E.Position += d.events
		r.E.Seen += d.events
		r.E.OriginSeq += d.origin
	}
	for i := range outs {
		if ofGroup[i] && outs[i].err == nil {
			outs[i].res.LastPosition += d.events
		}
	}
}
