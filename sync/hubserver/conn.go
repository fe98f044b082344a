package hubserver

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"conference/hub/kiosks"
	"conference/shared/eventstore"
	"conference/sync/protocol"
)

// frame is one decoded message, or why reading stopped.
type frame struct {
	msg protocol.Message
	err error
}

// conn is one kiosk connection. Only the owner goroutine (run) touches its
// fields and writes to ws.
type conn struct {
	s          *Server
	ws         *websocket.Conn
	id         kiosks.Identity
	credential string
	ctx        context.Context
	cancel     context.CancelCauseFunc
	done       chan struct{}
	in         chan frame
	appended   chan struct{}
	version    int

	// down: the kiosk applied up to ackedDown; pages were sent up to sent.
	sent, ackedDown, announced int64
	credit, window             int
	caughtUp                   bool
	lastPage                   time.Time
	// up
	upAcked, upHead int64
	software        string

	// A digest is computed beside the owner (it reads the whole log), which
	// sends the answer from replies; one at a time.
	helpers   *sync.WaitGroup
	replies   chan protocol.Message
	digesting bool

	// token names this connection in notices between hubs; confirmed
	// (under s.mu) once its own notice came back (fleet.go).
	token     string
	confirmed bool
}

func newConn(s *Server, ws *websocket.Conn, id kiosks.Identity, credential string) *conn {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &conn{s: s, ws: ws, id: id, credential: credential, ctx: ctx, cancel: cancel,
		done: make(chan struct{}), in: make(chan frame), appended: make(chan struct{}, 1), replies: make(chan protocol.Message, 1),
		token: newToken(), confirmed: s.cfg.Notices == nil}
}

// stop ends the connection from outside (revocation, replacement,
// shutdown). If the owner is stuck writing to a kiosk that does not read,
// the socket is cut after a short grace, so the kiosk is gone within a
// second either way.
func (c *conn) stop(why *protocol.Error) {
	c.cancel(why)
	time.AfterFunc(700*time.Millisecond, func() { c.ws.NetConn().Close() })
}

// run is the owner: handshake, then the loop until the connection ends.
// It returns when the reader and the log watcher have stopped too.
func (c *conn) run() {
	defer close(c.done)
	var helpers sync.WaitGroup
	helpers.Add(1)
	go func() {
		defer helpers.Done()
		c.read()
	}()
	perr := c.serve(&helpers)
	if perr != nil {
		c.closeWith(perr)
	}
	c.cancel(nil)
	c.ws.Close()
	helpers.Wait()
	c.s.seen(c.presence())
}

// closeWith sends a fatal error and a close frame carrying its code, then
// closes the socket. Error frames read the same in every version.
func (c *conn) closeWith(e *protocol.Error) {
	level := slog.LevelInfo
	if e.Code == protocol.CodeInternal {
		level = slog.LevelError
	}
	c.s.logf(level, "kiosk disconnected", "kiosk", c.id.KioskID, "code", e.Code, "reason", e.Message)
	deadline := time.Now().Add(500 * time.Millisecond)
	version := c.version
	if version == 0 {
		version = protocol.Oldest
	}
	if b, err := protocol.Encode(version, e); err == nil {
		_ = c.ws.SetWriteDeadline(deadline)
		_ = c.ws.WriteMessage(websocket.TextMessage, b)
	}
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(e.Code.CloseCode(), string(e.Code)), deadline)
	c.ws.Close()
}

