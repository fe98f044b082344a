// Package hubserver is the hub's end of the sync transport: an
// http.Handler serving the WebSocket endpoint kiosks keep open
// (protocol.Path) and the pairing endpoint (protocol.PairPath).
//
// It authenticates each kiosk by its device credential, streams the hub
// log down from the kiosk's checkpoint (through a Pager, with credit-based
// flow control, woken by new appends), hands uploaded batches to a Merger
// and acknowledges them, and answers allocation and digest requests. It
// decides nothing about the events themselves: the rules live in
// sync/scope and sync/merge, consumed through the small interfaces below.
//
// Each connection has one owner goroutine that alone writes to the socket
// and runs the connection's state; a reader goroutine feeds it decoded
// frames and a waiter goroutine tells it about appends. All of them stop
// when the connection ends, and Close ends every connection.
package hubserver

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"conference/hub/kiosks"
	"conference/shared/eventstore"
	"conference/shared/webui"
	"conference/sync/protocol"
)

// Kiosks is the kiosk registry (*kiosks.Registry).
type Kiosks interface {
	Authenticate(ctx context.Context, credential string) (kiosks.Identity, error)
	Pair(ctx context.Context, code string, kioskKey ed25519.PublicKey) (kiosks.Pairing, error)
	RecordPresence(ctx context.Context, seen []kiosks.Presence) error
	OnRevoke(fn func(kioskID string)) (cancel func())
}

// Pager pages the hub log for a kiosk's conferences (*scope.Pager). An
// empty page with next == after means the kiosk is at the head.
type Pager interface {
	Page(ctx context.Context, after int64, conferences []uuid.UUID, limit int) (events []eventstore.Event, next int64, err error)
}

// Merger takes in a kiosk's events (*merge.Merger). Accept returns the
// origin_seq acknowledged after the batch; Acked what is acknowledged now.
type Merger interface {
	Accept(ctx context.Context, kioskID string, batch []eventstore.Event) (ackedSeq int64, err error)
	Acked(ctx context.Context, kioskID string) (int64, error)
}

// Allocations grants and takes back kiosk seat allocations
// (*merge.Allocations).
type Allocations interface {
	Request(ctx context.Context, kioskID string, conference, seatType uuid.UUID, n int) (granted int, err error)
	Return(ctx context.Context, kioskID string, conference, seatType uuid.UUID, n int) error
}

// DigestQuery is a kiosk's digest request as the hub answers it.
type DigestQuery struct {
	KioskID    string
	Conference uuid.UUID
	// Cut is set when the kiosk named its cut (protocol 3): Position is
	// the hub log position it has applied and UpSeq the last of its own
	// events its digest covers, all of which the hub stored. Without a cut
	// the digest covers the whole log and Position is the hub's head.
	Cut      bool
	Position int64
	UpSeq    int64
	// Digests are the kiosk's own at its cut (nil when it sent none): the
	// hub learns from them whether the kiosk agrees.
	Digests map[string]string
}

// DigestFunc computes a conference's digests at the hub for a kiosk's
// request (digest.ComputeCut bound to the hub store), and records what the
// kiosk's own digests say.
type DigestFunc func(ctx context.Context, q DigestQuery) (map[string]string, error)

// Log is the part of the hub's event store the server watches.
type Log interface {
	Head(ctx context.Context) (int64, error)
	WaitForAppend(ctx context.Context, after int64) error
}

// Config wires a Server. Kiosks, Log, Pager and Merger are required.
type Config struct {
	Kiosks Kiosks
	Log    Log
	Pager  Pager
	Merger Merger
	// Allocations and Digest are optional; without them those requests
	// are answered with CodeUnavailable.
	Allocations Allocations
	Digest      DigestFunc
	// ClassifyMergeError maps a Merger error onto the error sent to the
	// kiosk: CodeGap (with Expected), CodeInvalidEvent, or nil for a
	// failure of the hub (CodeInternal). The default knows package merge.
	ClassifyMergeError func(error) *protocol.Error
	// Notices carries connections and revocations between the hubs that
	// share a database (fleet.go); nil for a hub that is alone.
	Notices Notifier
	// Schemas maps event type to the newest schema the hub reads; an
	// uploaded event past it is refused (CodeSchemaUnsupported). Nil
	// skips the check.
	Schemas map[string]int

	PageSize        int           // events per page (500)
	MaxBatch        int           // events per upload the hub accepts (protocol.MaxBatchEvents)
	PingInterval    time.Duration // keep-alive (15s)
	PongWait        time.Duration // silence that closes a connection (2 pings + 5s)
	HelloTimeout    time.Duration // time to send hello after the upgrade (10s)
	WriteTimeout    time.Duration // per frame (10s)
	RecheckInterval time.Duration // re-authenticate live connections (30s)
	PresenceEvery   time.Duration // flush last-seen to the registry (5s)
	// PairRate limits pairing attempts across all clients (5 per second,
	// burst 20): guessing a code is hopeless at that rate.
	PairRate  rate.Limit
	PairBurst int
	// PairLimits, when set, keeps the pairing limit's bucket where every
	// hub sharing the database counts it (hub/limits): the rate is the
	// fleet's, not each replica's.
	PairLimits webui.Buckets
	Logger     *slog.Logger
}

