package scope

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/google/uuid"

	"conference/migrations"
	"conference/shared/eventstore"
	"conference/shared/sqldb"
)

//go:embed schema/*.sql schema_pg/*.sql
var schemaFiles embed.FS

// Schema is the scope index's own migration component. The Pager applies it
// itself on first use; a binary may also pass it to sqlitestore.Options.
var Schema = migrations.FromFS("syncscope", schemaFiles, "schema", "schema_pg")

// ErrInvalid reports a page request that makes no sense.
var ErrInvalid = errors.New("invalid page request")

// Page sizes: DefaultLimit when the caller gives none, MaxLimit at most.
const (
	DefaultLimit = 1000
	MaxLimit     = 10_000
)

// persistEvery bounds how far the stored index and its checkpoint lag the
// log (Sync).
const persistEvery = 10_000

// checkpointName is the index's row in the event store's checkpoints table.
const checkpointName = "sync-scope"

// SQLStore is implemented by stores that keep their log in a SQL database
// the index can live beside (sqldb.Tables): both of the project's stores.
type SQLStore = sqldb.Tables

// Pager pages a hub's log for kiosks. It is safe for concurrent use: many
// kiosks page at once while one index follows the log.
type Pager struct {
	store eventstore.Store
	sql   SQLStore // nil: the index lives in memory and is rebuilt at start
	log   *slog.Logger
	// maxScan bounds how many events one Page call examines, so a kiosk
	// whose conferences are a small share of the log still gets an answer
	// (and a next position) quickly.
	maxScan int

	mu      sync.RWMutex
	cls     *Classifier
	indexed int64 // log position the classifier has learned up to
	// persisted is the position of the stored checkpoint.
	persisted int64
	loaded    bool
}

// Option configures a Pager.
type Option func(*Pager)

// WithLogger sets the logger (slog.Default otherwise).
func WithLogger(l *slog.Logger) Option { return func(p *Pager) { p.log = l } }

// WithMaxScan bounds the events one Page examines (default 50,000).
func WithMaxScan(n int) Option { return func(p *Pager) { p.maxScan = n } }

// WithoutPersistence keeps the index in memory only, even on a SQL store.
func WithoutPersistence() Option { return func(p *Pager) { p.sql = nil } }

// New returns a pager over store. The index is loaded (and its schema
// migrated) lazily, on the first Page or Sync, so New cannot fail.
func New(store eventstore.Store, opts ...Option) *Pager {
	p := &Pager{store: store, log: slog.Default(), maxScan: 50_000, cls: NewClassifier()}
	if s, ok := store.(SQLStore); ok {
		p.sql = s
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Page returns up to limit events of the given conferences with hub log
// position > after, in log order, and the position to continue from: the
// last position examined, which may be past the last event returned when
// events of other conferences followed. An empty page with next == after
// means the kiosk is at the head.
func (p *Pager) Page(ctx context.Context, after int64, conferences []uuid.UUID, limit int) ([]eventstore.Event, int64, error) {
	if after < 0 {
		return nil, after, fmt.Errorf("%w: position %d is negative", ErrInvalid, after)
	}
	if len(conferences) == 0 {
		return nil, after, fmt.Errorf("%w: no conference asked for", ErrInvalid)
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	want := make(map[uuid.UUID]bool, len(conferences))
	for _, c := range conferences {
		want[c] = true
	}
	if _, err := p.Sync(ctx); err != nil {
		return nil, after, err
	}
	var out []eventstore.Event
	next, scanned := after, 0
	for len(out) < limit && scanned < p.maxScan {
		chunk := min(max(limit-len(out), 256), p.maxScan-scanned)
		evs, err := p.store.ReadLog(ctx, next, chunk)
		if err != nil {
			return nil, after, fmt.Errorf("page after %d: %w", next, err)
		}
		if len(evs) == 0 {
			break
		}
		if last := evs[len(evs)-1].Position; last > p.indexedPosition() {
			// Appended since the index last looked: learn their streams first.
			if _, err := p.Sync(ctx); err != nil {
				return nil, after, err
			}
		}
		p.mu.RLock()
		for i := range evs {
			e := &evs[i]
			next = e.Position
			scanned++
			if c, ok := p.conferenceOf(e); ok && want[c] {
				out = append(out, *e)
				if len(out) == limit {
					break
				}
			}
		}
		p.mu.RUnlock()
		if len(evs) < chunk {
			break
		}
	}
	return out, next, nil
}

// conferenceOf classifies without learning; the caller holds mu (read).
func (p *Pager) conferenceOf(e *eventstore.Event) (uuid.UUID, bool) {
	if id, ok := ConferenceOf(e.Data); ok {
		return id, true
	}
	return p.cls.Stream(e.StreamID)
}

func (p *Pager) indexedPosition() int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.indexed
}

// Sync brings the index up to the log's head and returns the position it
// covers. The hub calls it (or Run) as events are recorded, so kiosks
// paging find the index current.
func (p *Pager) Sync(ctx context.Context) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.loaded {
		if err := p.load(ctx); err != nil {
			return p.indexed, err
		}
		p.loaded = true
	}
	for {
		evs, err := p.store.ReadLog(ctx, p.indexed, 4096)
		if err != nil {
			return p.indexed, fmt.Errorf("index log after %d: %w", p.indexed, err)
		}
		if len(evs) == 0 {
			return p.indexed, nil
		}
		for i := range evs {
			p.cls.Conference(&evs[i])
		}
		last := evs[len(evs)-1].Position
		// The stored index may lag the log by up to persistEvery events:
		// a restart reads them again and learns the same streams from
		// them. Writing at every new stream cost a transaction per order,
		// on every replica of a hub on PostgreSQL.
		if last-p.persisted >= persistEvery {
			learned := p.cls.TakeLearned()
			if err := p.persist(ctx, learned, last); err != nil {
				p.cls.learned = append(learned, p.cls.learned...) // retried with the next Sync
				return p.indexed, err
			}
			p.persisted = last
		}
		p.indexed = last
	}
}

// Run keeps the index current until ctx ends, waking on appends.
func (p *Pager) Run(ctx context.Context) error {
	for {
		pos, err := p.Sync(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			p.log.Error("sync scope index", "err", err, "position", pos)
		}
		if err := p.store.WaitForAppend(ctx, pos); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("wait for events after %d: %w", pos, err)
		}
	}
}

