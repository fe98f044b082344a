package hubserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"conference/shared/eventstore"
	"conference/sync/protocol"
)

// Several hubs (replicas sharing one PostgreSQL database) serve kiosks at
// once, and a kiosk may reconnect to any of them. Two rules must hold
// across all of them, not only within one process:
//
//   - one connection per kiosk: a new connection replaces the old one
//     wherever it is;
//   - a revoked kiosk is cut off everywhere at once.
//
// Each hub announces on the store's Notifier the connections it accepts and
// the revocations made through it. Notices reach every hub in the same
// order (PostgreSQL delivers notifications in commit order), so they agree
// on which connection of a kiosk is the newest: a connection is confirmed
// when its own notice comes back, and a confirmed connection yields to any
// notice of another connection of its kiosk that comes after. A notice of
// another connection that arrives before a connection's own is older, and
// changes nothing. A lost notice (a listener reconnecting) leaves the old
// connection open until the periodic re-authentication or the kiosk's own
// reconnect; uploads stay safe meanwhile (dedup by event id, gaps refused).

// topicKiosks carries "connected <kiosk> <token>" and "revoked <kiosk>".
const topicKiosks = "sync.kiosks"

// Notifier is the store's notice channel between hubs
// (eventstore.Notifier).
type Notifier = eventstore.Notifier

func newToken() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// announce tells every hub that c is its kiosk's newest connection.
func (s *Server) announce(c *conn) {
	if s.cfg.Notices == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.cfg.Notices.Notify(ctx, topicKiosks, "connected "+c.id.KioskID+" "+c.token); err != nil {
		s.log.Warn("could not tell the other hubs of a kiosk connection", "kiosk", c.id.KioskID, "err", err)
	}
}

// revoked tells every hub to cut a revoked kiosk off.
func (s *Server) revoked(kioskID string) {
	if s.cfg.Notices == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.cfg.Notices.Notify(ctx, topicKiosks, "revoked "+kioskID); err != nil {
		s.log.Warn("could not tell the other hubs of a revocation; they cut the kiosk off at its next re-authentication",
			"kiosk", kioskID, "err", err)
	}
}

// followNotices applies other hubs' notices until Close.
func (s *Server) followNotices(notices <-chan string) {
	defer close(s.noticesDone)
	for {
		select {
		case <-s.stop:
			return
		case n := <-notices:
			s.notice(n)
		}
	}
}

func (s *Server) notice(n string) {
	fields := strings.Fields(n)
	switch {
	case len(fields) == 2 && fields[0] == "revoked":
		s.Disconnect(fields[1], protocol.Errorf(protocol.CodeRevoked, "this kiosk was revoked by the organizer; pair it again to use it"))
	case len(fields) == 3 && fields[0] == "connected":
		s.mu.Lock()
		c := s.conns[fields[1]]
		var stale *conn
		switch {
		case c == nil:
		case c.token == fields[2]:
			c.confirmed = true
		case c.confirmed:
			stale = c
		}
		s.mu.Unlock()
		if stale != nil {
			stale.stop(protocol.Errorf(protocol.CodeReplaced, "a newer connection of this kiosk took over"))
		}
	}
}