// Server serves kiosks. Mount it at protocol.Path and protocol.PairPath.
type Server struct {
	cfg      Config
	log      *slog.Logger
	upgrader websocket.Upgrader
	limiter  *webui.Limiter
	unsub    func()

	mu       sync.Mutex
	conns    map[string]*conn
	closing  bool
	wg       sync.WaitGroup // connection owners
	presence map[string]kiosks.Presence

	stop        chan struct{}
	flushed     chan struct{}
	noticesDone chan struct{}
	unnotice    func()
}

// New returns a Server and starts its presence flusher; Close stops it.
func New(cfg Config) (*Server, error) {
	if cfg.Kiosks == nil || cfg.Log == nil || cfg.Pager == nil || cfg.Merger == nil {
		return nil, errors.New("hubserver: Kiosks, Log, Pager and Merger are required")
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 500
	}
	cfg.PageSize = min(cfg.PageSize, protocol.MaxPageEvents)
	if cfg.MaxBatch <= 0 || cfg.MaxBatch > protocol.MaxBatchEvents {
		cfg.MaxBatch = protocol.MaxBatchEvents
	}
	setDefault(&cfg.PingInterval, 15*time.Second)
	setDefault(&cfg.PongWait, 2*cfg.PingInterval+5*time.Second)
	setDefault(&cfg.HelloTimeout, 10*time.Second)
	setDefault(&cfg.WriteTimeout, 10*time.Second)
	setDefault(&cfg.RecheckInterval, 30*time.Second)
	setDefault(&cfg.PresenceEvery, 5*time.Second)
	if cfg.PairRate <= 0 {
		cfg.PairRate, cfg.PairBurst = 5, 20
	}
	if cfg.ClassifyMergeError == nil {
		cfg.ClassifyMergeError = classifyMergeError
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, conns: map[string]*conn{}, presence: map[string]kiosks.Presence{},
		limiter: pairLimiter(cfg),
		stop:    make(chan struct{}), flushed: make(chan struct{}), noticesDone: make(chan struct{})}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: cfg.HelloTimeout,
		ReadBufferSize:   16 << 10, WriteBufferSize: 16 << 10,
		// Kiosks are not browsers and authenticate with a header a web
		// page cannot set, so the Origin check guards nothing here.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	s.unsub = cfg.Kiosks.OnRevoke(func(id string) {
		s.Disconnect(id, protocol.Errorf(protocol.CodeRevoked, "this kiosk was revoked by the organizer; pair it again to use it"))
		s.revoked(id)
	})
	if cfg.Notices != nil {
		notices, unnotice := cfg.Notices.Subscribe(topicKiosks)
		s.unnotice = unnotice
		go s.followNotices(notices)
	} else {
		close(s.noticesDone)
	}
	go s.flushPresence()
	return s, nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// ServeHTTP routes the WebSocket and pairing endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case protocol.Path:
		s.serveSync(w, r)
	case protocol.PairPath:
		s.servePair(w, r)
	default:
		writeError(w, protocol.Errorf(protocol.CodeNotFound, "no sync endpoint at %s", r.URL.Path))
	}
}

// Disconnect closes the live connection of a kiosk, if any, sending why.
// It returns at once; the connection is gone well within a second.
func (s *Server) Disconnect(kioskID string, why *protocol.Error) {
	s.mu.Lock()
	c := s.conns[kioskID]
	s.mu.Unlock()
	if c != nil {
		c.stop(why)
	}
}

// Online lists the kiosks connected now.
func (s *Server) Online() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.conns))
	for id := range s.conns {
		out = append(out, id)
	}
	return out
}

// IsOnline reports whether a kiosk has a live connection.
func (s *Server) IsOnline(kioskID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[kioskID] != nil
}

