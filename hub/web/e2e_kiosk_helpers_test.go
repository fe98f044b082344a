//go:build e2e

package web

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"conference/shared/browsertest"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/onsite"
	"conference/sync/kioskclient"
	"conference/sync/merge"
	"conference/sync/merge/mergetest"
)

// liveKiosk is a kiosk paired over the hub's HTTP pairing endpoint with the
// code the organizer's page showed, syncing over a real WebSocket: what the
// kiosk list shows about it was heard by the hub's sync server.
type liveKiosk struct {
	id, credential string
	store          *sqlitestore.Store
	client         *kioskclient.Client
	done           chan error // Run's result
}

// pairKiosk pairs a fresh kiosk with code at hubURL and starts syncing it
// until the test ends or the hub refuses it.
func pairKiosk(t *testing.T, hubURL, code string) *liveKiosk {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := kioskclient.Pair(ctx, hubURL, code, pub)
	if err != nil {
		t.Fatalf("pair with the code the page showed: %v", err)
	}
	k := &liveKiosk{id: p.KioskID, credential: p.Credential, done: make(chan error, 1)}
	// The causal context of a kiosk's own events is the hub position it has
	// applied, as in the kiosk program.
	var client atomic.Pointer[kioskclient.Client]
	k.store, err = sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "kiosk.db"), sqlitestore.Options{
		Node: p.KioskID, Synchronous: "NORMAL", Seen: func(int64) int64 {
			if c := client.Load(); c != nil {
				return c.DownCheckpoint()
			}
			return 0
		}})
	if err != nil {
		t.Fatalf("open kiosk store: %v", err)
	}
	t.Cleanup(func() { k.store.Close() })
	k.client, err = kioskclient.New(kioskclient.Config{HubURL: hubURL, KioskID: p.KioskID, Credential: p.Credential,
		Store: k.store, Apply: merge.ApplyDown, Software: "kiosk e2e", MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	client.Store(k.client)
	runCtx, stop := context.WithCancel(context.Background())
	go func() { k.done <- k.client.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-k.done:
			k.done <- err
		case <-time.After(5 * time.Second):
		}
	})
	return k
}

// waitSynced waits until the kiosk is online and the hub acknowledged every
// event it recorded.
func (k *liveKiosk) waitSynced(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := k.client.Status()
		if st.Online && st.Pending() == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kiosk %s not synced: %+v", k.id, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkIn records a check-in of seat on the kiosk, offline until it syncs.
func (k *liveKiosk) checkIn(t *testing.T, conference uuid.UUID, seat onsite.Seat) {
	t.Helper()
	if !mergetest.CheckIn(t, k.store, k.id, mergetest.Conference{ID: conference}, seat) {
		t.Fatalf("kiosk %s refused the check-in of %s", k.id, seat)
	}
}

// stopped waits for the sync client to give up, returning why.
func (k *liveKiosk) stopped(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case err := <-k.done:
		k.done <- err // for the cleanup
		return err
	case <-time.After(within):
		t.Fatalf("kiosk %s still syncing after %v: %+v", k.id, within, k.client.Status())
		return nil
	}
}

// dialogs accepts every JavaScript dialog the page opens: confirm() blocks
// the page, and the click that opened it, until something answers it.
type dialogs struct {
	mu       sync.Mutex
	messages []string
	err      error
}

func acceptDialogs(b *browsertest.Browser) *dialogs {
	d := &dialogs{}
	ctx := b.Context()
	opened := chromedp.Events(ctx, cdppage.JavascriptDialogOpening) // subscribed now, before any click
	go func() {
		for ev, err := range opened {
			if err != nil {
				return // the browser closed
			}
			_, err := chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: true})
			d.mu.Lock()
			d.messages = append(d.messages, ev.Message)
			d.err = errors.Join(d.err, err)
			d.mu.Unlock()
		}
	}()
	return d
}

// seen returns the messages of the dialogs accepted so far.
func (d *dialogs) seen() ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.messages...), d.err
}
