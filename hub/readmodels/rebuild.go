package readmodels

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"conference/migrations"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore/sqlitestore"
)

// Rebuild tuning: the reader fetches rebuildPage log positions at a time,
// pages are decoded concurrently (pagesInFlight at most) and applied in
// log order, and the rows built so far are written every rebuildChunk
// events. Variables so tests can make them small.
var (
	rebuildPage  int64 = 4096
	rebuildChunk int64 = 16 * 4096
)

const (
	pagesInFlight   = 8
	rebuildMsgsPage = 10000
)

// Rebuild empties the read models and replays both logs into them, in
// one transaction with the checkpoints, so a failed rebuild leaves the
// previous models as they were. The replay happens in memory (the tables
// being empty, nothing is read back); rows are written in chunks while
// later pages are still being decoded. progress (may be nil) is called with
// the events replayed so far and the log head.
//
// The transaction holds the database's write lock throughout, so run it
// while the hub is stopped (`hub rebuild`), and open a new Models
// afterwards: a running one keeps its in-memory state.
func Rebuild(ctx context.Context, store *sqlitestore.Store, progress func(done, total int64)) error {
	if progress == nil {
		progress = func(int64, int64) {}
	}
	if err := migrations.Apply(ctx, store.DB(), migrations.ReadModels); err != nil {
		return fmt.Errorf("rebuild read models: %w", err)
	}
	r := &rebuilder{store: store, registry: newRegistry(), st: newState(nil), log: slog.Default()}
	if err := r.messages(ctx); err != nil {
		return fmt.Errorf("rebuild read models: %w", err)
	}
	total, err := store.Head(ctx)
	if err != nil {
		return fmt.Errorf("rebuild read models: %w", err)
	}
	progress(0, total)
	start := time.Now()
	if err := r.begin(ctx); err != nil {
		return fmt.Errorf("rebuild read models: %w", err)
	}
	defer r.end()
	if err := r.events(ctx, total, progress); err != nil {
		return fmt.Errorf("rebuild read models: %w", err)
	}
	replayed := time.Now()
	if err := r.finish(ctx); err != nil {
		return fmt.Errorf("rebuild read models: %w", err)
	}
	r.log.Debug("read models rebuilt", "events", total, "replay", replayed.Sub(start), "final write", time.Since(replayed))
	progress(r.done, max(total, r.pos))
	return nil
}

type rebuilder struct {
	store    *sqlitestore.Store
	registry *eventsourcing.Registry
	st       *state
	log      *slog.Logger
	pos, seq int64 // last event position and message seq applied
	done     int64 // events read

	conn      *sql.Conn
	tx        *sql.Tx
	cacheSize int64
	indexes   []index
}

func (r *rebuilder) messages(ctx context.Context) error {
	for {
		msgs, seq, err := r.store.ReadMessages(ctx, r.seq, rebuildMsgsPage, messagePrefix)
		if err != nil {
			return err
		}
		for _, msg := range msgs {
			ev, err := r.registry.Decode(msg.Type, 1, msg.Data)
			if err != nil {
				if !errors.Is(err, eventsourcing.ErrUnknownEvent) {
					r.log.Warn("read models skip an undecodable message", "seq", msg.Seq, "type", msg.Type, "err", err)
				}
				continue
			}
			r.st.applyMessage(ev, msg.Seq)
		}
		if seq == r.seq {
			return nil
		}
		r.seq = seq
	}
}

// decodedPage is one page of the log on its way from the reader to the
// applier; done is closed once its events are decoded.
type decodedPage struct {
	upTo    int64 // the window's end
	events  []sqlitestore.LogEntry
	decoded []eventsourcing.Event // nil where the payload is undecodable
	done    chan struct{}
	err     error
}

// events reads the log up to total in pages, decodes pages concurrently
// (JSON decoding is most of the work) and applies them in log order.
func (r *rebuilder) events(ctx context.Context, total int64, progress func(done, total int64)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan *decodedPage, pagesInFlight)
	go r.read(ctx, total, pages)
	var lastReport int64
	for p := range pages {
		<-p.done
		if p.err != nil {
			cancel()
			for range pages { // let the reader finish
			}
			return p.err
		}
		for i, ev := range p.decoded {
			if ev == nil {
				continue
			}
			if err := r.st.apply(ev, p.events[i].Position); err != nil {
				cancel()
				for range pages {
				}
				return err
			}
		}
		r.done, r.pos = p.upTo, p.upTo
		if r.done-lastReport >= rebuildChunk {
			// Write what is built so far while the next pages decode.
			if err := r.st.flush(ctx, r.tx, r.pos, r.seq); err != nil {
				cancel()
				for range pages {
				}
				return err
			}
			r.st.cleanAll()
			progress(r.done, total)
			lastReport = r.done
		}
	}
	return nil
}

