package hubserver

import (
	"log/slog"
	"slices"

	"conference/shared/eventstore"
	"conference/sync/protocol"
)

// accept stores an upload through the merge rules and acknowledges it.
// Every check happens before the Merger, which stores all or nothing.
func (c *conn) accept(m *protocol.EventsUp) *protocol.Error {
	if len(m.Events) > c.s.cfg.MaxBatch {
		return protocol.Errorf(protocol.CodeTooLarge, "batch of %d events; the hub takes up to %d", len(m.Events), c.s.cfg.MaxBatch)
	}
	batch := make([]eventstore.Event, len(m.Events))
	for i := range m.Events {
		e := &m.Events[i]
		if e.Origin != c.id.KioskID {
			return protocol.Errorf(protocol.CodeInvalidEvent, "event %s has origin %q; a kiosk uploads only its own events", e.EventID, e.Origin)
		}
		if known, ok := c.s.cfg.Schemas[e.Type]; c.s.cfg.Schemas != nil && (!ok || e.Schema > known) {
			return protocol.Errorf(protocol.CodeSchemaUnsupported,
				"event %s is %s schema %d, which this hub does not read: update the hub", e.EventID, e.Type, e.Schema)
		}
		batch[i] = e.Store()
		batch[i].Position = 0
	}
	acked, err := c.s.cfg.Merger.Accept(c.ctx, c.id.KioskID, batch)
	if err != nil {
		if c.ctx.Err() != nil {
			return causeOf(c.ctx)
		}
		pe := c.s.cfg.ClassifyMergeError(err)
		if pe == nil {
			return c.internal("store uploaded events", err)
		}
		if pe.Code == protocol.CodeGap {
			c.s.logf(slog.LevelInfo, "upload gap", "kiosk", c.id.KioskID, "first", m.Events[0].OriginSeq, "expected", pe.Expected)
			return c.send(pe)
		}
		return pe
	}
	c.upAcked, c.upHead = acked, max(m.Head, acked)
	c.s.seen(c.presence())
	return c.send(&protocol.AckUp{Seq: acked})
}

func (c *conn) servesConference(m protocol.Message) bool {
	switch m := m.(type) {
	case *protocol.AllocRequest:
		return slices.Contains(c.id.Conferences(), m.Conference)
	case *protocol.AllocReturn:
		return slices.Contains(c.id.Conferences(), m.Conference)
	case *protocol.DigestRequest:
		return slices.Contains(c.id.Conferences(), m.Conference)
	}
	return false
}

func (c *conn) allocate(m protocol.Message) *protocol.Error {
	var id string
	switch m := m.(type) {
	case *protocol.AllocRequest:
		id = m.ID
	case *protocol.AllocReturn:
		id = m.ID
	}
	refuse := func(code protocol.Code, format string, args ...any) *protocol.Error {
		e := protocol.Errorf(code, format, args...)
		e.RequestID = id
		return c.send(e)
	}
	if !c.servesConference(m) {
		return refuse(protocol.CodeNotFound, "this kiosk does not serve that conference")
	}
	if c.s.cfg.Allocations == nil {
		return refuse(protocol.CodeUnavailable, "this hub does not grant allocations")
	}
	switch m := m.(type) {
	case *protocol.AllocRequest:
		granted, err := c.s.cfg.Allocations.Request(c.ctx, c.id.KioskID, m.Conference, m.SeatType, m.Quantity)
		if err != nil {
			if c.ctx.Err() != nil {
				return causeOf(c.ctx)
			}
			return refuse(protocol.CodeAllocationRefused, "%v", err)
		}
		return c.send(&protocol.AllocGrant{ID: m.ID, Conference: m.Conference, SeatType: m.SeatType, Granted: granted})
	case *protocol.AllocReturn:
		if err := c.s.cfg.Allocations.Return(c.ctx, c.id.KioskID, m.Conference, m.SeatType, m.Quantity); err != nil {
			if c.ctx.Err() != nil {
				return causeOf(c.ctx)
			}
			return refuse(protocol.CodeAllocationRefused, "%v", err)
		}
		return c.send(&protocol.AllocReturned{ID: m.ID, Conference: m.Conference, SeatType: m.SeatType, Quantity: m.Quantity})
	}
	return nil
}

// digest answers a digest request: the hub's digests of the conference at
// the kiosk's cut (version 3), or of its whole log. It checks the request
// here and computes beside the owner, which sends the reply.
func (c *conn) digest(m *protocol.DigestRequest) *protocol.Error {
	refuse := func(code protocol.Code, format string, args ...any) *protocol.Error {
		e := protocol.Errorf(code, format, args...)
		e.RequestID = m.ID
		return c.send(e)
	}
	if !c.servesConference(m) {
		return refuse(protocol.CodeNotFound, "this kiosk does not serve that conference")
	}
	if c.s.cfg.Digest == nil {
		return refuse(protocol.CodeUnavailable, "this hub does not compute digests")
	}
	if c.digesting {
		return refuse(protocol.CodeUnavailable, "a digest for this kiosk is being computed; ask again when it is answered")
	}
	head, err := c.s.cfg.Log.Head(c.ctx)
	if err != nil {
		return c.internal("read log head", err)
	}
	q := DigestQuery{KioskID: c.id.KioskID, Conference: m.Conference, Cut: m.Position > 0, Position: m.Position, UpSeq: m.UpSeq, Digests: m.Digests}
	switch {
	case m.Position == 0:
		q.Position = head
	case m.Position > head:
		return refuse(protocol.CodeUnavailable, "position %d lies past the hub's log head %d", m.Position, head)
	case m.UpSeq > c.upAcked:
		return refuse(protocol.CodeUnavailable, "the hub has stored this kiosk's events up to %d, not %d: upload first", c.upAcked, m.UpSeq)
	}
	c.digesting = true
	c.helpers.Add(1)
	go func() {
		defer c.helpers.Done()
		var reply protocol.Message
		d, err := c.s.cfg.Digest(c.ctx, q)
		switch {
		case err != nil && c.ctx.Err() != nil:
			return
		case err != nil:
			c.s.logf(slog.LevelError, "compute digests", "kiosk", c.id.KioskID, "err", err)
			e := protocol.Errorf(protocol.CodeUnavailable, "the hub could not compute the digests; ask again later")
			e.RequestID = m.ID
			reply = e
		default:
			reply = &protocol.DigestReply{ID: m.ID, Conference: m.Conference, Position: q.Position, Digests: d}
		}
		select {
		case c.replies <- reply:
		case <-c.ctx.Done():
		}
	}()
	return nil
}
