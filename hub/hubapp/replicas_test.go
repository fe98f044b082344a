package hubapp_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/shared/eventstore/backendtest"
	"conference/shared/sqldb"
	"conference/sync/kioskclient"
	"conference/sync/protocol"
)

// kioskSocket is a kiosk's sync connection driven by hand, to watch how and
// when the hub ends it.
type kioskSocket struct {
	ws     *websocket.Conn
	closed chan protocol.Code // the code the hub closed with
}

// connectTo opens a sync connection of the kiosk to the hub at url, says
// hello and waits for the welcome; it then reads (acknowledging pages)
// until the hub closes it.
func connectTo(ctx context.Context, t *testing.T, url string, p protocol.PairResponse) *kioskSocket {
	t.Helper()
	hdr := http.Header{"Authorization": {"Bearer " + p.Credential}}
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, "ws"+strings.TrimPrefix(url, "http")+protocol.Path, hdr)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	t.Cleanup(func() { ws.Close() })
	send := func(m protocol.Message) error {
		b, err := protocol.Encode(protocol.Current, m)
		if err != nil {
			return err
		}
		return ws.WriteMessage(websocket.TextMessage, b)
	}
	if err := send(&protocol.Hello{Protocol: protocol.Current, KioskID: p.KioskID, Window: 4}); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, data, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("hello to %s: %v", url, err)
	}
	if m, err := protocol.Decode(protocol.Current, data); err != nil || m.MessageType() != (&protocol.Welcome{}).MessageType() {
		t.Fatalf("hello to %s answered %s (%v)", url, data, err)
	}
	_ = ws.SetReadDeadline(time.Time{})
	k := &kioskSocket{ws: ws, closed: make(chan protocol.Code, 1)}
	go func() {
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					k.closed <- protocol.CodeOfClose(ce.Code)
				} else {
					k.closed <- protocol.Code("connection lost: " + err.Error())
				}
				return
			}
			if m, err := protocol.Decode(protocol.Current, data); err == nil {
				if p, ok := m.(*protocol.EventsDown); ok {
					_ = send(&protocol.AckDown{Checkpoint: p.Next, Credit: 1})
				}
			}
		}
	}()
	return k
}

// expectClosed waits up to within for the hub to close k with code.
func (k *kioskSocket) expectClosed(t *testing.T, within time.Duration, code protocol.Code, what string) {
	t.Helper()
	select {
	case got := <-k.closed:
		if got != code {
			t.Fatalf("%s: the connection closed with %q, want %q", what, got, code)
		}
	case <-time.After(within):
		t.Fatalf("%s: the connection was still open after %s", what, within)
	}
}

// Two replicas of a hub on one PostgreSQL database, each serving kiosks. A
// kiosk that connects to the second replica takes over from its connection
// to the first, and a revocation made through the first cuts the kiosk off
// on the second within a second.
func TestKioskConnectionsAndRevocationsHoldAcrossReplicas(t *testing.T) {
	if backendtest.Current(t) != sqldb.Postgres {
		t.Skip("replicas share a database on PostgreSQL only; SQLite admits one process (CONFERENCE_TEST_DB=postgres runs this)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := backendtest.URL(t)
	a := hubtest.OpenConfig(t, hubapp.Config{DB: url})
	b := hubtest.OpenConfig(t, hubapp.Config{DB: url})
	hsA, hsB := httptest.NewServer(mustHandler(t, a)), httptest.NewServer(mustHandler(t, b))
	defer hsA.Close()
	defer hsB.Close()
	f := hubtest.PublishedConference(t, a)
	created, err := a.Kiosks.CreateKiosk(ctx, f.OrganizerID, f.ConferenceID, "Door 1")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	paired, err := kioskclient.Pair(ctx, hsB.URL, created.PairingCode, pub) // a code made on one replica pairs on the other
	if err != nil {
		t.Fatal(err)
	}

	first := connectTo(ctx, t, hsA.URL, paired)
	second := connectTo(ctx, t, hsB.URL, paired)
	first.expectClosed(t, 5*time.Second, protocol.CodeReplaced, "the kiosk's older connection, on the other replica")

	if err := a.Kiosks.Revoke(ctx, f.OrganizerID, paired.KioskID); err != nil {
		t.Fatal(err)
	}
	second.expectClosed(t, time.Second, protocol.CodeRevoked, "the revoked kiosk's connection to the other replica")

	// And the revoked kiosk cannot come back through either replica.
	for _, hs := range []*httptest.Server{hsA, hsB} {
		hdr := http.Header{"Authorization": {"Bearer " + paired.Credential}}
		ws, resp, err := websocket.DefaultDialer.DialContext(ctx, "ws"+strings.TrimPrefix(hs.URL, "http")+protocol.Path, hdr)
		if err == nil {
			ws.Close()
			t.Fatalf("%s let the revoked kiosk connect", hs.URL)
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s answered the revoked kiosk %v, %v; want 403", hs.URL, resp, err)
		}
	}
}