// read decodes frames for the owner until the socket fails or the
// connection ends. Decoding here lets the owner work on one batch while
// the next is parsed.
func (c *conn) read() {
	c.ws.SetReadLimit(protocol.MaxMessageBytes)
	wait := c.s.cfg.PongWait
	_ = c.ws.SetReadDeadline(time.Now().Add(c.s.cfg.HelloTimeout))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(wait)) })
	version := 0
	for {
		mt, data, err := c.ws.ReadMessage()
		var f frame
		switch {
		case err != nil:
			f.err = readError(err)
		case mt != websocket.TextMessage:
			f.err = protocol.Errorf(protocol.CodeBadMessage, "frames are JSON text, got a binary frame")
		case version == 0:
			var h *protocol.Hello
			if h, f.err = protocol.DecodeHello(data); f.err == nil {
				f.msg, version = h, h.Protocol
			}
		default:
			f.msg, f.err = protocol.Decode(version, data)
		}
		select {
		case c.in <- f:
		case <-c.ctx.Done():
			return
		}
		if f.err != nil {
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(wait))
	}
}

func readError(err error) error {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce):
		return errPeerClosed
	case errors.Is(err, websocket.ErrReadLimit):
		return protocol.Errorf(protocol.CodeTooLarge, "frame over %d bytes", protocol.MaxMessageBytes)
	default:
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			return protocol.Errorf(protocol.CodeTimeout, "no message or pong in time")
		}
		return errPeerClosed
	}
}

// errPeerClosed marks a connection the kiosk ended or the network cut:
// there is nobody to tell why.
var errPeerClosed = errors.New("connection closed by peer")

// serve runs the handshake and the message loop; the returned error is
// what closeWith tells the kiosk.
func (c *conn) serve(helpers *sync.WaitGroup) *protocol.Error {
	hello, perr := c.handshake()
	if perr != nil {
		return perr
	}
	c.software = hello.Software
	c.helpers = helpers
	helpers.Add(1)
	go func() {
		defer helpers.Done()
		c.watchLog()
	}()
	ping := time.NewTicker(c.s.cfg.PingInterval)
	defer ping.Stop()
	recheck := time.NewTicker(c.s.cfg.RecheckInterval)
	defer recheck.Stop()
	ready := make(chan struct{})
	close(ready)
	for {
		var pump <-chan struct{}
		if c.credit > 0 && !c.caughtUp {
			pump = ready
		}
		select {
		case <-c.ctx.Done():
			return causeOf(c.ctx)
		case f := <-c.in:
			if f.err != nil {
				return asProtocolError(f.err)
			}
			if perr := c.handle(f.msg); perr != nil {
				return perr
			}
		case <-c.appended:
			c.caughtUp = false
		case m := <-c.replies:
			c.digesting = false
			if perr := c.send(m); perr != nil {
				return perr
			}
		case <-pump:
			if perr := c.sendPage(); perr != nil {
				return perr
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.s.cfg.WriteTimeout)); err != nil {
				return nil
			}
			if perr := c.announce(false); perr != nil {
				return perr
			}
		case <-recheck.C:
			if _, err := c.s.cfg.Kiosks.Authenticate(c.ctx, c.credential); err != nil {
				if c.ctx.Err() != nil {
					return causeOf(c.ctx)
				}
				if pe := authError(err); pe.Code != protocol.CodeInternal {
					return pe
				}
				c.s.logf(slog.LevelWarn, "re-authenticate kiosk", "kiosk", c.id.KioskID, "err", err)
			}
		}
	}
}

func causeOf(ctx context.Context) *protocol.Error {
	var pe *protocol.Error
	if errors.As(context.Cause(ctx), &pe) {
		return pe
	}
	return protocol.Errorf(protocol.CodeShuttingDown, "closing")
}

func asProtocolError(err error) *protocol.Error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe
	}
	if errors.Is(err, errPeerClosed) {
		return nil
	}
	return protocol.Errorf(protocol.CodeInternal, "%v", err)
}

