package kioskclient

import (
	"fmt"

	"conference/sync/protocol"
)

// upload sends own events past what was sent, batch by batch, while fewer
// than InFlight batches await their ack. Own events are read from the
// kiosk's log in position order, which is their origin_seq order (the
// store numbers them as it appends them).
func (s *session) upload() error {
	for len(s.inFlight) < s.c.cfg.InFlight {
		events, cursor, err := s.nextBatch()
		if err != nil {
			return err
		}
		if len(events) == 0 {
			s.cursor = cursor
			if len(s.inFlight) == 0 && s.sent == s.acked {
				// Nothing of ours is pending up to here: later scans (and
				// the next connection, once saved) may start past it.
				s.scan = max(s.scan, cursor)
			}
			return nil
		}
		head, err := ownHead(s.ctx, s.c.cfg.Store)
		if err != nil {
			return err
		}
		last := events[len(events)-1].OriginSeq
		if err := s.send(&protocol.EventsUp{Events: events, Head: max(head, last)}); err != nil {
			return err
		}
		s.inFlight = append(s.inFlight, batch{last: last, position: cursor})
		s.sent, s.cursor = last, cursor
		s.c.update(func(st *Status) { st.UpHead = max(head, last) })
	}
	return nil
}

// nextBatch collects up to BatchSize own events following s.sent, and the
// local position the next scan starts after.
func (s *session) nextBatch() ([]protocol.Event, int64, error) {
	var out []protocol.Event
	pos := s.cursor
	for len(out) < s.c.cfg.BatchSize {
		evs, err := s.c.cfg.Store.ReadLog(s.ctx, pos, min(1000, s.c.cfg.BatchSize+64))
		if err != nil {
			return nil, 0, fmt.Errorf("read own events after %d: %w", pos, err)
		}
		if len(evs) == 0 {
			break
		}
		for i := range evs {
			e := &evs[i]
			if e.Origin != s.c.cfg.KioskID || e.OriginSeq <= s.sent+int64(len(out)) {
				pos = e.Position
				continue
			}
			if e.OriginSeq != s.sent+int64(len(out))+1 {
				return nil, 0, fmt.Errorf("own events jump from origin_seq %d to %d at position %d: the kiosk log is damaged",
					s.sent+int64(len(out)), e.OriginSeq, e.Position)
			}
			w := protocol.FromStore(*e)
			w.Position = 0
			out = append(out, w)
			pos = e.Position
			if len(out) == s.c.cfg.BatchSize {
				return out, pos, nil
			}
		}
	}
	return out, pos, nil
}

// ackUp records the hub's acknowledgement through seq.
func (s *session) ackUp(seq int64) error {
	if seq > s.sent {
		return protocol.Errorf(protocol.CodeOutOfOrder, "ack_up %d past the last sent origin_seq %d", seq, s.sent)
	}
	if seq <= s.acked {
		return nil
	}
	s.acked = seq
	for len(s.inFlight) > 0 && s.inFlight[0].last <= seq {
		s.scan = s.inFlight[0].position
		s.inFlight = s.inFlight[1:]
	}
	if err := s.saveUp(); err != nil {
		return err
	}
	s.c.update(func(st *Status) { st.UpAcked = seq })
	return nil
}
