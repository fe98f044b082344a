package kioskclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"conference/shared/eventstore"
	"conference/shared/sqldb"
	"conference/sync/protocol"
)

// session is one connection. Its owner goroutine (run) alone writes to the
// socket and holds the sync state; a reader decodes frames and a watcher
// reports local appends.
type session struct {
	c        *Client
	ws       *websocket.Conn
	ctx      context.Context
	cancel   context.CancelFunc
	in       chan frame
	appended chan struct{}
	requests chan *request
	version  int
	welcome  *protocol.Welcome

	// down
	downCheckpoint int64
	downSavedAt    int64     // the checkpoint last written
	downSaved      time.Time // when
	pagesInFlight  int
	// up
	acked    int64   // hub acknowledged through this origin_seq
	sent     int64   // sent through this origin_seq
	cursor   int64   // local log position the next upload scan starts after
	scan     int64   // local log position before which every own event is acked
	inFlight []batch // uploads awaiting their ack, in order
	pending  map[string]*request
	nextID   int
}

type batch struct {
	last     int64 // origin_seq of the last event
	position int64 // its local log position
}

type frame struct {
	msg protocol.Message
	err error
}

// session connects, handshakes and serves one connection until it ends.
func (c *Client) session(ctx context.Context) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+c.cfg.Credential)
	ws, resp, err := c.cfg.Dialer.DialContext(ctx, c.wsURL, h)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			defer resp.Body.Close()
			body := make([]byte, 4096)
			n, _ := resp.Body.Read(body)
			return fmt.Errorf("connect to hub: %w", httpError(resp.StatusCode, body[:n]))
		}
		return fmt.Errorf("connect to hub: %w", err)
	}
	s := &session{c: c, ws: ws, ctx: ctx, cancel: cancel, in: make(chan frame, 1), appended: make(chan struct{}, 1),
		requests: make(chan *request), pending: map[string]*request{}, version: c.cfg.Protocol}
	defer ws.Close()
	var helpers sync.WaitGroup
	defer helpers.Wait()
	defer cancel()
	if err := s.handshake(); err != nil {
		return err
	}
	defer func() {
		down := offline(err)
		if ctx.Err() != nil { // shutting down: no error to show
			down = func(st *Status) { st.Online = false }
		}
		c.link(nil, down)
		for _, r := range s.pending {
			r.done <- response{err: ErrOffline}
		}
	}()
	helpers.Add(2)
	go func() { defer helpers.Done(); s.read() }()
	go func() { defer helpers.Done(); s.watchLocal() }()
	err = s.loop()
	s.close(err)
	// The store outlives the connection: keep what was applied.
	if serr := s.saveDownDetached(); serr != nil {
		c.log.Warn("sync: save down checkpoint", "err", serr)
	}
	return err
}

// close tells the hub why the kiosk leaves when the kiosk found the fault
// (the hub's own errors arrived with their close frame), then closes.
func (s *session) close(err error) {
	deadline := time.Now().Add(500 * time.Millisecond)
	code := websocket.CloseNormalClosure
	var pe *protocol.Error
	var fh *fromHub
	if errors.As(err, &pe) && !errors.As(err, &fh) && pe.Code.Fatal() {
		if b, encErr := protocol.Encode(s.version, pe); encErr == nil {
			_ = s.ws.SetWriteDeadline(deadline)
			_ = s.ws.WriteMessage(websocket.TextMessage, b)
		}
		code = pe.Code.CloseCode()
	}
	_ = s.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), deadline)
	s.ws.Close()
}

func (s *session) send(m protocol.Message) error {
	b, err := protocol.Encode(s.version, m)
	if err != nil {
		return err
	}
	_ = s.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := s.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		return fmt.Errorf("send %s: %w", m.MessageType(), err)
	}
	return nil
}

