package hubserver_test

import (
	"context"
	"testing"
	"time"

	"conference/sync/hubserver"
	"conference/sync/hubserver/hubservertest"
	"conference/sync/merge"
	"conference/sync/protocol"
)

// frames reads the hub's frames in the background until the connection
// ends; a read deadline would break the connection, a channel does not.
func (r *raw) frames() <-chan protocol.Message {
	out := make(chan protocol.Message, 64)
	go func() {
		defer close(out)
		for {
			_, data, err := r.ws.ReadMessage()
			if err != nil {
				return
			}
			m, err := protocol.Decode(protocol.Current, data)
			if err != nil {
				r.t.Errorf("hub sent an undecodable frame: %v: %s", err, data)
				return
			}
			out <- m
		}
	}()
	return out
}

// pages waits (generously: a slow machine is no failure) for want pages,
// then watches a quiet while to see that no more come; anything but a page
// fails the test.
func pages(t *testing.T, frames <-chan protocol.Message, want int) []*protocol.EventsDown {
	t.Helper()
	var got []*protocol.EventsDown
	wait, quiet := time.After(20*time.Second), (<-chan time.Time)(nil)
	for {
		select {
		case m, ok := <-frames:
			if !ok {
				t.Fatal("the hub closed the connection")
			}
			p, isPage := m.(*protocol.EventsDown)
			if !isPage {
				t.Fatalf("got %s, want only pages", m.MessageType())
			}
			got = append(got, p)
			if len(got) > want {
				t.Fatalf("the hub sent %d pages, want %d", len(got), want)
			}
			if len(got) == want {
				quiet = time.After(500 * time.Millisecond)
			}
		case <-wait:
			t.Fatalf("the hub sent %d pages in 20 s, want %d", len(got), want)
		case <-quiet:
			return got
		}
	}
}

func TestTheHubSendsNoMorePagesThanTheKioskGrantsAndResumesOnCredit(t *testing.T) {
	h := hubservertest.Start(t, hubservertest.Options{Configure: func(c *hubserver.Config) { c.PageSize = 2 }})
	// Twelve more events of the conference: far more than two pages.
	alloc := merge.NewAllocations(h.Store)
	for range 12 {
		if _, err := alloc.Request(context.Background(), "another-kiosk", h.Conference.ID, h.Conference.FullPass, 1); err != nil {
			t.Fatal(err)
		}
	}
	p := h.Pair(t, "Door 1")
	r, _, err := dial(t, h, p.Credential)
	if err != nil {
		t.Fatal(err)
	}
	r.sendMsg(protocol.Current, &protocol.Hello{Protocol: protocol.Current, KioskID: p.Kiosk.KioskID, Window: 2})
	if m, err := r.next(); err != nil || m.MessageType() != (&protocol.Welcome{}).MessageType() {
		t.Fatalf("welcome: %v, %v", m, err)
	}

	// A kiosk that never acks holds the hub to its window.
	frames := r.frames()
	first := pages(t, frames, 2)
	if len(first[0].Events) == 0 || len(first[1].Events) == 0 {
		t.Fatal("with a window of 2 and no ack the hub sent an empty page")
	}

	// One page of credit, one more page.
	r.sendMsg(protocol.Current, &protocol.AckDown{Checkpoint: first[0].Next, Credit: 1})
	second := pages(t, frames, 1)
	if got, want := second[0].Events[0].Position, first[1].Events[len(first[1].Events)-1].Position; got <= want {
		t.Fatalf("the page after credit starts at position %d, not after the last page sent (%d)", got, want)
	}

	// Credit for the rest: the hub resumes where it stopped.
	r.sendMsg(protocol.Current, &protocol.AckDown{Checkpoint: second[0].Next, Credit: 2})
	rest := pages(t, frames, 2)
	if rest[0].Events[0].Position <= second[0].Next {
		t.Fatalf("after two pages of credit the hub sent %d pages, want the 2 after position %d", len(rest), second[0].Next)
	}
}
