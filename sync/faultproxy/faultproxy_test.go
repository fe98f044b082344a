package faultproxy

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// echoServer answers every line with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					fmt.Fprint(c, line)
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(addr, msg string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintln(c, msg); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

func start(t *testing.T, target string, f Faults, seed uint64) *Proxy {
	t.Helper()
	p, err := Start(target, f, seed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestFaithfulProxyForwardsBothWays(t *testing.T) {
	p := start(t, echoServer(t), Faults{}, 1)
	got, err := roundTrip(p.Addr(), "hello")
	if err != nil || got != "hello" {
		t.Fatalf("round trip: %q, %v", got, err)
	}
}

func TestDelayIsAddedToEachChunk(t *testing.T) {
	p := start(t, echoServer(t), Faults{MaxDelay: 80 * time.Millisecond}, 7)
	start := time.Now()
	for i := 0; i < 5; i++ {
		if _, err := roundTrip(p.Addr(), "x"); err != nil {
			t.Fatal(err)
		}
	}
	// Ten delayed chunks averaging 40 ms; well above a loopback round trip.
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Fatalf("5 round trips took %v, want the injected delay to show", el)
	}
}

func TestPartitionCutsLiveConnectionsAndRefusesNewOnesUntilHealed(t *testing.T) {
	p := start(t, echoServer(t), Faults{}, 3)
	live, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	fmt.Fprintln(live, "ping")
	r := bufio.NewReader(live)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	p.Partition()
	live.SetReadDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintln(live, "after")
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("live connection still answered during the partition")
	}
	if _, err := roundTrip(p.Addr(), "new"); err == nil {
		t.Fatal("new connection answered during the partition")
	}
	p.Heal()
	if got, err := roundTrip(p.Addr(), "healed"); err != nil || got != "healed" {
		t.Fatalf("after heal: %q, %v", got, err)
	}
}

func TestRefuseRateAndLifetimeFollowTheSeed(t *testing.T) {
	target := echoServer(t)
	outcomes := func(seed uint64) string {
		p := start(t, target, Faults{RefuseRate: 0.5}, seed)
		var b strings.Builder
		for i := 0; i < 20; i++ {
			if _, err := roundTrip(p.Addr(), "x"); err != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := outcomes(42), outcomes(42)
	if a != b {
		t.Fatalf("same seed, different faults: %s vs %s", a, b)
	}
	if !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Fatalf("refuse rate 0.5 gave %s, want both outcomes", a)
	}
}

func TestLifetimeCutsConnections(t *testing.T) {
	p := start(t, echoServer(t), Faults{MeanLifetime: 20 * time.Millisecond}, 9)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 1)
	if _, err := c.Read(buf); err == nil {
		t.Fatal("connection outlived a 20 ms mean lifetime by seconds")
	}
	if p.Stats().Cut == 0 {
		t.Fatal("no cut counted")
	}
}
