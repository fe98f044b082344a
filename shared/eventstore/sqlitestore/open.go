// Package sqlitestore is the event store on SQLite (modernc.org/sqlite, pure
// Go, WAL), the embedded default of both the hub and the kiosk.
//
// One goroutine owns the write connection and commits concurrent appends in
// groups (one transaction, one fsync for many callers); reads use a separate
// pool. The database file is locked against a second process, since the
// in-process writer and subscription wake-ups assume they see every append.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"conference/migrations"
	"conference/shared/eventstore"
	"conference/shared/eventstore/internal/fanout"
	"conference/shared/hlc"
	"conference/shared/sqldb"
)

// Start-up errors callers branch on to print one clear line.
var (
	ErrLocked      = errors.New("database is in use by another process")
	ErrNotDatabase = errors.New("file is not a usable SQLite database (corrupt or not a database)")
	ErrReadOnly    = errors.New("database file or its directory is read-only")
	// ErrBusy: a write waited longer than the busy timeout for the write
	// lock held by another write of this process.
	ErrBusy = errors.New("database is busy")
)

// Options configure a Store. The zero value is a hub store with durable commits.
type Options struct {
	// Node is this node's origin name: "hub" or a kiosk id.
	Node string
	// Clock stamps locally recorded events; a fresh wall clock when nil.
	Clock *hlc.Clock
	// Seen gives the causal context of a locally recorded event from the
	// local log head. The hub's default is the head itself; a kiosk passes
	// its hub checkpoint.
	Seen func(head int64) int64
	// Synchronous is SQLite's synchronous pragma: "FULL" (default: a
	// confirmed append survives power loss) or "NORMAL" (survives a crash
	// of the process, not of the machine).
	Synchronous string
	// Components are extra schema parts migrated into the same file.
	Components []migrations.Component
	// MaxGroup bounds how many appends share one transaction.
	MaxGroup int
	// Observe hears about every transaction the writer commits or fails
	// (metrics); nil for none.
	Observe eventstore.CommitObserver
	Logger  *slog.Logger
	Now     func() time.Time
}

// Store implements eventstore.Store on one SQLite file.
type Store struct {
	path  string
	opts  Options
	db    *sql.DB // read pool, and the writes that bypass the group writer
	sdb   *sqldb.DB
	wdb   *sql.DB
	wconn *sql.Conn
	gate  *writeGate // every write transaction of this process passes it
	stmts writeStmts
	reads readStmts
	lock  *os.File
	log   *slog.Logger

	reqs    chan *request
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once

	notifyMu  sync.Mutex
	head      int64
	appended  chan struct{}    // closed and replaced on every commit that adds events
	messaged  chan struct{}    // likewise for outbox messages
	versions  map[string]int64 // writer-owned cache: stream -> version
	origins   map[string]int64 // origin -> last seq, complete; the writer changes it under notifyMu
	indexed   int64            // writer-owned: how far stream_index reaches (streamindex.go)
	unindexed map[string]int64 // writer-owned: stream -> version, of the unindexed events
	streams   fanout.Streams   // WatchStream's waiters, by stream
	recent    recentLog        // the newest events, for ReadLog
	topics    fanout.Topics    // Notify's subscribers
	groups    int64            // committed groups, for Stats
	grouped   int64            // requests in those groups
}

// Stats describes the group writer's batching so far.
type Stats struct {
	Groups   int64 // transactions committed by the group writer
	Requests int64 // appends they carried
}

// Stats reports how appends were grouped (benchmarks compare against a raw
// baseline batched the same way).
func (s *Store) Stats() Stats {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	return Stats{Groups: s.groups, Requests: s.grouped}
}

var (
	_ eventstore.Log      = (*Store)(nil)
	_ eventstore.Notifier = (*Store)(nil)
	_ sqldb.Tables        = (*Store)(nil)
)

// busyTimeout is how long a write waits for the write lock before it
// fails: in SQLite's busy handler for other processes, in the write gate
// for this one.
const busyTimeout = 10 * time.Second