// read sends the log up to total in windows of positions, each with a
// goroutine decoding it, and closes pages at the end; the channel's
// capacity bounds the pages in flight.
func (r *rebuilder) read(ctx context.Context, total int64, pages chan<- *decodedPage) {
	defer close(pages)
	for after := int64(0); after < total; after += rebuildPage {
		p := &decodedPage{upTo: min(after+rebuildPage, total), done: make(chan struct{})}
		p.events, p.err = r.store.ReadLogWindow(ctx, after, p.upTo, consumedTypes)
		if p.err != nil {
			close(p.done)
			pages <- p
			return
		}
		go r.decode(p)
		select {
		case pages <- p:
		case <-ctx.Done():
			<-p.done
			return
		}
	}
}

func (r *rebuilder) decode(p *decodedPage) {
	defer close(p.done)
	p.decoded = make([]eventsourcing.Event, len(p.events))
	for i, e := range p.events {
		ev, err := r.registry.Decode(e.Type, e.Schema, e.Data)
		if err != nil {
			r.log.Warn("read models skip an undecodable event", "position", e.Position, "type", e.Type, "err", err)
			continue
		}
		p.decoded[i] = ev
	}
}

// begin opens the rebuild's transaction on its own connection and empties
// the tables.
func (r *rebuilder) begin(ctx context.Context) error {
	var err error
	if r.conn, err = r.store.DB().Conn(ctx); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	// A page cache big enough for the whole write keeps SQLite from
	// spilling half-built B-tree pages to the WAL again and again; end
	// gives the pooled connection its default back.
	if err := r.conn.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&r.cacheSize); err != nil {
		return fmt.Errorf("read cache size: %w", err)
	}
	if _, err := r.conn.ExecContext(ctx, `PRAGMA cache_size = -1048576`); err != nil { // 1 GiB at most, allocated as used
		return fmt.Errorf("grow cache: %w", err)
	}
	if r.tx, err = r.conn.BeginTx(ctx, nil); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	for _, t := range tables {
		if _, err := r.tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
			return fmt.Errorf("empty %s: %w", t, err)
		}
	}
	// Secondary indexes are dropped during the bulk insert and created
	// again from their own definitions: sorting once beats updating them
	// row by row.
	if r.indexes, err = secondaryIndexes(ctx, r.tx); err != nil {
		return err
	}
	for _, ix := range r.indexes {
		if _, err := r.tx.ExecContext(ctx, `DROP INDEX `+ix.name); err != nil {
			return fmt.Errorf("drop index %s: %w", ix.name, err)
		}
	}
	return nil
}

// finish writes the rest, restores the indexes and commits.
func (r *rebuilder) finish(ctx context.Context) error {
	if err := r.st.flush(ctx, r.tx, r.pos, r.seq); err != nil {
		return err
	}
	for _, ix := range r.indexes {
		if _, err := r.tx.ExecContext(ctx, ix.sql); err != nil {
			return fmt.Errorf("create index %s: %w", ix.name, err)
		}
	}
	if err := r.tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// end rolls back an unfinished transaction and returns the connection.
func (r *rebuilder) end() {
	if r.tx != nil {
		r.tx.Rollback() //nolint:errcheck // no-op after commit
	}
	if r.conn != nil {
		r.conn.ExecContext(context.Background(), `PRAGMA cache_size = `+strconv.FormatInt(r.cacheSize, 10)) //nolint:errcheck // best effort
		r.conn.Close()
	}
}

type index struct{ name, sql string }

// secondaryIndexes lists the explicit indexes of the read-model tables.
func secondaryIndexes(ctx context.Context, tx *sql.Tx) ([]index, error) {
	q := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (?` +
		strings.Repeat(",?", len(tables)-1) + `) ORDER BY name`
	args := make([]any, len(tables))
	for i, t := range tables {
		args[i] = t
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list read-model indexes: %w", err)
	}
	defer rows.Close()
	var out []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.sql); err != nil {
			return nil, fmt.Errorf("list read-model indexes: %w", err)
		}
		out = append(out, ix)
	}
	return out, rows.Err()
}
