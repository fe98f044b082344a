package hubserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/sync/hubserver"
	"conference/sync/hubserver/hubservertest"
	"conference/sync/merge/mergetest"
	"conference/sync/protocol"
)

// raw is a hand-driven kiosk connection, for input no real kiosk sends.
type raw struct {
	t  *testing.T
	ws *websocket.Conn
}

func dial(t *testing.T, h *hubservertest.Hub, credential string) (*raw, *http.Response, error) {
	t.Helper()
	hdr := http.Header{}
	if credential != "" {
		hdr.Set("Authorization", "Bearer "+credential)
	}
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.URL, "http")+protocol.Path, hdr)
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { ws.Close() })
	return &raw{t: t, ws: ws}, resp, nil
}

func (r *raw) send(frame string) {
	r.t.Helper()
	if err := r.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		r.t.Fatalf("send: %v", err)
	}
}

func (r *raw) sendMsg(version int, m protocol.Message) {
	r.t.Helper()
	b, err := protocol.Encode(version, m)
	if err != nil {
		r.t.Fatal(err)
	}
	r.send(string(b))
}

// next reads frames until one that is not a page (pages are acked), and
// returns it; a close frame is returned as its *protocol.Error.
func (r *raw) next() (protocol.Message, error) {
	r.t.Helper()
	_ = r.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := r.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return nil, &protocol.Error{Code: protocol.CodeOfClose(ce.Code), Message: "closed"}
			}
			return nil, err
		}
		m, err := protocol.Decode(protocol.Current, data)
		if err != nil {
			r.t.Fatalf("hub sent an undecodable frame: %v: %s", err, data)
		}
		if p, ok := m.(*protocol.EventsDown); ok {
			r.sendMsg(protocol.Current, &protocol.AckDown{Checkpoint: p.Next, Credit: 1})
			continue
		}
		return m, nil
	}
}

// expectClose reads until the hub's error and close frame, and checks both
// carry code.
func (r *raw) expectClose(code protocol.Code) *protocol.Error {
	r.t.Helper()
	var got *protocol.Error
	for {
		m, err := r.next()
		if err != nil {
			var pe *protocol.Error
			if !errors.As(err, &pe) {
				r.t.Fatalf("want %s, connection ended with %v", code, err)
			}
			// An oversized frame is closed by the WebSocket layer itself,
			// with the standard "too big" code and no error frame.
			if pe.Code != code || (got == nil && code != protocol.CodeTooLarge) {
				r.t.Fatalf("close frame %q after error %v, want %s for both", pe.Code, got, code)
			}
			if got == nil {
				got = pe
			}
			return got
		}
		if e, ok := m.(*protocol.Error); ok {
			if e.Code != code {
				r.t.Fatalf("got error %v, want %s", e, code)
			}
			got = e
		}
	}
}

func (r *raw) hello(kioskID string) *protocol.Welcome {
	r.t.Helper()
	r.sendMsg(protocol.Current, &protocol.Hello{Protocol: protocol.Current, KioskID: kioskID, Window: 2})
	m, err := r.next()
	if err != nil {
		r.t.Fatalf("welcome: %v", err)
	}
	w, ok := m.(*protocol.Welcome)
	if !ok {
		r.t.Fatalf("got %s, want welcome", m.MessageType())
	}
	return w
}

// kioskEvents records n check-ins on a kiosk store and returns them as
// they go up the wire.
func kioskEvents(t *testing.T, h *hubservertest.Hub, kioskID string, n int) []protocol.Event {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "kiosk.db"), sqlitestore.Options{Node: kioskID, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := 0; i < n; i++ {
		mergetest.CheckIn(t, st, kioskID, h.Conference, onsite.Seat{OrderID: ids.New(), Position: 1})
	}
	evs, err := st.ReadLog(context.Background(), 0, n)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]protocol.Event, len(evs))
	for i, e := range evs {
		out[i] = protocol.FromStore(e)
		out[i].Position = 0
	}
	return out
}

func TestUnknownAndMissingCredentialsAreRefusedBeforeTheUpgrade(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	for _, cred := range []string{"", "kc_forged"} {
		_, resp, err := dial(t, h, cred)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("credential %q: %v %v", cred, resp, err)
		}
		body, _ := io.ReadAll(resp.Body)
		var e protocol.Error
		if json.Unmarshal(body, &e) != nil || e.Code != protocol.CodeUnauthorized {
			t.Fatalf("body %s", body)
		}
	}
}

func TestAnotherKiosksCredentialIsRefused(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	a, b := h.Pair(t, "A"), h.Pair(t, "B")
	r, _, err := dial(t, h, b.Credential)
	if err != nil {
		t.Fatal(err)
	}
	r.sendMsg(protocol.Current, &protocol.Hello{Protocol: protocol.Current, KioskID: a.Kiosk.KioskID, Window: 1})
	r.expectClose(protocol.CodeUnauthorized)
}

