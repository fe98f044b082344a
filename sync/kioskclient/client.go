// Package kioskclient is the kiosk's end of the sync transport. Pair
// exchanges a pairing code for a device credential; a Client keeps a
// WebSocket connection to the hub for as long as Run runs, reconnecting
// with exponential backoff and jitter, applies the hub's pages to the
// kiosk's store (through merge.ApplyDown) in hub order, uploads the
// kiosk's own unacknowledged events in origin_seq order, and records both
// checkpoints in the kiosk's database so a restart resumes without
// resending what the hub acknowledged.
package kioskclient

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"conference/shared/eventstore"
	"conference/shared/sqldb"
	"conference/sync/protocol"
)

// ErrOffline is returned by requests made while no connection is up.
var ErrOffline = errors.New("kiosk is offline")

// ApplyFunc applies a page of hub events to the kiosk store, idempotently
// and in the order given (merge.ApplyDown).
type ApplyFunc func(ctx context.Context, kioskStore eventstore.Store, events []eventstore.Event) error

// Checkpoint names in the store's checkpoints table.
const (
	CheckpointDown    = "sync.down"     // hub log position applied
	CheckpointUpAcked = "sync.up.acked" // own origin_seq the hub acknowledged
	CheckpointUpScan  = "sync.up.scan"  // local position before which every own event is acked
)

// Config wires a Client. HubURL, KioskID, Credential, Store and Apply are
// required.
type Config struct {
	// HubURL is the hub's base URL (http or https).
	HubURL     string
	KioskID    string
	Credential string
	// Store is the kiosk's own event store, opened with Node = KioskID.
	Store sqldb.Store
	Apply ApplyFunc
	// Protocol to speak (protocol.Current); tests use older ones.
	Protocol int
	// Schemas the kiosk reads and writes, sent in hello.
	Schemas  map[string]int
	Software string
	// Window is how many pages may be in flight down (4).
	Window int
	// BatchSize is the events per upload (500, at most the hub's max).
	BatchSize int
	// InFlight is how many uploads may await their ack (4).
	InFlight int
	// MinBackoff and MaxBackoff bound the reconnect delay (0.5s, 30s).
	MinBackoff, MaxBackoff time.Duration
	// Dialer is the WebSocket dialer (websocket.DefaultDialer).
	Dialer *websocket.Dialer
	// OnStatus is called (from the client's goroutines; it must not
	// block) whenever the status changes.
	OnStatus func(Status)
	Logger   *slog.Logger
}

// Status is what the kiosk shows about its link to the hub.
type Status struct {
	Online bool
	// Since is when Online last changed.
	Since time.Time
	// LastError is why the last connection ended or failed ("" if none).
	LastError string
	// Permanent is set when reconnecting cannot help (revoked, version).
	Permanent bool
	// DownCheckpoint is the hub position applied; HubHead the hub's head
	// as last heard (catching up while DownCheckpoint < HubHead).
	DownCheckpoint, HubHead int64
	// UpAcked is the last own origin_seq the hub stored; UpHead the last
	// own origin_seq recorded. Pending uploads: UpHead - UpAcked.
	UpAcked, UpHead int64
}

// Pending is the number of own events waiting for the hub.
func (s Status) Pending() int64 { return max(s.UpHead-s.UpAcked, 0) }

// Client syncs one kiosk with its hub.
type Client struct {
	cfg   Config
	log   *slog.Logger
	wsURL string

	down atomic.Int64 // applied hub position, for the store's Seen

	mu     sync.Mutex
	status Status
	active *session
}

