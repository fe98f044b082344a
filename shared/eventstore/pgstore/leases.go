package pgstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"conference/shared/lease"
	"conference/shared/sqldb"
)

// Leases are session advisory locks held on one dedicated connection per
// replica. PostgreSQL frees them when that session ends, so a replica that
// dies (or whose connection breaks) loses its leases at once, and the
// others, retrying every half second or so, take them over. A silently
// vanished replica is noticed through TCP keepalives (Config).
//
// The connection is pinged every second; when it fails every lease it held
// is reported lost and the work under it stops. Writes carrying a lease in
// their context are fenced: Write checks, in the write's own transaction,
// that the lease's session still holds the lock.
type leases struct {
	s    *Store
	mu   sync.Mutex
	conn *pgx.Conn
	pid  uint32
	held map[int64]*held
	stop chan struct{}
}

type held struct {
	l    *leases
	name string
	key  int64
	pid  uint32
	once sync.Once
	lost chan struct{}
}

func (h *held) Name() string          { return h.name }
func (h *held) Lost() <-chan struct{} { return h.lost }

func (h *held) markLost() { h.once.Do(func() { close(h.lost) }) }

// Release gives the lease up.
func (h *held) Release() {
	l := h.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[h.key] != h {
		return
	}
	delete(l.held, h.key)
	h.markLost()
	if l.conn != nil && l.pid == h.pid {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, h.key); err != nil {
			l.dropLocked()
		}
	}
}

// leaseApplication names the lease sessions in pg_stat_activity, for
// operators (and tests) looking for them.
const leaseApplication = "conference-hub leases"

// leaseKey maps a lease name to an advisory lock key.
func leaseKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("conference-lease:" + name))
	return int64(h.Sum64())
}

var _ lease.Leaser = (*Store)(nil)

// Acquire waits until this replica holds the lease name, or ctx ends.
func (s *Store) Acquire(ctx context.Context, name string) (lease.Held, error) {
	l := s.leaseState()
	key := leaseKey(name)
	for {
		h, err := l.try(ctx, name, key)
		if h != nil || err != nil && ctx.Err() != nil {
			return h, err
		}
		if err != nil {
			s.log.Debug("lease attempt failed", "lease", name, "err", err)
		}
		select {
		case <-time.After(400*time.Millisecond + rand.N(200*time.Millisecond)):
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.quit:
			return nil, fmt.Errorf("acquire lease %s: store closed", name)
		}
	}
}

func (s *Store) leaseState() *leases {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leases == nil {
		s.leases = &leases{s: s, held: map[int64]*held{}, stop: make(chan struct{})}
		s.wg.Add(1)
		go s.leases.watch()
	}
	return s.leases
}

// try takes the lock if it is free; nil, nil when another session holds it.
func (l *leases) try(ctx context.Context, name string, key int64) (*held, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h, ok := l.held[key]; ok {
		return nil, fmt.Errorf("lease %s is held by this replica already (as %s)", name, h.name)
	}
	if l.conn == nil {
		cfg := l.s.cfg.ConnConfig.Copy()
		cfg.RuntimeParams["application_name"] = leaseApplication
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return nil, Classify(err)
		}
		var pid uint32
		if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			conn.Close(context.Background())
			return nil, Classify(err)
		}
		l.conn, l.pid = conn, pid
	}
	var ok bool
	if err := l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		l.dropLocked()
		return nil, Classify(err)
	}
	if !ok {
		return nil, nil
	}
	h := &held{l: l, name: name, key: key, pid: l.pid, lost: make(chan struct{})}
	l.held[key] = h
	return h, nil
}

// dropLocked closes the lease connection and reports every lease lost.
func (l *leases) dropLocked() {
	if l.conn != nil {
		l.conn.Close(context.Background())
		l.conn = nil
	}
	for k, h := range l.held {
		h.markLost()
		delete(l.held, k)
	}
}

// watch pings the lease connection every second while it holds leases.
func (l *leases) watch() {
	defer l.s.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-l.s.quit:
			l.mu.Lock()
			l.dropLocked()
			l.mu.Unlock()
			return
		case <-t.C:
		}
		l.mu.Lock()
		if l.conn != nil && len(l.held) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			if _, err := l.conn.Exec(ctx, `SELECT 1`); err != nil {
				l.s.log.Warn("lease connection lost; every lease it held is lost", "db", l.s.where, "leases", len(l.held), "err", err)
				l.dropLocked()
			}
			cancel()
		}
		l.mu.Unlock()
	}
}

// checkLease fences a write made under a lease: it fails with lease.ErrLost
// unless the lease's session still holds the lock, checked inside the
// write's transaction.
func checkLease(ctx context.Context, tx sqldb.Tx) error {
	h, ok := lease.From(ctx)
	if !ok {
		return nil
	}
	ph, ok := h.(*held)
	if !ok {
		return nil
	}
	select {
	case <-ph.lost:
		return fmt.Errorf("%w: %s", lease.ErrLost, ph.name)
	default:
	}
	k := uint64(ph.key)
	var holds bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid = $1 AND objid = $2 AND objsubid = 1 AND pid = $3 AND granted)`,
		int64(k>>32), int64(k&0xffffffff), int64(ph.pid)).Scan(&holds)
	if err != nil {
		return fmt.Errorf("check lease %s: %w", ph.name, Classify(err))
	}
	if !holds {
		ph.markLost()
		return fmt.Errorf("%w: %s is no longer held by this replica", lease.ErrLost, ph.name)
	}
	return nil
}