func (s *session) handshake() error {
	ctx, st := s.ctx, s.c.cfg.Store
	var err error
	if s.downCheckpoint, err = sqldb.Checkpoint(ctx, st.DB(), CheckpointDown); err != nil {
		return err
	}
	s.downSavedAt, s.downSaved = s.downCheckpoint, time.Now()
	if s.acked, err = sqldb.Checkpoint(ctx, st.DB(), CheckpointUpAcked); err != nil {
		return err
	}
	if s.scan, err = sqldb.Checkpoint(ctx, st.DB(), CheckpointUpScan); err != nil {
		return err
	}
	head, err := ownHead(ctx, st)
	if err != nil {
		return err
	}
	hello := &protocol.Hello{Protocol: s.version, KioskID: s.c.cfg.KioskID, Software: s.c.cfg.Software,
		Schemas: s.c.cfg.Schemas, DownCheckpoint: s.downCheckpoint, UpAcked: min(s.acked, head), UpHead: head}
	if s.version >= 2 {
		hello.Window = s.c.cfg.Window
	}
	if err := s.send(hello); err != nil {
		return err
	}
	_ = s.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	mt, data, err := s.ws.ReadMessage()
	if err != nil {
		return closeError(err)
	}
	if mt != websocket.TextMessage {
		return protocol.Errorf(protocol.CodeBadMessage, "binary frame from the hub")
	}
	m, err := protocol.Decode(s.version, data)
	if err != nil {
		return err
	}
	switch m := m.(type) {
	case *protocol.Welcome:
		s.welcome = m
	case *protocol.Error:
		return hubError(m)
	default:
		return protocol.Errorf(protocol.CodeOutOfOrder, "expected welcome, got %s", m.MessageType())
	}
	if s.welcome.KioskID != s.c.cfg.KioskID || s.welcome.Protocol != s.version {
		return protocol.Errorf(protocol.CodeBadMessage, "welcome for kiosk %q protocol %d", s.welcome.KioskID, s.welcome.Protocol)
	}
	if s.welcome.UpAcked > head {
		return protocol.Errorf(protocol.CodeCheckpointAhead,
			"the hub holds events of this kiosk up to %d but the kiosk database ends at %d: it was restored from an older backup", s.welcome.UpAcked, head)
	}
	// The hub's acknowledgement is the truth: it may be ahead of ours
	// (an ack lost with the connection) or behind (hub restored).
	if s.welcome.UpAcked != s.acked {
		if s.welcome.UpAcked < s.acked {
			s.scan = 0
		}
		s.acked = s.welcome.UpAcked
		if err := s.saveUp(); err != nil {
			return err
		}
	}
	s.sent, s.cursor = s.acked, s.scan
	// Online from here: requests find this session from the same moment.
	s.c.link(s, func(st *Status) {
		st.Online, st.LastError, st.Permanent = true, "", false
		st.HubHead, st.UpAcked, st.UpHead, st.DownCheckpoint = s.welcome.HubHead, s.acked, head, s.downCheckpoint
	})
	s.c.log.Info("sync: connected", "protocol", s.version, "down_checkpoint", s.downCheckpoint,
		"hub_head", s.welcome.HubHead, "up_acked", s.acked, "up_head", head)
	return nil
}

// fromHub wraps an error the hub sent, so the kiosk does not echo it.
// errors.As still finds the *protocol.Error inside.
type fromHub struct{ e *protocol.Error }

func (f *fromHub) Error() string { return "hub: " + f.e.Error() }
func (f *fromHub) Unwrap() error { return f.e }

func hubError(e *protocol.Error) error { return &fromHub{e} }

func closeError(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if code := protocol.CodeOfClose(ce.Code); code != "" {
			return hubError(protocol.Errorf(code, "hub closed the connection"))
		}
	}
	return fmt.Errorf("connection lost: %w", err)
}

