package readmodel

import (
	"time"

	"github.com/google/uuid"

	// Kiosks are small boxes that may lack the system's zoneinfo; the
	// conference's time zone must still resolve.
	_ "time/tzdata"
)

// KioskName is the name the organizer gave a kiosk (onsite.KioskNamed,
// relayed by the hub); ok is false until this kiosk has learned it.
func (m *Model) KioskName(kioskID string) (name string, ok bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	name, ok = m.kioskNames[kioskID]
	return name, ok
}

// Location is the time zone of a conference, for showing times as people
// at the venue read them. A conference the kiosk knows nothing of, or
// whose zone does not resolve, is UTC, which the screens then say.
func (m *Model) Location(conference uuid.UUID) *time.Location {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if c, ok := m.conferences[conference]; ok && c.loc != nil {
		return c.loc
	}
	return time.UTC
}

func location(tz string) *time.Location {
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		return time.UTC
	}
	return loc
}
