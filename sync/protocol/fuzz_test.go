package protocol_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"conference/sync/protocol"
)

// FuzzDecode feeds arbitrary frames to the decoder of both versions served: it
// must never panic, and whatever it accepts must encode and decode back to
// the same message.
func FuzzDecode(f *testing.F) {
	for _, m := range allMessages() {
		if b, err := protocol.Encode(protocol.Current, m); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, version := range []int{protocol.Oldest, protocol.Current} {
			m, err := protocol.Decode(version, data)
			if err != nil {
				if _, ok := err.(*protocol.Error); !ok {
					t.Fatalf("v%d: error %T is not a *protocol.Error: %v", version, err, err)
				}
				continue
			}
			b, err := protocol.Encode(version, m)
			if err != nil {
				t.Fatalf("v%d: accepted %s does not encode: %v", version, m.MessageType(), err)
			}
			again, err := protocol.Decode(version, b)
			if err != nil {
				t.Fatalf("v%d: re-encoded %s does not decode: %v\n%s", version, m.MessageType(), err, b)
			}
			if !reflect.DeepEqual(normalize(again), normalize(m)) {
				t.Fatalf("v%d: round trip changed %s:\n%+v\n%+v", version, m.MessageType(), m, again)
			}
		}
		_, _ = protocol.DecodeHello(data)
	})
}

// normalize drops representation differences JSON cannot tell apart
// (nil versus empty slices and maps, data whitespace).
func normalize(m protocol.Message) protocol.Message {
	switch m := m.(type) {
	case *protocol.EventsDown:
		c := *m
		c.Events = compactData(c.Events)
		return &c
	case *protocol.EventsUp:
		c := *m
		c.Events = compactData(c.Events)
		return &c
	case *protocol.Welcome:
		c := *m
		if len(c.Conferences) == 0 {
			c.Conferences = nil
		}
		if len(c.Schemas) == 0 {
			c.Schemas = nil
		}
		return &c
	case *protocol.Hello:
		c := *m
		if len(c.Schemas) == 0 {
			c.Schemas = nil
		}
		return &c
	case *protocol.DigestReply:
		c := *m
		if len(c.Digests) == 0 {
			c.Digests = nil
		}
		return &c
	case *protocol.DigestRequest:
		c := *m
		if len(c.Digests) == 0 {
			c.Digests = nil
		}
		return &c
	}
	return m
}

func compactData(events []protocol.Event) []protocol.Event {
	if len(events) == 0 {
		return nil
	}
	out := make([]protocol.Event, len(events))
	for i, e := range events {
		var b bytes.Buffer
		if json.Compact(&b, e.Data) == nil {
			e.Data = b.Bytes()
		}
		out[i] = e
	}
	return out
}