// read decodes frames for the owner. The hub's pings count as life.
func (s *session) read() {
	wait := 2*time.Duration(s.welcome.HeartbeatMS)*time.Millisecond + 5*time.Second
	_ = s.ws.SetReadDeadline(time.Now().Add(wait))
	s.ws.SetPingHandler(func(data string) error {
		_ = s.ws.SetReadDeadline(time.Now().Add(wait))
		err := s.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	s.ws.SetReadLimit(protocol.MaxMessageBytes)
	for {
		mt, data, err := s.ws.ReadMessage()
		var f frame
		switch {
		case err != nil:
			f.err = closeError(err)
			if errors.Is(err, websocket.ErrReadLimit) {
				f.err = protocol.Errorf(protocol.CodeTooLarge, "frame over %d bytes", protocol.MaxMessageBytes)
			}
		case mt != websocket.TextMessage:
			f.err = protocol.Errorf(protocol.CodeBadMessage, "binary frame from the hub")
		default:
			f.msg, f.err = protocol.Decode(s.version, data)
		}
		select {
		case s.in <- f:
		case <-s.ctx.Done():
			return
		}
		if f.err != nil {
			return
		}
		_ = s.ws.SetReadDeadline(time.Now().Add(wait))
	}
}

// watchLocal wakes the owner when the kiosk records something.
func (s *session) watchLocal() {
	st := s.c.cfg.Store
	pos, _ := st.Head(s.ctx)
	for {
		if err := st.WaitForAppend(s.ctx, pos); err != nil {
			return
		}
		pos, _ = st.Head(s.ctx)
		select {
		case s.appended <- struct{}{}:
		default:
		}
	}
}

func (s *session) loop() error {
	if err := s.upload(); err != nil {
		return err
	}
	for {
		select {
		case <-s.ctx.Done():
			return s.ctx.Err()
		case f := <-s.in:
			if f.err != nil {
				return f.err
			}
			if err := s.handle(f.msg); err != nil {
				return err
			}
		case <-s.appended:
		case r := <-s.requests:
			if err := s.startRequest(r); err != nil {
				return err
			}
		}
		if err := s.upload(); err != nil {
			return err
		}
	}
}

func (s *session) handle(m protocol.Message) error {
	switch m := m.(type) {
	case *protocol.EventsDown:
		return s.applyPage(m)
	case *protocol.AckUp:
		return s.ackUp(m.Seq)
	case *protocol.Error:
		if m.RequestID != "" {
			s.finish(m.RequestID, response{err: m})
			return nil
		}
		if m.Code == protocol.CodeGap {
			// Resend from what the hub expects.
			s.c.log.Info("sync: hub asked to resend", "from", m.Expected)
			s.sent, s.cursor, s.inFlight = m.Expected-1, s.scan, nil
			return nil
		}
		if m.Code.Fatal() {
			return hubError(m)
		}
		s.c.log.Warn("sync: hub reported", "code", m.Code, "message", m.Message)
		return nil
	case *protocol.AllocGrant:
		s.finish(m.ID, response{msg: m})
	case *protocol.AllocReturned:
		s.finish(m.ID, response{msg: m})
	case *protocol.DigestReply:
		s.finish(m.ID, response{msg: m})
	default:
		return protocol.Errorf(protocol.CodeOutOfOrder, "%s is not sent by a hub", m.MessageType())
	}
	return nil
}

// applyPage applies a page in hub order and grants the hub one more page.
// The checkpoint is saved at most every saveDownEvery (and when the
// connection ends): a crash in between re-applies a few pages on restart,
// which ApplyDown makes a no-op, and the page after next is not held up
// by one more fsync.
func (s *session) applyPage(m *protocol.EventsDown) error {
	s.pagesInFlight++
	window := s.c.cfg.Window
	if s.pagesInFlight > window {
		return protocol.Errorf(protocol.CodeFlowControl, "more than %d pages in flight", window)
	}
	if m.Next < s.downCheckpoint || (len(m.Events) > 0 && m.Events[0].Position <= s.downCheckpoint) {
		return protocol.Errorf(protocol.CodeOutOfOrder, "page ending at %d does not follow checkpoint %d", m.Next, s.downCheckpoint)
	}
	if len(m.Events) > 0 {
		events := make([]eventstore.Event, len(m.Events))
		for i := range m.Events {
			events[i] = m.Events[i].Store()
		}
		if err := s.c.cfg.Apply(s.ctx, s.c.cfg.Store, events); err != nil {
			return fmt.Errorf("apply hub events up to %d: %w", m.Next, err)
		}
	}
	s.downCheckpoint = m.Next
	s.c.down.Store(m.Next)
	s.pagesInFlight--
	if err := s.send(&protocol.AckDown{Checkpoint: m.Next, Credit: 1}); err != nil {
		return err
	}
	s.c.update(func(st *Status) { st.DownCheckpoint, st.HubHead = m.Next, max(st.HubHead, m.Head) })
	if time.Since(s.downSaved) >= saveDownEvery {
		return s.saveDown(s.ctx)
	}
	return nil
}

// saveDownEvery bounds how often the down checkpoint is written.
const saveDownEvery = 250 * time.Millisecond

func (s *session) saveDown(ctx context.Context) error {
	if s.downCheckpoint == s.downSavedAt {
		return nil
	}
	if err := s.saveCheckpoints(ctx, CheckpointDown, s.downCheckpoint); err != nil {
		return err
	}
	s.downSaved, s.downSavedAt = time.Now(), s.downCheckpoint
	return nil
}

// saveDownDetached saves the down checkpoint after the session's context
// ended (shutdown is when it matters most).
func (s *session) saveDownDetached() error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 5*time.Second)
	defer cancel()
	return s.saveDown(ctx)
}

func (s *session) saveCheckpoints(ctx context.Context, kv ...any) error {
	st := s.c.cfg.Store
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save sync checkpoints: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	for i := 0; i+1 < len(kv); i += 2 {
		if err := sqldb.SaveCheckpoint(ctx, tx, kv[i].(string), kv[i+1].(int64)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (s *session) saveUp() error {
	return s.saveCheckpoints(s.ctx, CheckpointUpAcked, s.acked, CheckpointUpScan, s.scan)
}