// Close tells every kiosk the hub is shutting down, closes their
// connections, waits for their goroutines and flushes presence. New
// connections are refused from then on. The hub calls it on shutdown
// (http.Server.Shutdown does not track upgraded connections).
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	conns := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.stop(protocol.Errorf(protocol.CodeShuttingDown, "the hub is shutting down; reconnect later"))
	}
	s.wg.Wait()
	s.unsub()
	close(s.stop)
	<-s.flushed
	<-s.noticesDone
	if s.unnotice != nil {
		s.unnotice()
	}
	return nil
}

// register makes c the kiosk's connection, stopping an older one first so
// two connections of one kiosk never upload side by side.
func (s *Server) register(c *conn) *protocol.Error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return protocol.Errorf(protocol.CodeShuttingDown, "the hub is shutting down; reconnect later")
	}
	old := s.conns[c.id.KioskID]
	s.conns[c.id.KioskID] = c
	s.wg.Add(1)
	s.mu.Unlock()
	if old != nil {
		old.stop(protocol.Errorf(protocol.CodeReplaced, "a newer connection of this kiosk took over"))
		select {
		case <-old.done:
		case <-time.After(2 * time.Second):
		}
	}
	s.announce(c)
	return nil
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	if s.conns[c.id.KioskID] == c {
		delete(s.conns, c.id.KioskID)
	}
	s.mu.Unlock()
	s.wg.Done()
}

// seen records what a connection learned about its kiosk; the flusher
// writes it to the registry in batches, so a thousand idle kiosks cost
// one small transaction every few seconds.
func (s *Server) seen(p kiosks.Presence) {
	s.mu.Lock()
	s.presence[p.KioskID] = p
	s.mu.Unlock()
}

func (s *Server) flushPresence() {
	defer close(s.flushed)
	t := time.NewTicker(s.cfg.PresenceEvery)
	defer t.Stop()
	flush := func() {
		s.mu.Lock()
		batch := make([]kiosks.Presence, 0, len(s.presence))
		for _, p := range s.presence {
			batch = append(batch, p)
		}
		clear(s.presence)
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.cfg.Kiosks.RecordPresence(ctx, batch); err != nil {
			s.log.Warn("record kiosk presence", "err", err, "kiosks", len(batch))
		}
	}
	for {
		select {
		case <-t.C:
			flush()
		case <-s.stop:
			flush()
			return
		}
	}
}

// serveSync authenticates before upgrading, so an unknown or revoked
// kiosk gets a plain HTTP answer carrying the typed error.
func (s *Server) serveSync(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, protocol.Errorf(protocol.CodeBadMessage, "use GET with a WebSocket upgrade"))
		return
	}
	credential, ok := bearer(r)
	if !ok {
		writeError(w, protocol.Errorf(protocol.CodeUnauthorized, "send the device credential as Authorization: Bearer"))
		return
	}
	id, err := s.cfg.Kiosks.Authenticate(r.Context(), credential)
	if err != nil {
		writeError(w, authError(err))
		return
	}
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		writeError(w, protocol.Errorf(protocol.CodeShuttingDown, "the hub is shutting down; reconnect later"))
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader already answered
	}
	c := newConn(s, ws, id, credential)
	if perr := s.register(c); perr != nil {
		c.closeWith(perr)
		return
	}
	defer s.unregister(c)
	c.run()
}

func authError(err error) *protocol.Error {
	switch {
	case errors.Is(err, kiosks.ErrRevoked):
		return protocol.Errorf(protocol.CodeRevoked, "this kiosk was revoked by the organizer; pair it again to use it")
	case errors.Is(err, kiosks.ErrUnauthorized):
		return protocol.Errorf(protocol.CodeUnauthorized, "unknown device credential; pair the kiosk with the hub")
	default:
		return protocol.Errorf(protocol.CodeInternal, "could not check the credential; retry later")
	}
}

func bearer(r *http.Request) (string, bool) {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || len(h) > 300 || h[:len(prefix)] != prefix {
		return "", false
	}
	return h[len(prefix):], true
}

func (s *Server) logf(level slog.Level, msg string, args ...any) {
	s.log.Log(context.Background(), level, fmt.Sprintf("sync: %s", msg), args...)
}

// pairLimiter is one bucket for every pairing attempt, whoever makes it.
func pairLimiter(cfg Config) *webui.Limiter {
	l := webui.NewLimiter(cfg.PairRate, max(cfg.PairBurst, 1), nil)
	if cfg.PairLimits != nil {
		l = l.Shared(cfg.PairLimits, "sync.pair")
	}
	return l
}
