package readmodels

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"conference/migrations"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/sqldb"
)

// Rebuild tuning: the reader fetches rebuildPage log positions at a time,
// pages are decoded concurrently (pagesInFlight at most) and applied in
// log order, and the rows changed so far go to the writer every
// rebuildChunk events. Variables so tests can make them small.
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
// being empty, nothing is read back); a writer goroutine writes the rows
// in chunks while later pages are still being decoded and applied.
// progress (may be nil) is called with the events replayed so far and the
// log head.
//
// The transaction holds the database's write lock throughout, so run it
// while the hub is stopped (`hub rebuild`), and open a new Models
// afterwards: a running one keeps its in-memory state.
func Rebuild(ctx context.Context, store sqldb.Store, progress func(done, total int64)) error {
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
	if err := r.tx.Commit(); err != nil {
		return fmt.Errorf("rebuild read models: commit: %w", err)
	}
	r.log.Debug("read models rebuilt", "events", total, "replay", replayed.Sub(start), "commit", time.Since(replayed))
	progress(r.done, max(total, r.pos))
	return nil
}

type rebuilder struct {
	store    sqldb.Store
	registry *eventsourcing.Registry
	st       *state
	log      *slog.Logger
	pos, seq int64 // last event position and message seq applied
	done     int64 // events read

	conn *sql.Conn
	tx   *sql.Tx
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
	events  []eventstore.LogEntry
	decoded []eventsourcing.Event // nil where the payload is undecodable
	done    chan struct{}
	err     error
}

// events reads the log up to total in pages, decodes pages concurrently
// (JSON decoding is most of the work) and applies them in log order. Every
// rebuildChunk events it takes the changed rows as a batch for a writer
// goroutine, so writing them overlaps decoding and applying the next ones.
func (r *rebuilder) events(ctx context.Context, total int64, progress func(done, total int64)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 1)
	written := make(chan error, 1)
	go r.write(ctx, cancel, batches, written)
	err := r.replay(ctx, total, progress, batches)
	if err == nil {
		err = r.take(batches)
	}
	close(batches)
	if err != nil {
		cancel() // the writer's error would only be the cancellation
		<-written
		return err
	}
	if err := <-written; err != nil {
		return err
	}
	// The reader stops quietly when ctx ends: not every page was applied.
	return ctx.Err()
}

// replay applies the pages in log order, sending a batch every
// rebuildChunk events.
func (r *rebuilder) replay(ctx context.Context, total int64, progress func(done, total int64), batches chan<- batch) error {
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
			if err := r.take(batches); err != nil {
				cancel()
				for range pages {
				}
				return err
			}
			progress(r.done, total)
			lastReport = r.done
		}
	}
	return nil
}

// take sends the rows changed since the last batch, with the checkpoints,
// to the writer and marks them clean: later events change the entities
// in memory, and a later batch writes them again.
func (r *rebuilder) take(batches chan<- batch) error {
	var b batch
	if err := r.st.write(b.add, r.pos, r.seq); err != nil {
		return err
	}
	r.st.cleanAll()
	batches <- b // the writer drains until batches is closed
	return nil
}

// write executes the batches on the rebuild's transaction, which no other
// goroutine uses meanwhile, and sends its first error (or nil) to written
// once batches is closed. After an error it stops the replay through
// cancel and skips what still comes.
func (r *rebuilder) write(ctx context.Context, cancel func(), batches <-chan batch, written chan<- error) {
	// The driver starts a goroutine per statement to watch a cancellable
	// context, a cost per row here: the statements get one that is never
	// cancelled, and the loop checks ctx between rows instead.
	w := newTxWriter(context.WithoutCancel(ctx), r.tx)
	var err error
	for b := range batches {
		for _, row := range b {
			if err != nil {
				break
			}
			if err = ctx.Err(); err == nil {
				err = w.exec(row.query, row.args...)
			}
			if err != nil {
				cancel()
			}
		}
	}
	w.close()
	written <- err
}

// batch is rows to write, taken from the state while applying.
type batch []rowWrite

type rowWrite struct {
	query string
	args  []any
}

// add records one write. Ids are passed as slices of the entities' arrays:
// they are copied, because the writer runs while applying goes on.
func (b *batch) add(query string, args ...any) error {
	for i, a := range args {
		if v, ok := a.([]byte); ok {
			args[i] = bytes.Clone(v)
		}
	}
	*b = append(*b, rowWrite{query, args})
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
	// The connection keeps its small default page cache, and the tables
	// keep their indexes. A cache holding the whole write (it was 1 GiB)
	// saved no WAL writes, rows going into the B-trees in key order, and
	// cost more than it saved: each cached page is an allocation of its
	// own, made while writing and unmapped again after. Dropping the
	// indexes and creating them at the end made their sort a serial step
	// after the replay, while updating them row by row happens in the
	// writer, overlapped with decoding.
	if r.tx, err = r.conn.BeginTx(ctx, nil); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	for _, t := range tables {
		if _, err := r.tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
			return fmt.Errorf("empty %s: %w", t, err)
		}
	}
	return nil
}

// end rolls back an unfinished transaction and returns the connection.
func (r *rebuilder) end() {
	if r.tx != nil {
		r.tx.Rollback() //nolint:errcheck // no-op after commit
	}
	if r.conn != nil {
		r.conn.Close()
	}
}
