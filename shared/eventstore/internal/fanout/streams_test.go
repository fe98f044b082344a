package fanout

import (
	"maps"
	"slices"
	"testing"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// A wake releases the watchers of the streams it names, once; a stopped
// watcher is not released; WakeAll releases the rest.
func TestStreamsWakeTheWatchersOfTheStreamsNamed(t *testing.T) {
	var w Streams
	a1, _ := w.Watch("a")
	a2, _ := w.Watch("a")
	b, _ := w.Watch("b")
	c, stopC := w.Watch("c")
	stopC()
	w.Wake(slices.Values([]string{"a", "c", "z"}))
	if !closed(a1) || !closed(a2) || closed(b) || closed(c) {
		t.Fatalf("after waking a and c: a1 %v a2 %v b %v c (stopped) %v", closed(a1), closed(a2), closed(b), closed(c))
	}
	again, _ := w.Watch("a")
	if closed(again) {
		t.Fatal("a watcher registered after the wake was released by it")
	}
	w.Wake(maps.Keys(map[string]bool{"b": true}))
	if !closed(b) || closed(again) {
		t.Fatalf("after waking b: b %v, a's new watcher %v", closed(b), closed(again))
	}
	w.WakeAll()
	if !closed(again) || closed(c) {
		t.Fatalf("after WakeAll: a's new watcher %v, stopped c %v", closed(again), closed(c))
	}
}
