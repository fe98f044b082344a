package hlc

import (
	"testing"
	"time"
)

func TestClockIsMonotonicWhenWallClockStepsBack(t *testing.T) {
	wall := time.UnixMilli(10_000)
	c := NewClock(func() time.Time { return wall })
	a := c.Now()
	wall = wall.Add(-5 * time.Second)
	b := c.Now()
	if b <= a {
		t.Fatalf("got %v after %v, want a later timestamp", b, a)
	}
	if b.Millis() != a.Millis() || b.Logical() != a.Logical()+1 {
		t.Fatalf("got %v, want same millisecond with logical+1 of %v", b, a)
	}
}

func TestClockOrdersAfterObservedRemoteTimestamp(t *testing.T) {
	c := NewClock(func() time.Time { return time.UnixMilli(1_000) })
	remote := New(50_000, 7)
	c.Observe(remote)
	if got := c.Now(); got <= remote {
		t.Fatalf("got %v, want after observed %v", got, remote)
	}
}

func TestClockBorrowsNextMillisecondWhenCounterIsExhausted(t *testing.T) {
	c := NewClock(func() time.Time { return time.UnixMilli(1_000) })
	c.Observe(New(1_000, logicalMask))
	got := c.Now()
	if got.Millis() != 1_001 || got.Logical() != 0 {
		t.Fatalf("got %v, want 1001ms+0", got)
	}
}

func TestTimestampPacksMillisAndCounter(t *testing.T) {
	ts := New(1_700_000_000_123, 42)
	if ts.Millis() != 1_700_000_000_123 || ts.Logical() != 42 {
		t.Fatalf("got %d+%d", ts.Millis(), ts.Logical())
	}
}