// New checks the configuration and returns a Client; Run connects.
func New(cfg Config) (*Client, error) {
	if cfg.HubURL == "" || cfg.KioskID == "" || cfg.Credential == "" || cfg.Store == nil || cfg.Apply == nil {
		return nil, errors.New("kioskclient: HubURL, KioskID, Credential, Store and Apply are required")
	}
	ws, err := websocketURL(cfg.HubURL)
	if err != nil {
		return nil, err
	}
	if cfg.Protocol == 0 {
		cfg.Protocol = protocol.Current
	}
	if cfg.Window <= 0 {
		cfg.Window = 4
	}
	cfg.Window = min(cfg.Window, protocol.MaxWindow)
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	cfg.BatchSize = min(cfg.BatchSize, protocol.MaxBatchEvents)
	if cfg.InFlight <= 0 {
		cfg.InFlight = 4
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	if cfg.Dialer == nil {
		cfg.Dialer = websocket.DefaultDialer
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Client{cfg: cfg, log: cfg.Logger, wsURL: ws}
	ctx := context.Background()
	down, err := sqldb.Checkpoint(ctx, cfg.Store.DB(), CheckpointDown)
	if err != nil {
		return nil, err
	}
	acked, err := sqldb.Checkpoint(ctx, cfg.Store.DB(), CheckpointUpAcked)
	if err != nil {
		return nil, err
	}
	head, err := ownHead(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	c.down.Store(down)
	c.status = Status{Since: time.Now(), DownCheckpoint: down, UpAcked: acked, UpHead: head}
	return c, nil
}

func websocketURL(hub string) (string, error) {
	u, err := url.Parse(hub)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("kioskclient: hub URL %q is not an http(s) URL", hub)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("kioskclient: hub URL %q is not an http(s) URL", hub)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + protocol.Path
	return u.String(), nil
}

// DownCheckpoint is the hub log position the kiosk has applied: the causal
// context ("seen") of events the kiosk records now. Open the kiosk store
// with sqlitestore.Options{Seen: func(int64) int64 { return c.DownCheckpoint() }}.
func (c *Client) DownCheckpoint() int64 { return c.down.Load() }

// Status is the link's current status.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

func (c *Client) update(fn func(*Status)) {
	c.mu.Lock()
	c.changeLocked(fn)
}

// link makes s (nil for none) the connection requests go through and
// changes the status in the same step, so that Status and OnStatus never
// report online while requests would find no connection, or report a
// connection after it went: a request made once the status says online
// reaches the hub unless the link really drops afterwards.
func (c *Client) link(s *session, fn func(*Status)) {
	c.mu.Lock()
	c.active = s
	c.changeLocked(fn)
}

// changeLocked applies fn to the status, unlocks c.mu and reports the
// change.
func (c *Client) changeLocked(fn func(*Status)) {
	before := c.status
	fn(&c.status)
	if c.status.Online != before.Online {
		c.status.Since = time.Now()
	}
	s := c.status
	c.mu.Unlock()
	if c.cfg.OnStatus != nil && s != before {
		c.cfg.OnStatus(s)
	}
}

// Run keeps the kiosk connected until ctx ends (then it returns nil) or
// the hub refuses it for good (then it returns that *protocol.Error:
// revoked, unknown credential, version or schema unsupported).
func (c *Client) Run(ctx context.Context) error {
	wait := newBackoff(c.cfg.MinBackoff, c.cfg.MaxBackoff)
	for {
		started := time.Now()
		err := c.session(ctx)
		if ctx.Err() != nil {
			c.update(func(s *Status) { s.Online = false })
			return nil
		}
		c.update(offline(err))
		if c.Status().Permanent {
			c.log.Error("sync: hub refused this kiosk", "err", err)
			return err
		}
		delay := wait.delay(time.Since(started))
		c.log.Info("sync: reconnecting", "in", delay.Round(time.Millisecond), "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
	}
}

// offline is the status after a connection ended or failed with err.
func offline(err error) func(*Status) {
	var pe *protocol.Error
	permanent := errors.As(err, &pe) && pe.Code.Permanent()
	return func(s *Status) {
		s.Online, s.Permanent = false, permanent
		if err != nil {
			s.LastError = err.Error()
		}
	}
}

// Pair exchanges a pairing code for the kiosk's credentials at hubURL.
// kioskKey is the kiosk's Ed25519 public key the hub certifies for
// signing badges. A refusal is a *protocol.Error (CodePairingRefused,
// CodeRateLimited, ...).
func Pair(ctx context.Context, hubURL, code string, kioskKey ed25519.PublicKey) (protocol.PairResponse, error) {
	var out protocol.PairResponse
	u, err := url.Parse(hubURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return out, fmt.Errorf("pair: hub URL %q is not an http(s) URL", hubURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + protocol.PairPath
	body, _ := json.Marshal(protocol.PairRequest{Code: code, PublicKey: kioskKey})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return out, fmt.Errorf("pair: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out, fmt.Errorf("pair with %s: %w", hubURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return out, fmt.Errorf("pair with %s: read answer: %w", hubURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("pair with %s: %w", hubURL, httpError(resp.StatusCode, data))
	}
	if err := json.Unmarshal(data, &out); err != nil || out.Credential == "" || out.KioskID == "" {
		return out, fmt.Errorf("pair with %s: unexpected answer", hubURL)
	}
	return out, nil
}

// httpError reads the typed error a hub sends with a refusal.
func httpError(status int, body []byte) error {
	var e protocol.Error
	if json.Unmarshal(body, &e) == nil && e.Code != "" {
		return &e
	}
	return fmt.Errorf("hub answered HTTP %d", status)
}

// ownHead is the kiosk's last own origin_seq, as the store's writer
// keeps it for every origin, its own too.
func ownHead(ctx context.Context, st sqldb.Store) (int64, error) {
	return st.OriginSeq(ctx, st.Node())
}
