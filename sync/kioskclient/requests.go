package kioskclient

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"conference/sync/protocol"
)

// request is a question to the hub asked through the live connection.
type request struct {
	build func(id string) protocol.Message
	done  chan response
}

type response struct {
	msg protocol.Message
	err error
}

// do hands a request to the connection's owner and waits for the answer.
func (c *Client) do(ctx context.Context, build func(id string) protocol.Message) (protocol.Message, error) {
	c.mu.Lock()
	s := c.active
	c.mu.Unlock()
	if s == nil {
		return nil, ErrOffline
	}
	r := &request{build: build, done: make(chan response, 1)}
	select {
	case s.requests <- r:
	case <-s.ctx.Done():
		return nil, ErrOffline
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case resp := <-r.done:
		return resp.msg, resp.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *session) startRequest(r *request) error {
	s.nextID++
	id := fmt.Sprintf("r%d", s.nextID)
	if err := s.send(r.build(id)); err != nil {
		r.done <- response{err: err}
		return err
	}
	s.pending[id] = r
	return nil
}

func (s *session) finish(id string, resp response) {
	if r, ok := s.pending[id]; ok {
		delete(s.pending, id)
		r.done <- resp
	}
}

// RequestAllocation asks the hub for n more seats of a seat type to sell
// offline; the hub may grant fewer. Errors: ErrOffline, or a
// *protocol.Error (CodeAllocationRefused, CodeNotFound, CodeUnavailable).
func (c *Client) RequestAllocation(ctx context.Context, conference, seatType uuid.UUID, n int) (int, error) {
	m, err := c.do(ctx, func(id string) protocol.Message {
		return &protocol.AllocRequest{ID: id, Conference: conference, SeatType: seatType, Quantity: n}
	})
	if err != nil {
		return 0, fmt.Errorf("request %d seats of %s: %w", n, seatType, err)
	}
	return m.(*protocol.AllocGrant).Granted, nil
}

// ReturnAllocation gives n unsold allocated seats back to the hub.
func (c *Client) ReturnAllocation(ctx context.Context, conference, seatType uuid.UUID, n int) error {
	_, err := c.do(ctx, func(id string) protocol.Message {
		return &protocol.AllocReturn{ID: id, Conference: conference, SeatType: seatType, Quantity: n}
	})
	if err != nil {
		return fmt.Errorf("return %d seats of %s: %w", n, seatType, err)
	}
	return nil
}

// HubDigest asks the hub for a conference's read-model digests and the hub
// log position they were computed at; compare with the kiosk's own once
// its down checkpoint has reached that position and nothing is pending up.
func (c *Client) HubDigest(ctx context.Context, conference uuid.UUID) (map[string]string, int64, error) {
	return c.digest(ctx, &protocol.DigestRequest{Conference: conference})
}

// CompareDigest sends the kiosk's digests of a conference at its cut (the
// hub log position it has applied, and the last of its own events they
// cover, all acknowledged by the hub) and returns the hub's at the same
// cut, to compare: the hub records whether they agree for the organizer.
// A refusal is a *protocol.Error: CodeUnavailable when the hub cannot
// answer for that cut yet (ask again later).
func (c *Client) CompareDigest(ctx context.Context, conference uuid.UUID, position, upSeq int64, mine map[string]string) (map[string]string, error) {
	d, _, err := c.digest(ctx, &protocol.DigestRequest{Conference: conference, Position: position, UpSeq: upSeq, Digests: mine})
	return d, err
}

func (c *Client) digest(ctx context.Context, req *protocol.DigestRequest) (map[string]string, int64, error) {
	m, err := c.do(ctx, func(id string) protocol.Message {
		r := *req
		r.ID = id
		return &r
	})
	if err != nil {
		return nil, 0, fmt.Errorf("hub digest of %s: %w", req.Conference, err)
	}
	r := m.(*protocol.DigestReply)
	return r.Digests, r.Position, nil
}