func (c *conn) handshake() (*protocol.Hello, *protocol.Error) {
	var f frame
	select {
	case f = <-c.in:
	case <-c.ctx.Done():
		return nil, causeOf(c.ctx)
	}
	if f.err != nil {
		if pe := asProtocolError(f.err); pe != nil {
			return nil, pe
		}
		return nil, protocol.Errorf(protocol.CodeTimeout, "no hello")
	}
	h := f.msg.(*protocol.Hello)
	c.version = h.Protocol
	if h.KioskID != c.id.KioskID {
		return nil, protocol.Errorf(protocol.CodeUnauthorized, "the credential belongs to another kiosk")
	}
	acked, err := c.s.cfg.Merger.Acked(c.ctx, c.id.KioskID)
	if err != nil {
		return nil, c.internal("read acknowledged sequence", err)
	}
	head, err := c.s.cfg.Log.Head(c.ctx)
	if err != nil {
		return nil, c.internal("read log head", err)
	}
	if h.DownCheckpoint > head {
		return nil, protocol.Errorf(protocol.CodeCheckpointAhead,
			"the kiosk has applied hub events up to %d but the hub log ends at %d: the hub was restored from an older backup; pair the kiosk again", h.DownCheckpoint, head)
	}
	c.window = h.Window
	c.credit = c.window
	c.sent, c.ackedDown, c.announced = h.DownCheckpoint, h.DownCheckpoint, h.DownCheckpoint
	c.upAcked, c.upHead = acked, max(h.UpHead, acked)
	welcome := &protocol.Welcome{Protocol: c.version, KioskID: c.id.KioskID, Conferences: c.id.Conferences(),
		HubHead: head, UpAcked: acked, Schemas: c.s.cfg.Schemas, HeartbeatMS: c.s.cfg.PingInterval.Milliseconds(),
		MaxBatch: c.s.cfg.MaxBatch}
	if perr := c.send(welcome); perr != nil {
		return nil, perr
	}
	c.s.seen(c.presence())
	c.s.logf(slog.LevelInfo, "kiosk connected", "kiosk", c.id.KioskID, "protocol", c.version,
		"down_checkpoint", h.DownCheckpoint, "hub_head", head, "up_acked", acked, "up_head", h.UpHead)
	return h, nil
}

func (c *conn) internal(what string, err error) *protocol.Error {
	if c.ctx.Err() != nil {
		return causeOf(c.ctx)
	}
	c.s.logf(slog.LevelError, what, "kiosk", c.id.KioskID, "err", err)
	return protocol.Errorf(protocol.CodeInternal, "%s failed on the hub; retry later", what)
}

// send writes one message; a failure to write means the kiosk is gone.
func (c *conn) send(m protocol.Message) *protocol.Error {
	b, err := protocol.Encode(c.version, m)
	if err != nil {
		return c.internal("encode "+string(m.MessageType()), err)
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		if c.ctx.Err() != nil {
			return causeOf(c.ctx)
		}
		return protocol.Errorf(protocol.CodeTimeout, "write: %v", err)
	}
	return nil
}

// watchLog wakes the owner whenever the hub log grows.
func (c *conn) watchLog() {
	pos, err := c.s.cfg.Log.Head(c.ctx)
	if err != nil {
		return
	}
	for {
		if err := c.s.cfg.Log.WaitForAppend(c.ctx, pos); err != nil {
			return
		}
		if pos, err = c.s.cfg.Log.Head(c.ctx); err != nil {
			return
		}
		select {
		case c.appended <- struct{}{}:
		default:
		}
	}
}

