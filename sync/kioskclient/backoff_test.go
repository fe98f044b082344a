package kioskclient

import (
	"testing"
	"time"
)

// delays returns the next n delays after short-lived connections.
func delays(b *backoff, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = b.delay(time.Second)
	}
	return out
}

func TestReconnectDelayDoublesUpToTheCap(t *testing.T) {
	b := newBackoff(500*time.Millisecond, 30*time.Second)
	b.jitter = func(n time.Duration) time.Duration { return n } // the longest delay each time

	got := delays(b, 9)

	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		16 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("delays %v, want %v", got, want)
		}
	}
}

func TestHalfOfEachReconnectDelayIsRandom(t *testing.T) {
	b := newBackoff(time.Second, time.Second) // the same base every time
	seen := map[time.Duration]bool{}

	for _, d := range delays(b, 200) {
		if d < 500*time.Millisecond || d > time.Second {
			t.Fatalf("delay %v outside [0.5s, 1s]", d)
		}
		seen[d] = true
	}

	if len(seen) < 100 {
		t.Fatalf("only %d distinct delays in 200: the jitter does not spread kiosks out", len(seen))
	}
	b.jitter = func(time.Duration) time.Duration { return 0 }
	if d := b.delay(time.Second); d != 500*time.Millisecond {
		t.Fatalf("the fixed half is %v, want 0.5s", d)
	}
}

func TestAHealthyConnectionResetsTheReconnectDelay(t *testing.T) {
	b := newBackoff(500*time.Millisecond, 30*time.Second)
	b.jitter = func(n time.Duration) time.Duration { return n }
	delays(b, 6) // up to 16 s

	if d := b.delay(healthyConnection); d != 30*time.Second {
		t.Fatalf("after a connection of exactly %v the delay is %v, want it still growing (30s)", healthyConnection, d)
	}
	if d := b.delay(healthyConnection + time.Millisecond); d != 500*time.Millisecond {
		t.Fatalf("after a healthy connection the delay is %v, want the minimum 0.5s", d)
	}
	if d := b.delay(time.Second); d != time.Second {
		t.Fatalf("the delay after that is %v, want it doubling again (1s)", d)
	}
}
