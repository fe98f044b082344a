// Package fanout hands notices to a process's subscribers by topic: the
// in-process half of eventstore.Notifier, which the SQLite store uses alone
// and the PostgreSQL store feeds from LISTEN.
package fanout

import "sync"

// Topics is a set of subscribers by topic. The zero value is ready.
type Topics struct {
	mu   sync.Mutex
	subs map[string][]chan string
}

// Subscribe returns the payloads delivered on topic from now on, and a func
// to stop. A subscriber that falls more than 64 payloads behind loses the
// newer ones rather than stalling the deliverer.
func (t *Topics) Subscribe(topic string) (<-chan string, func()) {
	ch := make(chan string, 64)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.subs == nil {
		t.subs = map[string][]chan string{}
	}
	t.subs[topic] = append(t.subs[topic], ch)
	return ch, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		list := t.subs[topic]
		for i, c := range list {
			if c == ch {
				t.subs[topic] = append(list[:i:i], list[i+1:]...)
				return
			}
		}
	}
}

// Deliver hands payload to topic's subscribers.
func (t *Topics) Deliver(topic, payload string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ch := range t.subs[topic] {
		select {
		case ch <- payload:
		default:
		}
	}
}
