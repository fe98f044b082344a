package kiosk

import (
	"time"

	"github.com/google/uuid"
)

// Fallback names for kiosks whose KioskNamed has not arrived yet (a kiosk
// paired but never synced). People never see kiosk ids.
const (
	ThisKioskName    = "this kiosk"
	AnotherKioskName = "another kiosk"
)

// Name is this kiosk's name as the organizer gave it; ok is false until
// the hub's record of it (onsite.KioskNamed) has arrived.
func (k *Kiosk) Name() (name string, ok bool) {
	id, _ := k.Identity()
	if id.KioskID == "" {
		return "", false
	}
	return k.model.KioskName(id.KioskID)
}

// KioskName names a kiosk for the screens: its name, or which kiosk it is
// when the name is not known here yet.
func (k *Kiosk) KioskName(kioskID string) string {
	if name, ok := k.model.KioskName(kioskID); ok {
		return name
	}
	if id, _ := k.Identity(); id.KioskID == kioskID {
		return ThisKioskName
	}
	return AnotherKioskName
}

// Location is the time zone the kiosk shows times in: its conference's
// (the first one, when it serves several).
func (k *Kiosk) Location() *time.Location {
	conf := k.scope()
	if conf == uuid.Nil {
		if id, _ := k.Identity(); len(id.Conferences) > 0 {
			conf = id.Conferences[0]
		}
	}
	return k.model.Location(conf)
}