// DSN builds the connection string carrying every pragma, so each pooled
// connection gets them, not just the first.
func DSN(path, synchronous string) string {
	if synchronous == "" {
		synchronous = "FULL"
	}
	q := url.Values{}
	// A longer checkpoint interval cuts the pages written per appended
	// event, the store's main cost (measured by storebench). Pages are
	// SQLite's default 4,096 bytes: the driver runs a DSN's pragmas in
	// lexicographic order, journal_mode before page_size, and a file in
	// WAL mode keeps its page size, so a page_size pragma here would do
	// nothing (it never did; every figure was measured with 4,096).
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "wal_autocheckpoint(8000)")
	q.Add("_pragma", "synchronous("+synchronous+")")
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(int(busyTimeout/time.Millisecond))+")")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the store at path, takes the process lock
// and migrates the schema.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.Node == "" {
		opts.Node = "hub"
	}
	if opts.Clock == nil {
		opts.Clock = hlc.NewClock(nil)
	}
	if opts.Seen == nil {
		opts.Seen = func(head int64) int64 { return head }
	}
	if opts.MaxGroup <= 0 {
		opts.MaxGroup = 512
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch opts.Synchronous {
	case "", "FULL", "NORMAL":
	default:
		return nil, fmt.Errorf("open %s: synchronous must be FULL or NORMAL, got %q", path, opts.Synchronous)
	}
	lock, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, opts: opts, lock: lock, log: opts.Logger,
		reqs: make(chan *request), quit: make(chan struct{}), stopped: make(chan struct{}),
		appended: make(chan struct{}), messaged: make(chan struct{}),
		versions: map[string]int64{}, origins: map[string]int64{}}
	if err := s.open(ctx); err != nil {
		s.closeDBs()
		lock.Close()
		return nil, fmt.Errorf("open %s: %w", path, classify(err))
	}
	go s.run()
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	dsn := DSN(s.path, s.opts.Synchronous)
	s.gate = newWriteGate(busyTimeout)
	// The writer's own connection is not gated: it takes the gate around
	// each of its transactions, and Write functions run inside them.
	var err error
	if s.wdb, err = sql.Open("sqlite", dsn); err != nil {
		return err
	}
	s.wdb.SetMaxOpenConns(1)
	components := append([]migrations.Component{migrations.EventStore}, s.opts.Components...)
	if err := migrations.Apply(ctx, &sqldb.DB{DB: s.wdb, Dialect: sqldb.SQLite}, components...); err != nil {
		return err
	}
	if s.wconn, err = s.wdb.Conn(ctx); err != nil {
		return err
	}
	if err := s.prepare(ctx); err != nil {
		return err
	}
	if err := s.loadUnindexed(ctx); err != nil {
		return err
	}
	s.db = openGated(dsn, s.gate)
	s.sdb = &sqldb.DB{DB: s.db, Dialect: sqldb.SQLite}
	s.db.SetMaxOpenConns(16)
	s.db.SetMaxIdleConns(16)
	if err := s.prepareReads(ctx); err != nil {
		return err
	}
	return s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) FROM events`).Scan(&s.head)
}

// DB is the read pool, for adapters that keep read models in the same file
// (they write through it too, in their own transactions).
func (s *Store) DB() *sqldb.DB { return s.sdb }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Node is this store's origin name.
func (s *Store) Node() string { return s.opts.Node }

// Close stops the writer after the group in flight and closes the database.
// Appends waiting to be written fail with eventstore.ErrClosed.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		close(s.quit)
		<-s.stopped
		s.streams.WakeAll()
		err = s.closeDBs()
		if s.lock != nil {
			s.lock.Close()
		}
	})
	return err
}

func (s *Store) closeDBs() error {
	var errs []error
	for _, st := range append(s.stmts.all(), s.reads.all()...) {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.wconn != nil {
		errs = append(errs, s.wconn.Close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	return errors.Join(errs...)
}

// lockFile takes an exclusive, non-blocking flock on path+".lock". The
// kernel drops it when the process dies, so a killed kiosk restarts cleanly.
func lockFile(path string) (*os.File, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open %s: create directory: %w", path, err)
		}
	}
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return nil, fmt.Errorf("open %s: %w", path, ErrReadOnly)
		}
		return nil, fmt.Errorf("open %s: lock file: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("open %s: %w (lock %s.lock held)", path, ErrLocked, path)
		}
		return nil, fmt.Errorf("open %s: lock: %w", path, err)
	}
	return f, nil
}

// classify maps SQLite result codes met at start-up onto the sentinels.
func classify(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		return fmt.Errorf("%w: %v", ErrNotDatabase, err)
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
		return fmt.Errorf("%w: %v", ErrReadOnly, err)
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("%w: %v", ErrLocked, err)
	}
	return err
}
