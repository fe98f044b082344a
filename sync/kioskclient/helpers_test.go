package kioskclient_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"conference/hub/kiosks"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/sync/hubserver/hubservertest"
	"conference/sync/kioskclient"
	"conference/sync/merge"
	"conference/sync/merge/mergetest"
)

// kiosk is a kiosk store with a sync client running against a hub.
type kiosk struct {
	id     string
	store  *sqlitestore.Store
	client *kioskclient.Client
	cut    *cutter
	cancel context.CancelFunc
	done   chan error
	down   atomic.Int64
}

// openKiosk opens the kiosk's store (its "seen" is the client's down
// checkpoint, as in production).
func openKiosk(t *testing.T, dir, id string) *kiosk {
	t.Helper()
	k := &kiosk{id: id, cut: &cutter{}}
	st, err := sqlitestore.Open(context.Background(), filepath.Join(dir, "kiosk.db"), sqlitestore.Options{
		Node: id, Synchronous: "NORMAL", Seen: func(int64) int64 { return k.down.Load() }})
	if err != nil {
		t.Fatalf("open kiosk store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	k.store = st
	return k
}

// start runs a sync client until stop or the end of the test.
func (k *kiosk) start(t *testing.T, h *hubservertest.Hub, credential string, edit func(*kioskclient.Config)) {
	t.Helper()
	cfg := kioskclient.Config{HubURL: h.URL, KioskID: k.id, Credential: credential, Store: k.store,
		Apply: merge.ApplyDown, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Dialer: &websocket.Dialer{NetDialContext: k.cut.dial, HandshakeTimeout: 5 * time.Second}}
	if edit != nil {
		edit(&cfg)
	}
	c, err := kioskclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	k.client, k.cancel, k.done = c, cancel, make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			k.down.Store(c.DownCheckpoint())
			time.Sleep(5 * time.Millisecond)
		}
	}()
	go func() { k.done <- c.Run(ctx) }()
	t.Cleanup(k.stop)
}

func (k *kiosk) stop() {
	if k.cancel == nil {
		return
	}
	k.cancel()
	select {
	case <-k.done:
	case <-time.After(5 * time.Second):
	}
	k.cancel = nil
}

// walkUps records n walk-up sales of one workshop seat each, offline.
func (k *kiosk) walkUps(t *testing.T, c mergetest.Conference, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		mergetest.WalkUp(t, k.store, k.id, c, registrations.Seats{{SeatType: c.FullPass, Quantity: 1}}, "Walk Up")
	}
}

// checkIns records n check-ins of distinct seats: cheap events for volume.
func (k *kiosk) checkIns(t *testing.T, c mergetest.Conference, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		mergetest.CheckIn(t, k.store, k.id, c, onsite.Seat{OrderID: newID(), Position: 1})
	}
}

func (k *kiosk) has(t *testing.T, origin string) int {
	t.Helper()
	var n int
	if err := k.store.DB().QueryRow(`SELECT count(*) FROM events WHERE origin = $1`, origin).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// cutter dials real TCP connections and can cut them all, like a pulled
// network cable.
type cutter struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (c *cutter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err == nil {
		c.mu.Lock()
		c.conns = append(c.conns, conn)
		c.mu.Unlock()
	}
	return conn, err
}

func (c *cutter) cutAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		conn.Close()
	}
	c.conns = nil
}

func pairedKiosk(t *testing.T, h *hubservertest.Hub, name string) (*kiosk, kiosks.Pairing) {
	t.Helper()
	p := h.Pair(t, name)
	return openKiosk(t, t.TempDir(), p.Kiosk.KioskID), p
}

func isErr(err, target error) bool { return errors.Is(err, target) }