// sendPage sends the next page from the kiosk's position, using one unit
// of credit; pages of only other conferences' events are skipped without
// a round trip.
func (c *conn) sendPage() *protocol.Error {
	events, next, err := c.s.cfg.Pager.Page(c.ctx, c.sent, c.id.Conferences(), c.s.cfg.PageSize)
	if err != nil {
		return c.internal("read a page", err)
	}
	// The kiosk's own events come back through the hub log; it has them
	// (they were recorded there), so they cost a round trip for nothing.
	own := 0
	for i := range events {
		if events[i].Origin == c.id.KioskID {
			own++
		}
	}
	if own > 0 {
		kept := make([]eventstore.Event, 0, len(events)-own)
		for _, e := range events {
			if e.Origin != c.id.KioskID {
				kept = append(kept, e)
			}
		}
		events = kept
	}
	if len(events) == 0 {
		if next <= c.sent {
			c.caughtUp = true
			return c.announce(false)
		}
		c.sent = next
		return c.announce(true)
	}
	head, _ := c.s.cfg.Log.Head(c.ctx)
	wire := make([]protocol.Event, len(events))
	for i := range events {
		wire[i] = protocol.FromStore(events[i])
	}
	page := &protocol.EventsDown{Events: wire, Next: next, Head: max(head, next)}
	b, err := protocol.Encode(c.version, page)
	// A page of large events may not fit one frame: cut it, resuming
	// after the last event that went.
	for errors.Is(err, protocol.ErrTooLarge) && len(page.Events) > 1 {
		page.Events = page.Events[:len(page.Events)/2]
		page.Next = page.Events[len(page.Events)-1].Position
		b, err = protocol.Encode(c.version, page)
	}
	if err != nil {
		return c.internal("encode a page", err)
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		if c.ctx.Err() != nil {
			return causeOf(c.ctx)
		}
		return protocol.Errorf(protocol.CodeTimeout, "write: %v", err)
	}
	c.sent, c.announced, c.lastPage = page.Next, page.Next, time.Now()
	c.credit--
	return nil
}

// announceEvery is how far the kiosk's position may lag behind what was
// skipped for it before an empty page tells it, so that a reconnect does
// not rescan a long stretch of other conferences' events.
const announceEvery = 2000

// announce sends an empty page moving the kiosk's checkpoint over skipped
// events: when far behind (skipping), or on the ping tick when idle.
func (c *conn) announce(skipping bool) *protocol.Error {
	if c.credit <= 0 || c.sent <= c.announced {
		return nil
	}
	if skipping && c.sent-c.announced < announceEvery {
		return nil
	}
	if !skipping && !c.caughtUp {
		return nil
	}
	head, _ := c.s.cfg.Log.Head(c.ctx)
	if perr := c.send(&protocol.EventsDown{Next: c.sent, Head: max(head, c.sent)}); perr != nil {
		return perr
	}
	c.announced, c.lastPage = c.sent, time.Now()
	c.credit--
	return nil
}

func (c *conn) presence() kiosks.Presence {
	return kiosks.Presence{KioskID: c.id.KioskID, At: time.Now(), DownCheckpoint: c.ackedDown, UpAcked: c.upAcked,
		PendingUploads: max(c.upHead-c.upAcked, 0), Software: c.software}
}

// handle answers one message from the kiosk.
func (c *conn) handle(m protocol.Message) *protocol.Error {
	switch m := m.(type) {
	case *protocol.AckDown:
		if m.Checkpoint > c.sent || m.Checkpoint < c.ackedDown {
			return protocol.Errorf(protocol.CodeOutOfOrder, "ack_down %d outside the pages sent (%d to %d)", m.Checkpoint, c.ackedDown, c.sent)
		}
		c.ackedDown = m.Checkpoint
		c.credit += m.Credit
		if c.credit > c.window {
			return protocol.Errorf(protocol.CodeFlowControl, "credit %d exceeds the window of %d pages", c.credit, c.window)
		}
		c.s.seen(c.presence())
		return nil
	case *protocol.EventsUp:
		return c.accept(m)
	case *protocol.AllocRequest, *protocol.AllocReturn:
		return c.allocate(m)
	case *protocol.DigestRequest:
		return c.digest(m)
	case *protocol.Error:
		// The kiosk closes after a fatal error of its own; a non-fatal
		// one needs no answer. Either way it is worth a log line.
		c.s.logf(slog.LevelWarn, "kiosk reported an error", "kiosk", c.id.KioskID, "code", m.Code, "message", m.Message)
		return nil
	default:
		return protocol.Errorf(protocol.CodeOutOfOrder, "%s is not sent by a kiosk", m.MessageType())
	}
}
