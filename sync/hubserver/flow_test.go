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

// pagesWithin collects the pages the hub sends within d, acking none;
// anything but a page fails the test.
func pagesWithin(t *testing.T, frames <-chan protocol.Message, d time.Duration) []*protocol.EventsDown {
	t.Helper()
	var pages []*protocol.EventsDown
	deadline := time.After(d)
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
			pages = append(pages, p)
		case <-deadline:
			return pages
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
	first := pagesWithin(t, frames, time.Second)
	if len(first) != 2 || len(first[0].Events) == 0 || len(first[1].Events) == 0 {
		t.Fatalf("with a window of 2 and no ack the hub sent %d pages, want 2 full ones", len(first))
	}

	// One page of credit, one more page.
	r.sendMsg(protocol.Current, &protocol.AckDown{Checkpoint: first[0].Next, Credit: 1})
	second := pagesWithin(t, frames, time.Second)
	if len(second) != 1 {
		t.Fatalf("after one page of credit the hub sent %d pages, want 1", len(second))
	}
	if got, want := second[0].Events[0].Position, first[1].Events[len(first[1].Events)-1].Position; got <= want {
		t.Fatalf("the page after credit starts at position %d, not after the last page sent (%d)", got, want)
	}

	// Credit for the rest: the hub resumes where it stopped.
	r.sendMsg(protocol.Current, &protocol.AckDown{Checkpoint: second[0].Next, Credit: 2})
	rest := pagesWithin(t, frames, time.Second)
	if len(rest) != 2 || rest[0].Events[0].Position <= second[0].Next {
		t.Fatalf("after two pages of credit the hub sent %d pages, want the 2 after position %d", len(rest), second[0].Next)
	}
}
