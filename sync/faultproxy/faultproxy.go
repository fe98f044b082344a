// Package faultproxy is a TCP proxy that misbehaves on purpose: it delays
// traffic, refuses new connections, cuts live ones and partitions the
// network, all from a seeded random source so a failing chaos run can be
// replayed. The sync chaos tests put it between kiosks and the hub.
package faultproxy

import (
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Faults is what the proxy does wrong. The zero value is a faithful proxy.
type Faults struct {
	// MaxDelay delays each chunk of data by a random time up to it.
	MaxDelay time.Duration
	// RefuseRate is the share of new connections closed at once (0..1).
	RefuseRate float64
	// MeanLifetime, when set, cuts each connection after a random time
	// around it (exponentially distributed).
	MeanLifetime time.Duration
}

// Proxy forwards connections from its listener to a target address.
type Proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	rng    *rand.Rand
	faults Faults
	down   bool
	conns  map[*link]struct{}
	stats  Stats

	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// Stats counts what the proxy did, for test logs.
type Stats struct {
	Accepted, Refused, Cut int
}

type link struct{ client, server net.Conn }

func (l *link) close() {
	l.client.Close()
	l.server.Close()
}

// Start listens on a free loopback port and forwards to target.
func Start(target string, faults Faults, seed uint64) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		ln: ln, target: target, faults: faults, cancel: cancel,
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		conns: map[*link]struct{}{},
	}
	p.wg.Add(1)
	go p.accept(ctx)
	return p, nil
}

// Addr is the proxy's listen address (host:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetFaults changes the faults of new and running connections.
func (p *Proxy) SetFaults(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
}

// Partition cuts every connection and refuses new ones until Heal.
func (p *Proxy) Partition() {
	p.mu.Lock()
	p.down = true
	p.mu.Unlock()
	p.CutAll()
}

// Heal ends a partition and turns every fault off.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
	p.faults = Faults{}
}

// CutAll closes every live connection, as a lost network would.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	links := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		links = append(links, l)
	}
	p.stats.Cut += len(links)
	p.mu.Unlock()
	for _, l := range links {
		l.close()
	}
}

// Stats reports what the proxy did so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close stops the proxy and cuts every connection; it returns when all
// its goroutines have ended.
func (p *Proxy) Close() error {
	p.cancel()
	err := p.ln.Close()
	p.CutAll()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept(ctx context.Context) {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.down || p.rng.Float64() < p.faults.RefuseRate
		var lifetime time.Duration
		if p.faults.MeanLifetime > 0 {
			lifetime = time.Duration(p.rng.ExpFloat64() * float64(p.faults.MeanLifetime))
		}
		if refuse {
			p.stats.Refused++
		}
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		p.wg.Add(1)
		go p.serve(ctx, c, lifetime)
	}
}

func (p *Proxy) serve(ctx context.Context, client net.Conn, lifetime time.Duration) {
	defer p.wg.Done()
	var d net.Dialer
	server, err := d.DialContext(ctx, "tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	l := &link{client: client, server: server}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		l.close()
		return
	}
	p.conns[l] = struct{}{}
	p.stats.Accepted++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, l)
		p.mu.Unlock()
		l.close()
	}()
	if lifetime > 0 {
		t := time.AfterFunc(lifetime, func() {
			p.mu.Lock()
			p.stats.Cut++
			p.mu.Unlock()
			l.close()
		})
		defer t.Stop()
	}
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client); done <- struct{}{} }()
	go func() { p.pipe(client, server); done <- struct{}{} }()
	// One direction ending ends the link: a half-open connection is not a
	// fault the kiosks need to survive here, a cut one is.
	<-done
	l.close()
	<-done
}

// pipe copies src to dst chunk by chunk, delaying each chunk.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if d := p.delay(); d > 0 {
				time.Sleep(d)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *Proxy) delay() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.faults.MaxDelay <= 0 {
		return 0
	}
	return time.Duration(p.rng.Int64N(int64(p.faults.MaxDelay)))
}
