package readmodel

import (
	"time"

	"conference/shared/eventstore"
	"conference/shared/onsite"
)

// applyKioskRevoked remembers a revocation the hub recorded. Only the hub
// revokes: the same event from any other origin is ignored (the hub
// refuses it from kiosks anyway). The first revocation of a kiosk stands.
func (m *Model) applyKioskRevoked(e eventstore.Event, ev onsite.KioskRevoked) {
	if e.Origin != "hub" || ev.KioskID == "" {
		return
	}
	if _, ok := m.revoked[ev.KioskID]; !ok {
		m.revoked[ev.KioskID] = ev
	}
}

// KioskRevoked reports when the organizer revoked a kiosk, as far as this
// kiosk's log knows, and the kiosk's name. The badge verifier asks it
// (token.Revocations), so it costs one map look-up whatever the number of
// attendees.
func (m *Model) KioskRevoked(kioskID string) (name string, at time.Time, ok bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.revoked[kioskID]
	return r.Name, r.At, ok
}