func TestBadInputClosesWithATypedErrorAndWritesNothing(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	p := h.Pair(t, "Door")
	id := p.Kiosk.KioskID
	other := kioskEvents(t, h, "another-kiosk", 2)
	for _, tc := range []struct {
		name  string
		hello bool
		frame string
		code  protocol.Code
	}{
		{"message before hello", false, `{"type":"ack_up","seq":1}`, protocol.CodeOutOfOrder},
		{"malformed", true, `{"type":"events_up",`, protocol.CodeBadMessage},
		{"unknown type", true, `{"type":"drop_tables"}`, protocol.CodeUnknownType},
		{"unknown field", true, `{"type":"ack_down","checkpoint":0,"credit":1,"admin":true}`, protocol.CodeBadMessage},
		{"oversized", true, `{"type":"ack_up","pad":"` + strings.Repeat("x", protocol.MaxMessageBytes) + `"}`, protocol.CodeTooLarge},
		{"second hello", true, `{"type":"hello","protocol":2,"kiosk_id":"` + id + `","down_checkpoint":0,"up_acked":0,"up_head":0,"window":1}`, protocol.CodeOutOfOrder},
		{"hub-only message", true, `{"type":"ack_up","seq":3}`, protocol.CodeOutOfOrder},
		{"credit past the window", true, `{"type":"ack_down","checkpoint":0,"credit":9}`, protocol.CodeFlowControl},
		{"ack of pages never sent", true, `{"type":"ack_down","checkpoint":99999,"credit":1}`, protocol.CodeOutOfOrder},
		{"events of another origin", true, string(must(protocol.Encode(2, &protocol.EventsUp{Events: other, Head: 2}))), protocol.CodeInvalidEvent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head := h.Head(t)
			r, _, err := dial(t, h, p.Credential)
			if err != nil {
				t.Fatal(err)
			}
			if tc.hello {
				r.hello(id)
			}
			r.send(tc.frame)
			r.expectClose(tc.code)
			if got := h.Head(t); got != head {
				t.Fatalf("hub log grew from %d to %d", head, got)
			}
		})
	}
	if n, _ := h.OwnEvents(t, "another-kiosk"); n != 0 {
		t.Fatalf("stored %d events of another origin", n)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestDuplicateAndReorderedBatchesAreStoredOnceInOrder(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	p := h.Pair(t, "Door")
	id := p.Kiosk.KioskID
	evs := kioskEvents(t, h, id, 4)
	r, _, err := dial(t, h, p.Credential)
	if err != nil {
		t.Fatal(err)
	}
	r.hello(id)
	up := func(from, to int) { r.sendMsg(2, &protocol.EventsUp{Events: evs[from-1 : to], Head: 4}) }
	expectAck := func(seq int64) {
		t.Helper()
		m, err := r.next()
		if a, ok := m.(*protocol.AckUp); err != nil || !ok || a.Seq != seq {
			t.Fatalf("got %v %v, want ack_up %d", m, err, seq)
		}
	}
	// Reordered: 3..4 before 1..2 is a gap, refused, connection kept.
	up(3, 4)
	m, err := r.next()
	if e, ok := m.(*protocol.Error); err != nil || !ok || e.Code != protocol.CodeGap || e.Expected != 1 {
		t.Fatalf("got %v %v, want gap expecting 1", m, err)
	}
	if n, _ := h.OwnEvents(t, id); n != 0 {
		t.Fatalf("a refused batch stored %d events", n)
	}
	up(1, 2)
	expectAck(2)
	up(1, 2) // duplicate
	expectAck(2)
	up(2, 4) // overlapping
	expectAck(4)
	if n, distinct := h.OwnEvents(t, id); n != 4 || distinct != 4 {
		t.Fatalf("hub holds %d (%d distinct), want 4", n, distinct)
	}
}

func TestVersionZeroIsRefusedWithAMessageForStaff(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	p := h.Pair(t, "Door")
	r, _, err := dial(t, h, p.Credential)
	if err != nil {
		t.Fatal(err)
	}
	r.send(`{"type":"hello","protocol":0,"kiosk":"` + p.Kiosk.KioskID + `"}`)
	e := r.expectClose(protocol.CodeVersionUnsupported)
	if !strings.Contains(e.Message, "update the kiosk software") {
		t.Fatalf("message %q does not tell staff what to do", e.Message)
	}
}

func TestSilentKioskIsClosedByTheKeepAlive(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{Configure: func(c *hubserver.Config) {
		c.PingInterval, c.PongWait = 50*time.Millisecond, 300*time.Millisecond
	}})
	p := h.Pair(t, "Door")
	r, _, err := dial(t, h, p.Credential)
	if err != nil {
		t.Fatal(err)
	}
	r.hello(p.Kiosk.KioskID)
	hubservertest.Eventually(t, 2*time.Second, "hub sees the kiosk", func() bool { return h.Server.IsOnline(p.Kiosk.KioskID) })
	// Not reading means not answering pings.
	hubservertest.Eventually(t, 3*time.Second, "silent kiosk dropped", func() bool { return !h.Server.IsOnline(p.Kiosk.KioskID) })
}

func TestCloseEndsLiveConnectionsAndRefusesNewOnes(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{})
	p := h.Pair(t, "Door")
	r, _, err := dial(t, h, p.Credential)
	if err != nil {
		t.Fatal(err)
	}
	r.hello(p.Kiosk.KioskID)
	done := make(chan struct{})
	go func() { h.Server.Close(); close(done) }()
	r.expectClose(protocol.CodeShuttingDown)
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Close did not return")
	}
	_, resp, err := dial(t, h, p.Credential)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after Close: %v %v", resp, err)
	}
}