// load reads the persisted index, migrating its schema first.
func (p *Pager) load(ctx context.Context) error {
	if p.sql == nil {
		return nil
	}
	db := p.sql.DB()
	if err := migrations.Apply(ctx, db, Schema); err != nil {
		return fmt.Errorf("scope index schema: %w", err)
	}
	var err error
	if p.indexed, err = sqldb.Checkpoint(ctx, db, checkpointName); err != nil {
		return fmt.Errorf("read scope checkpoint: %w", err)
	}
	p.persisted = p.indexed
	rows, err := db.QueryContext(ctx, `SELECT stream_id, conference_id FROM sync_scope_streams`)
	if err != nil {
		return fmt.Errorf("read scope index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var stream, conf string
		if err := rows.Scan(&stream, &conf); err != nil {
			return fmt.Errorf("read scope index: %w", err)
		}
		id, err := uuid.Parse(conf)
		if err != nil {
			return fmt.Errorf("scope index: stream %s has bad conference %q: %w", stream, conf, err)
		}
		p.cls.Learn(stream, id)
	}
	return rows.Err()
}

// persist stores newly learned streams and the position they cover in one
// transaction, so a crash leaves the index consistent with its checkpoint.
func (p *Pager) persist(ctx context.Context, learned []string, position int64) error {
	if p.sql == nil {
		return nil
	}
	err := p.sql.Write(ctx, func(tx sqldb.Tx) error {
		if len(learned) > 0 {
			st, err := tx.PrepareContext(ctx, `INSERT INTO sync_scope_streams (stream_id, conference_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, s := range learned {
				c, _ := p.cls.Stream(s)
				if _, err := st.ExecContext(ctx, s, c.String()); err != nil {
					return fmt.Errorf("stream %s: %w", s, err)
				}
			}
		}
		return sqldb.SaveCheckpoint(ctx, tx, checkpointName, position)
	})
	if err != nil {
		return fmt.Errorf("persist scope index: %w", err)
	}
	return nil
}

// Behind counts the events of a conference after position that a kiosk
// would still receive (those of other origins than kioskID: its own it
// has), looking at most limit log positions past position. complete is
// false when it stopped before the head: there may be more.
func (p *Pager) Behind(ctx context.Context, after int64, conference uuid.UUID, kioskID string, limit int64) (n int, complete bool, err error) {
	for next := after; ; {
		if next-after >= limit {
			return n, false, nil
		}
		evs, to, err := p.Page(ctx, next, []uuid.UUID{conference}, MaxLimit)
		if err != nil {
			return n, false, err
		}
		for i := range evs {
			if evs[i].Origin != kioskID && evs[i].Position-after <= limit {
				n++
			}
		}
		if to <= next {
			return n, true, nil
		}
		next = to
	}
}
